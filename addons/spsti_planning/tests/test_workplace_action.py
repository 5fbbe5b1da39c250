"""Workplace actions (AMT) in the agendas, the professional's own agenda and
the reactivity figures."""
import datetime as dt
import re
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.spsti_adherent.tests.tools import create_member
from trytond.modules.spsti_base.tests.tools import as_user
from trytond.modules.spsti_planning.exceptions import (
    ConvocationError, SlotOverlapError, WorkplaceActionError)
from trytond.modules.spsti_planning.tests.test_slot import (
    MONDAY, create_requests, setup_agenda)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


def utc(hour, minute=0, day=MONDAY):
    "The UTC time of a local (Paris, winter) time of day."
    return dt.datetime.combine(day, dt.time(hour - 1, minute))


def create_action(member, participants, start, end, **values):
    pool = Pool()
    WorkplaceAction = pool.get('spsti.workplace_action')
    Type = pool.get('spsti.workplace_action.type')
    type_, = Type.search([], limit=1)
    action, = WorkplaceAction.create([{
                'type': type_.id,
                'member': member.id,
                'theme': "Étude du poste de cariste",
                'start': start,
                'end': end,
                'participants': [('add', [p.id for p in participants])],
                **values,
                }])
    return action


class SpstiWorkplaceActionTestCase(unittest.TestCase):
    "Test the workplace actions and reactivity of spsti_planning"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_planning')

    @with_transaction()
    def test_action_takes_the_agenda(self):
        "A planned action replaces the free slots and blocks the bookings"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        WorkplaceAction = pool.get('spsti.workplace_action')
        _, nurse, _, _ = setup_agenda()
        member, _ = create_member("Scierie Dupont", 301)
        slots = Slot.generate([nurse], MONDAY, MONDAY)
        self.assertEqual(len(slots), 6)
        visit, = create_requests(1)
        Slot.book(slots[:1], [visit])
        action = create_action(member, [nurse], utc(10), utc(11, 30))

        WorkplaceAction.plan([action])
        self.assertEqual(action.state, 'planned')
        taken, = action.slots
        self.assertEqual(
            (taken.professional, taken.start, taken.end, taken.state),
            (nurse, utc(10), utc(11, 30), 'booked'))
        self.assertIsNone(taken.centre)
        agenda = Slot.search([('professional', '=', nurse.id)])
        self.assertEqual([(s.start, s.state) for s in agenda], [
                (utc(9), 'booked'), (utc(9, 30), 'free'),
                (utc(10), 'booked'), (utc(11, 30), 'free')])
        self.assertEqual(Slot.generate([nurse], MONDAY, MONDAY), [])
        self.assertEqual(Slot.plan_day(nurse, MONDAY), [])
        self.assertIn(action.type.name, taken.rec_name)

        # Back to draft, the time is free again for new slots.
        WorkplaceAction.draft([action])
        self.assertEqual(action.slots, ())
        self.assertEqual(
            [s.start for s in Slot.generate([nurse], MONDAY, MONDAY)],
            [utc(10), utc(10, 30), utc(11)])

        # The nurse cannot be at two places at once (last: the error
        # aborts the transaction).
        other = create_action(member, [nurse], utc(9), utc(10))
        with self.assertRaisesRegex(
                SlotOverlapError, re.escape(nurse.rec_name)):
            WorkplaceAction.plan([other])

    @with_transaction()
    def test_action_done_is_not_a_visit(self):
        "Done actions close their slots; reminders, no-show rates and "
        "convocations are for visits only"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        WorkplaceAction = pool.get('spsti.workplace_action')
        Report = pool.get('spsti.slot.convocation.employee', type='report')
        Action = pool.get('ir.action.act_window')
        ModelData = pool.get('ir.model.data')
        org, nurse, _, _ = setup_agenda()
        member, _ = create_member("Scierie Dupont", 301)
        action = create_action(
            member, [nurse, org['doctor']], utc(14), utc(16))
        WorkplaceAction.plan([action])
        self.assertEqual(len(action.slots), 2)
        self.assertEqual(Slot.send_reminders(
                days=2, now=utc(8) - dt.timedelta(days=1)), [])
        with self.assertRaisesRegex(ConvocationError, "no visit booked"):
            Report.execute([action.slots[0].id], {})
        WorkplaceAction.do([action])
        self.assertEqual({s.state for s in action.slots}, {'done'})
        self.assertEqual(Slot.no_show_rates(MONDAY, MONDAY), {})

        empty = create_action(member, [], utc(17), utc(18))
        with self.assertRaisesRegex(WorkplaceActionError, "participant"):
            WorkplaceAction.plan([empty])
        WorkplaceAction.cancel([empty])
        self.assertEqual(empty.state, 'cancelled')

        # The history of the actions from a member, a site, an employee.
        assignment = create_requests(1)[0].assignment
        site, employee = assignment.establishment, assignment.employee
        study = create_action(site.member, [nurse], utc(17), utc(18),
            establishment=site.id, employees=[('add', [employee.id])])
        for model, records in [
                ('member', [site.member]),
                ('establishment', [site]),
                ('employee', [employee])]:
            act = Action(ModelData.get_id(
                    'spsti_planning', f'act_workplace_action_relate_{model}'))
            domain = PYSONDecoder(
                {'active_ids': [r.id for r in records]}).decode(
                act.pyson_domain)
            self.assertEqual(WorkplaceAction.search(domain), [study], model)

    @with_transaction()
    def test_action_access(self):
        "The nurse plans an action; billing does not see the actions"
        pool = Pool()
        WorkplaceAction = pool.get('spsti.workplace_action')
        org, nurse, _, _ = setup_agenda()
        member, _ = create_member("Scierie Dupont", 301)
        action = create_action(member, [nurse], utc(10), utc(11))
        users = org['users']
        with as_user(users['infirmier']):
            WorkplaceAction.plan([WorkplaceAction(action.id)])
        self.assertEqual(action.state, 'planned')
        with as_user(users['facturation']):
            with self.assertRaises(AccessError):
                WorkplaceAction.read([action.id], ['theme'])

    @with_transaction()
    def test_my_agenda(self):
        "My agenda shows the slots of the user's professional only"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        Action = pool.get('ir.action.act_window')
        ModelData = pool.get('ir.model.data')
        org, nurse, centre, _ = setup_agenda()
        Slot.generate([nurse], MONDAY, MONDAY)
        doctor = org['doctor']
        Slot.create([{
                    'professional': doctor.id,
                    'centre': centre.id,
                    'teleconsultation': True,
                    'start': utc(9),
                    'end': utc(9, 30),
                    }])
        action = Action(ModelData.get_id('spsti_planning', 'act_slot_mine'))
        user = org['users']['infirmier']
        self.assertEqual(nurse.user, user)
        domain = PYSONDecoder({'_user': user.id}).decode(
            action.pyson_domain)
        with as_user(user):
            slots = Slot.search(domain)
        self.assertEqual(len(slots), 6)
        self.assertEqual({s.professional for s in slots}, {nurse})

    @with_transaction()
    def test_reactivity(self):
        "Mean delays request to due date to visit, per visit type and team"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Reactivity = pool.get('spsti.visit.reactivity')
        setup_agenda()
        first, second = create_requests(2)
        VisitRequest.write([first, second],
            {'request_date': dt.date(2026, 1, 5)})
        self.assertEqual({r.due_date for r in [first, second]},
            {dt.date(2026, 4, 5)})
        VisitRequest.done([first], date=dt.date(2026, 3, 6))
        VisitRequest.done([second], date=dt.date(2026, 4, 15))
        with Transaction().set_context(
                from_date=dt.date(2026, 1, 1), to_date=dt.date(2026, 12, 31)):
            row, = Reactivity.search([('visit_type.code', '=', 'VIP-I')])
        self.assertEqual(row.team, first.assignment.team)
        self.assertEqual(row.visits, 2)
        self.assertAlmostEqual(row.request_to_due, 90)
        self.assertAlmostEqual(row.request_to_visit, (60 + 100) / 2)
        self.assertAlmostEqual(row.due_to_visit, (-30 + 10) / 2)
        self.assertEqual(row.late, 1)
        self.assertAlmostEqual(row.on_time_rate, 0.5)
        with Transaction().set_context(
                from_date=dt.date(2026, 4, 1), to_date=dt.date(2026, 12, 31)):
            row, = Reactivity.search([('visit_type.code', '=', 'VIP-I')])
        self.assertEqual((row.visits, row.late, row.on_time_rate), (1, 1, 0))

