"""Agendas: slots generated from the working time, booking, rescheduling,
no-shows, double booking refused, mass planning, convocations, reminders."""
import datetime as dt
import io
import re
import threading
import unittest
import zipfile

from trytond import backend
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.model.exceptions import AccessError
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.tests.tools import as_user, load_lists
from trytond.modules.spsti_planning.exceptions import (
    BookingError, SlotOverlapError)
from trytond.modules.spsti_planning.sms import SMSDataManager
from trytond.pool import Pool
from trytond.sendmail import SMTPDataManager
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

MONDAY = dt.date(2026, 3, 2)


def setup_agenda():
    """The demo organisation, the nurse working Monday 09:00-12:00 (local)
    in the first room of her centre, and the company in the context."""
    pool = Pool()
    WorkTime = pool.get('spsti.professional.work_time')
    org = setup_referentials()
    nurse = org['nurse']
    centre = nurse.centre
    room = centre.rooms[0]
    WorkTime.create([{
                'professional': nurse.id,
                'weekday': '0',
                'start_time': dt.time(9),
                'end_time': dt.time(12),
                'centre': centre.id,
                'room': room.id,
                'slot_duration': 30,
                }])
    Transaction().set_context(company=org['company'].id)
    return org, nurse, centre, room


def create_requests(count, start=dt.date(2026, 1, 5)):
    "count employees of one member, each with an initial VIP to plan."
    VisitRequest = Pool().get('spsti.visit.request')
    _, establishment = create_member("Garage Martin", 201)
    assignments = [create_assignment(
            create_employee("Martin", f"Rémi{i}", dt.date(1988, 4, 4),
                seed=i + 1),
            establishment, start=start) for i in range(count)]
    VisitRequest.compute_due_visits(assignments)
    return VisitRequest.search([
            ('assignment', 'in', [a.id for a in assignments]),
            ('visit_type.code', '=', 'VIP-I')],
        order=[('id', 'ASC')])


class SpstiSlotTestCase(ModuleTestCase):
    "Test the agendas of spsti_planning"
    module = 'spsti_planning'

    @with_transaction()
    def test_generate_from_working_time(self):
        "Slots follow the weekly pattern in local time, skip absences, once"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        Absence = pool.get('spsti.professional.absence')
        _, nurse, centre, room = setup_agenda()
        Absence.create([{
                    'professional': nurse.id,
                    'start_date': MONDAY + dt.timedelta(days=7),
                    'end_date': MONDAY + dt.timedelta(days=11),
                    }])
        slots = Slot.generate([nurse], MONDAY, MONDAY + dt.timedelta(days=20))
        # Three Mondays, the second one absent, 6 slots of 30 minutes.
        self.assertEqual(len(slots), 12)
        # 09:00 in Paris is 08:00 UTC in winter.
        self.assertEqual(slots[0].start, dt.datetime(2026, 3, 2, 8, 0))
        self.assertEqual(slots[-1].end, dt.datetime(2026, 3, 16, 11, 0))
        self.assertEqual({(s.centre, s.room, s.state) for s in slots},
            {(centre, room, 'free')})
        Slot.cancel(slots[:1])
        self.assertEqual(
            Slot.generate([nurse], MONDAY, MONDAY + dt.timedelta(days=20)),
            [])

    @with_transaction()
    def test_overlap_refused(self):
        "Overlapping slots of a professional or a room are refused, named"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        org, nurse, centre, room = setup_agenda()
        slot, = Slot.generate([nurse], MONDAY, MONDAY)[:1]
        values = {
            'professional': nurse.id,
            'centre': centre.id,
            'room': centre.rooms[1].id,
            'start': slot.start + dt.timedelta(minutes=15),
            'end': slot.end + dt.timedelta(minutes=15),
            }
        with self.assertRaisesRegex(SlotOverlapError,
                re.escape(nurse.rec_name) + '.*09:00 to 02/03/2026 09:30'):
            Slot.create([values])

    @with_transaction()
    def test_room_overlap_refused(self):
        "Two professionals cannot take the same room at the same time"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        org, nurse, centre, room = setup_agenda()
        slot, = Slot.generate([nurse], MONDAY, MONDAY)[:1]
        with self.assertRaisesRegex(
                SlotOverlapError, re.escape(room.rec_name)):
            Slot.create([{
                        'professional': org['doctor'].id,
                        'centre': centre.id,
                        'room': room.id,
                        'start': slot.start,
                        'end': slot.end,
                        }])

    @with_transaction()
    def test_cancelled_slot_frees_the_time(self):
        "A cancelled slot no longer blocks its professional and room"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        _, nurse, centre, room = setup_agenda()
        slot = Slot.generate([nurse], MONDAY, MONDAY)[0]
        Slot.cancel([slot])
        other, = Slot.create([{
                    'professional': nurse.id,
                    'centre': centre.id,
                    'room': room.id,
                    'start': slot.start,
                    'end': slot.end,
                    }])
        with self.assertRaises(SlotOverlapError):
            Slot.reopen([slot])

    @with_transaction()
    def test_book_reschedule_no_show(self):
        "Booking plans the request; freeing keeps the reason; no-show both"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitRequest = pool.get('spsti.visit.request')
        _, nurse, _, _ = setup_agenda()
        first, second, *_ = Slot.generate([nurse], MONDAY, MONDAY)
        request, = create_requests(1)
        Slot.book([first], [request])
        self.assertEqual((first.state, first.request, request.state),
            ('booked', request, 'planned'))
        self.assertEqual(request.slot, first)
        with self.assertRaises(BookingError):
            Slot.book([second], [request])

        Slot.reschedule([first], [second], "Salarié en déplacement")
        self.assertEqual((first.state, first.request), ('free', None))
        self.assertEqual((second.state, request.state, request.slot),
            ('booked', 'planned', second))
        self.assertEqual(request.reschedule_reason, "Salarié en déplacement")

        Slot.record_no_show([second])
        self.assertEqual((second.state, request.state), ('no_show', 'no_show'))
        VisitRequest.to_plan([request])
        self.assertEqual(second.state, 'no_show')

        Slot.book([first], [request])
        VisitRequest.cancel([request], reason="Salarié parti")
        self.assertEqual((first.state, first.request), ('free', None))

    @with_transaction()
    def test_reserved_slot(self):
        "A slot reserved for a visit type takes no other"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitType = pool.get('spsti.visit.type')
        _, nurse, _, _ = setup_agenda()
        slot = Slot.generate([nurse], MONDAY, MONDAY)[0]
        slot.visit_type, = VisitType.search([('code', '=', 'SIR-I')])
        slot.save()
        request, = create_requests(1)
        with self.assertRaisesRegex(BookingError, 'SIR-I'):
            Slot.book([slot], [request])

    @with_transaction()
    def test_mass_planning(self):
        "A day is filled from the team's backlog by priority and due date"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitRequest = pool.get('spsti.visit.request')
        org, nurse, _, _ = setup_agenda()
        slots = Slot.generate([nurse], MONDAY, MONDAY)
        requests = create_requests(8)
        VisitRequest.write(requests, {'priority': '3'})
        urgent = requests[-1]
        VisitRequest.write([urgent], {'priority': '1'})
        early = requests[-2]
        VisitRequest.write([early], {'due_date': dt.date(2026, 2, 1)})
        booked = Slot.plan_day(nurse, MONDAY)
        self.assertEqual(len(booked), len(slots))
        self.assertEqual(
            [s.request for s in sorted(booked, key=lambda s: s.start)][:2],
            [urgent, early])
        self.assertEqual(
            VisitRequest.search_count([
                    ('id', 'in', [r.id for r in requests]),
                    ('state', '=', 'to_plan')]), 2)
        # Nothing left to fill: a rerun books nothing.
        self.assertEqual(Slot.plan_day(nurse, MONDAY), [])

    @with_transaction()
    def test_mass_planning_respects_professions(self):
        "A nurse is not given aptitude exams, which only doctors perform"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitRequest = pool.get('spsti.visit.request')
        VisitType = pool.get('spsti.visit.type')
        _, nurse, _, _ = setup_agenda()
        Slot.generate([nurse], MONDAY, MONDAY)
        request, = create_requests(1)
        exam, = VisitType.search([('code', '=', 'SIR-I')])
        VisitRequest.write([request], {'visit_type': exam.id})
        self.assertEqual(Slot.plan_day(nurse, MONDAY), [])
        self.assertEqual(request.state, 'to_plan')

    @with_transaction()
    def test_reminders_sent_once(self):
        "Reminders go by email and SMS as consented, once per slot"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        _, nurse, _, _ = setup_agenda()
        slot = Slot.generate([nurse], MONDAY, MONDAY)[0]
        request, = create_requests(1)
        request.employee.email = 'remi@example.com'
        request.employee.mobile = '0601020304'
        request.employee.consent_email = True
        request.employee.consent_sms = True
        request.employee.save()
        Slot.book([slot], [request])
        now = slot.start - dt.timedelta(days=1)
        self.assertEqual(Slot.send_reminders(days=2, now=now), [slot])
        self.assertEqual(slot.reminder_sent, now)
        managers = Transaction()._datamanagers
        emails = [m for d in managers if isinstance(d, SMTPDataManager)
            for m in d.queue]
        texts = [m for d in managers if isinstance(d, SMSDataManager)
            for m in d.queue]
        self.assertEqual(len(emails), 1)
        self.assertEqual(emails[0][2]['To'], 'remi@example.com')
        self.assertEqual([n for n, _ in texts], ['0601020304'])
        self.assertIn('02/03/2026 09:00', texts[0][1])
        self.assertEqual(Slot.send_reminders(days=2, now=now), [])

    @with_transaction()
    def test_no_show_rate(self):
        "No-show rate per professional and centre over a period"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitRequest = pool.get('spsti.visit.request')
        _, nurse, centre, _ = setup_agenda()
        slots = Slot.generate([nurse], MONDAY, MONDAY)[:4]
        requests = create_requests(4)
        Slot.book(slots, requests)
        Slot.record_no_show(slots[:1])
        VisitRequest.done(requests[1:], date=MONDAY, outcome='attestation')
        self.assertEqual([s.state for s in slots],
            ['no_show', 'done', 'done', 'done'])
        self.assertEqual(
            Slot.no_show_rates(MONDAY, MONDAY), {nurse.id: (4, 1, 0.25)})
        self.assertEqual(
            Slot.no_show_rates(MONDAY, MONDAY, by='centre'),
            {centre.id: (4, 1, 0.25)})
        self.assertEqual(Slot.no_show_rates(
                MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=1)),
            {})

    @with_transaction()
    def test_convocations(self):
        "Convocations as PDF; the employer's carries no health data"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        ActionReport = pool.get('ir.action.report')
        _, nurse, _, _ = setup_agenda()
        slot = Slot.generate([nurse], MONDAY, MONDAY)[0]
        request, = create_requests(1)
        Slot.book([slot], [request])
        for name in ['employee', 'employer']:
            Report = pool.get(f'spsti.slot.convocation.{name}', type='report')
            extension, content, _, _ = Report.execute([slot.id], {})
            self.assertEqual(extension, 'pdf')
            self.assertTrue(content.startswith(b'%PDF'))
        action, = ActionReport.search([
                ('report_name', '=', 'spsti.slot.convocation.employer')])
        records = Report._get_records([slot.id], 'spsti.slot', {})
        odt = Report.render(action, Report.get_context(records, {}, {}))
        text = zipfile.ZipFile(io.BytesIO(odt)).read('content.xml').decode()
        self.assertIn('02/03/2026 à 09:00', text)
        self.assertIn(request.visit_type.name, text)
        self.assertIn(slot.centre.name, text)
        self.assertNotIn(nurse.rec_name, text)
        self.assertNotIn(request.employee.nir, text)

    @with_transaction()
    def test_access(self):
        "Planning books; billing and member relations do not see agendas"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        org, nurse, _, _ = setup_agenda()
        slot = Slot.generate([nurse], MONDAY, MONDAY)[0]
        request, = create_requests(1)
        users = org['users']
        with as_user(users['planification']):
            Slot.book([Slot(slot.id)], [request])
        for login in ['facturation', 'relation']:
            with as_user(users[login]):
                with self.assertRaises(AccessError):
                    Slot.read([slot.id], ['start'])

    @with_transaction()
    def test_demo_agendas(self):
        "The demo gives a visit history and declared stoppages, the "
        "doctors and nurses slots, some of them booked, and workplace actions"
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Slot = pool.get('spsti.slot')
        WorkplaceAction = pool.get('spsti.workplace_action')
        VisitRequest = pool.get('spsti.visit.request')
        Stoppage = pool.get('spsti.work_stoppage')
        load_lists()
        ctx = DemoContext(members=5, employees=80, seed=3)
        Demo.generate(ctx)
        done = {r.visit_type.code for r in VisitRequest.search(
                [('state', '=', 'done')])}
        self.assertTrue({'VIP-I', 'VIP-P'} <= done)
        self.assertTrue(Stoppage.search([], limit=1))
        self.assertGreater(Slot.search_count([('state', '=', 'free')]), 0)
        self.assertGreater(Slot.search_count([('state', '=', 'booked')]), 0)
        actions = WorkplaceAction.search([])
        self.assertEqual({a.state for a in actions}, {'planned', 'done'})
        self.assertTrue(all(a.slots for a in actions))
        count = Slot.search_count([])
        Demo.generate(ctx)
        self.assertEqual(Slot.search_count([]), count)


@unittest.skipIf(backend.name != 'postgresql',
    "needs concurrent transactions (PostgreSQL)")
class SpstiSlotConcurrencyTestCase(unittest.TestCase):
    "Double booking between concurrent transactions"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('spsti_planning')

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def test_concurrent_overlapping_slots(self):
        "Two transactions create overlapping slots at once: one succeeds"
        with Transaction().start(DB_NAME, 0) as transaction:
            _, nurse, centre, room = setup_agenda()
            company = Transaction().context['company']
            name = nurse.rec_name
            values = [{
                    'professional': nurse.id,
                    'centre': centre.id,
                    'room': r.id,
                    'start': dt.datetime(2026, 3, 2, 8, minute),
                    'end': dt.datetime(2026, 3, 2, 8, minute + 30),
                    } for r, minute in zip(centre.rooms[:2], [0, 15])]
            transaction.commit()
        barrier = threading.Barrier(2)
        results = [None, None]

        def book(index):
            with Transaction().start(DB_NAME, 0,
                    context={'company': company}) as transaction:
                Slot = Pool().get('spsti.slot')
                # Both are in their transaction before either writes.
                barrier.wait(timeout=30)
                try:
                    Slot.create([values[index]])
                    transaction.commit()
                    results[index] = 'ok'
                except SlotOverlapError as exception:
                    results[index] = exception

        threads = [threading.Thread(target=book, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertEqual(sum(r == 'ok' for r in results), 1, results)
        error, = [r for r in results if r != 'ok']
        # Refused by the exclusion constraint itself, not by a check.
        self.assertIsInstance(error.__cause__, backend.DatabaseIntegrityError)
        self.assertIn(name, error.message)
        with Transaction().start(DB_NAME, 0) as transaction:
            Slot = Pool().get('spsti.slot')
            self.assertEqual(Slot.search_count([]), 1)


del ModuleTestCase
