"""Self-booking: the qualification and presence rules of a slot, the
policy of each visit type, the delay after which online changes close,
the calendar file of the confirmation, teleconsultation consent and the
booking indicators."""
import datetime as dt

import icalendar

from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.tests.tools import (
    as_user, load_lists, untranslated_strings)
from trytond.modules.spsti_booking.exceptions import (
    OnlineBookingError, SlotQualificationError, TeleconsultationConsentError)
from trytond.modules.spsti_dmst.tests.test_module import setup_file
from trytond.modules.spsti_planning.exceptions import BookingError
from trytond.modules.spsti_planning.tests.test_slot import create_requests
from trytond.modules.spsti_portal.tests.tools import queued_mail
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

# Now, to the hour (slots are stored in UTC without time zone).
NOW = dt.datetime.now().replace(minute=0, second=0, microsecond=0)
VIDEO = 'https://visio.example.org/spsti/{room}'


def setup_booking():
    """The demo organisation with self-booking open for the initial VIP,
    an employee of a member of the first team with a VIP and an aptitude
    exam to plan, and a web user for the employee."""
    pool = Pool()
    VisitType = pool.get('spsti.visit.type')
    VisitRequest = pool.get('spsti.visit.request')
    Configuration = pool.get('spsti.adherent.configuration')
    WebUser = pool.get('web.user')
    org = setup_referentials()
    Transaction().set_context(company=org['company'].id)
    configuration = Configuration(1)
    configuration.booking_lock_hours = 48
    configuration.video_link_pattern = VIDEO
    configuration.save()
    vip, = VisitType.search([('code', '=', 'VIP-I')])
    sir, = VisitType.search([('code', '=', 'SIR-I')])
    VisitType.write([vip, sir], {'booking_policy': 'online'})
    _, establishment = create_member("Garage Martin", 201)
    employee = create_employee("Martin", "Rémi", dt.date(1988, 4, 4))
    employee.email = 'remi.martin@example.org'
    employee.consent_email = True
    employee.save()
    assignment = create_assignment(employee, establishment,
        start=dt.date.today())
    requests = VisitRequest.create([{
                'employee': employee.id,
                'assignment': assignment.id,
                'member': assignment.member.id,
                'visit_type': t.id,
                'due_date': dt.date.today() + dt.timedelta(days=30),
                } for t in [vip, sir]])
    user, = WebUser.create([{
                'email': 'remi.martin@example.org', 'employee': employee.id}])
    return org, requests, user


def create_slot(professional, days, hours=9, visit_type=None,
        teleconsultation=False):
    "A free slot of professional at its centre, days from now."
    Slot = Pool().get('spsti.slot')
    start = NOW + dt.timedelta(days=days, hours=hours - NOW.hour)
    slot, = Slot.create([{
                'professional': professional.id,
                'centre': professional.centre.id,
                'room': (None if teleconsultation
                    else professional.centre.rooms[0].id),
                'teleconsultation': teleconsultation,
                'visit_type': visit_type.id if visit_type else None,
                'start': start,
                'end': start + dt.timedelta(minutes=30),
                }])
    return slot


def attachment(message):
    "The calendar file of an email, parsed by icalendar."
    part, = [p for p in message.iter_attachments()
        if p.get_content_type() == 'text/calendar']
    return part.get_param('method'), icalendar.Calendar.from_ical(
        part.get_content())


class SpstiBookingTestCase(ModuleTestCase):
    "Test spsti_booking module"
    module = 'spsti_booking'
    extras = ['spsti_pilotage', 'spsti_dmst']

    def assertCalendarSent(self, methods):
        """The mails queued, one per method to the employee, and the event
        of their calendar files."""
        messages = queued_mail()
        self.assertEqual(len(messages), len(methods))
        events = []
        for message, method in zip(messages, methods):
            self.assertEqual(message['To'], 'remi.martin@example.org')
            part_method, calendar = attachment(message)
            self.assertEqual((part_method, calendar['method']),
                (method, method))
            event, = calendar.walk('VEVENT')
            events.append(event)
        return messages, events

    @with_transaction()
    def test_qualification(self):
        """A VIP slot with a nurse cannot take an aptitude exam (SIR), which
        only a doctor performs; it takes the VIP, and the offer of each
        visit only has slots of qualified professionals"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        org, (vip, sir), _ = setup_booking()
        nurse, doctor = org['nurse'], org['doctor']
        nurse_slot = create_slot(nurse, 5, visit_type=vip.visit_type)
        other_nurse_slot = create_slot(nurse, 5, hours=10)
        doctor_slot = create_slot(doctor, 6)
        self.assertEqual(Slot.offer(sir), [doctor_slot])
        self.assertEqual(Slot.offer(vip),
            [nurse_slot, other_nurse_slot, doctor_slot])
        for slot in [nurse_slot, other_nurse_slot]:
            with self.assertRaisesRegex(SlotQualificationError,
                    'may not perform the visit "SIR-I - Examen médical'):
                Slot.book([slot], [sir])
        Slot.book([nurse_slot], [vip])
        Slot.book([doctor_slot], [sir])
        self.assertEqual(
            [(s.state, s.request, s.channel) for s in [nurse_slot,
                    doctor_slot]],
            [('booked', vip, 'staff'), ('booked', sir, 'staff')])

    @with_transaction()
    def test_mass_planning_follows_the_rules(self):
        """Mass planning pairs each request with a slot the booking rules
        accept and goes on: a visit requiring presence skips the
        teleconsultation slot, a visit whose rule wants the doctor skips
        the nurse's day, the others fill the slots left"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitType = pool.get('spsti.visit.type')
        VisitRequest = pool.get('spsti.visit.request')
        Rule = pool.get('spsti.periodicity.rule')
        Profession = pool.get('spsti.profession')
        org = setup_referentials()
        Transaction().set_context(company=org['company'].id)
        nurse = org['nurse']
        remote = create_slot(nurse, 5, hours=9, teleconsultation=True)
        room = create_slot(nurse, 5, hours=10)
        present, doctor_only, remote_ok = create_requests(3)
        periodic, = VisitType.search([('code', '=', 'VIP-P')])
        VisitType.write([present.visit_type], {'presence_required': True})
        # A rule of the service that leaves this VIP to the doctor.
        doctor_rule, = Rule.copy([doctor_only.rule], {'code': 'VIP-I-MDT'})
        Rule.write([doctor_rule], {'professions': [
                    ('remove', [p.id for p in doctor_rule.professions]),
                    ('add', [p.id for p in Profession.search(
                                [('doctor', '=', True)])])]})
        VisitRequest.write([present], {'priority': '1'},
            [doctor_only], {'priority': '2', 'rule': doctor_rule.id},
            [remote_ok], {'priority': '3', 'visit_type': periodic.id})

        booked = Slot.plan_day(nurse, room.start.date())
        self.assertEqual(sorted(booked, key=lambda s: s.start),
            [remote, room])
        self.assertEqual((room.request, remote.request),
            (present, remote_ok))
        self.assertEqual(doctor_only.state, 'to_plan')

    @with_transaction()
    def test_staff_only_refused_online(self):
        "A visit type booked by the staff only cannot be booked online"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitType = pool.get('spsti.visit.type')
        org, (vip, _), user = setup_booking()
        VisitType.write([vip.visit_type], {'booking_policy': 'staff'})
        slot = create_slot(org['nurse'], 5)
        with self.assertRaisesRegex(OnlineBookingError,
                'the service books the visits of type'):
            Slot.book_online(slot, vip, 'employee_portal', user)
        self.assertEqual(slot.state, 'free')

    @with_transaction()
    def test_changes_locked_before_the_slot(self):
        """Moving or cancelling inside the delay before the slot is refused
        with its message; outside it the visit goes back to plan"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        org, (vip, _), user = setup_booking()
        slot = create_slot(org['nurse'], 5)
        other = create_slot(org['nurse'], 6)
        too_soon = create_slot(org['nurse'], 1)
        with self.assertRaisesRegex(OnlineBookingError,
                'close 48 hours before'):
            Slot.book_online(too_soon, vip, 'employee_portal', user)
        Slot.book_online(slot, vip, 'employee_portal', user)
        # A move to a slot inside the delay keeps the appointment.
        with self.assertRaisesRegex(OnlineBookingError,
                'close 48 hours before'):
            Slot.move_online(vip, too_soon, 'employee_portal', user)
        self.assertEqual((vip.state, vip.slot), ('planned', slot))
        late = slot.start - dt.timedelta(hours=24)
        for operation in [
                lambda: Slot.cancel_online(vip, 'employee_portal', user,
                    now=late),
                lambda: Slot.move_online(vip, other, 'employee_portal',
                    user, now=late)]:
            with self.assertRaisesRegex(OnlineBookingError,
                    'can no longer be booked, moved or cancelled online'):
                operation()
        self.assertEqual((vip.state, slot.state), ('planned', 'booked'))
        Slot.cancel_online(vip, 'employee_portal', user,
            now=slot.start - dt.timedelta(hours=49))
        self.assertEqual((vip.state, slot.state, slot.channel),
            ('to_plan', 'free', None))

    @with_transaction()
    def test_slot_taken(self):
        "A slot booked meanwhile is refused with the planning's error"
        pool = Pool()
        Slot = pool.get('spsti.slot')
        org, (vip, sir), user = setup_booking()
        slot = create_slot(org['doctor'], 5)
        Slot.book([slot], [sir])
        with self.assertRaisesRegex(BookingError, 'is not free'):
            Slot.book_online(slot, vip, 'employee_portal', user)

    @with_transaction()
    def test_calendar_file(self):
        """The confirmation carries a calendar request of the slot; a move
        updates the same event, a cancellation cancels it"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        org, (vip, _), user = setup_booking()
        slot = create_slot(org['nurse'], 5)
        other = create_slot(org['nurse'], 7)
        Slot.book_online(slot, vip, 'employee_portal', user)
        Slot.move_online(vip, other, 'employee_portal', user)
        Slot.cancel_online(vip, 'employee_portal', user)
        messages, events = self.assertCalendarSent(
            ['REQUEST', 'REQUEST', 'CANCEL'])
        uid = events[0]['uid']
        self.assertRegex(uid, rf'^spsti-visit-{vip.id}@')
        self.assertEqual([e['uid'] for e in events], [uid] * 3)
        self.assertEqual([e['sequence'] for e in events], [0, 1, 2])
        self.assertEqual(
            [e.decoded('dtstart') for e in events],
            [s.start.replace(tzinfo=dt.timezone.utc)
                for s in [slot, other, other]])
        self.assertEqual(events[0].decoded('dtend'),
            slot.end.replace(tzinfo=dt.timezone.utc))
        self.assertIn(org['nurse'].centre.name, str(events[0]['location']))
        self.assertEqual([str(e['status']) for e in events],
            ['CONFIRMED', 'CONFIRMED', 'CANCELLED'])
        self.assertIn('MARTIN Rémi', messages[0].get_body().get_content())

    @with_transaction()
    def test_staff_changes_update_the_calendar(self):
        """The service moving a visit booked online sends the same event
        with the next sequence to who received it, releasing it sends its
        cancellation; a visit the service booked sends nothing"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        Release = pool.get('spsti.slot.release', type='wizard')
        org, (vip, sir), user = setup_booking()
        slot = create_slot(org['nurse'], 5)
        other = create_slot(org['nurse'], 7)
        staff_slot = create_slot(org['doctor'], 6)
        Slot.book_online(slot, vip, 'employee_portal', user)
        Slot.book([staff_slot], [sir])

        def release(record, new_slot=None):
            session_id, _, _ = Release.create()
            wizard = Release(session_id)
            with as_user(org['users']['planification']), \
                    Transaction().set_context(active_model='spsti.slot',
                        active_id=record.id, active_ids=[record.id]):
                wizard.start.reason = "Absence du professionnel"
                wizard.start.new_slot = new_slot
                wizard.transition_release()

        release(slot, other)
        self.assertEqual((other.request, other.channel, other.booked_by),
            (vip, 'staff', user))
        release(other)
        release(staff_slot)
        self.assertEqual((vip.state, sir.state), ('to_plan', 'to_plan'))
        messages, events = self.assertCalendarSent(
            ['REQUEST', 'REQUEST', 'CANCEL'])
        self.assertEqual(len({e['uid'] for e in events}), 1)
        self.assertEqual([e['sequence'] for e in events], [0, 1, 2])
        self.assertEqual([e.decoded('dtstart') for e in events],
            [s.start.replace(tzinfo=dt.timezone.utc)
                for s in [slot, other, other]])

    @with_transaction()
    def test_teleconsultation(self):
        """A teleconsultation is booked online only with the employee's
        consent, which the employer cannot give; it gets a video link of
        the service's tool; a visit type requiring presence never goes on
        a teleconsultation slot"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitType = pool.get('spsti.visit.type')
        WebUser = pool.get('web.user')
        org, (vip, _), user = setup_booking()
        remote = create_slot(org['nurse'], 5, teleconsultation=True)
        employer, = WebUser.create([{'email': 'rh@garage.example.org'}])
        for channel, who in [('employer_portal', employer),
                ('employee_portal', user)]:
            with self.assertRaisesRegex(OnlineBookingError,
                    'consent of the employee "MARTIN'):
                Slot.book_online(remote, vip, channel, who,
                    consent=channel == 'employer_portal')
        Slot.book_online(remote, vip, 'employee_portal', user, consent=True)
        self.assertEqual(
            (vip.teleconsultation_consent_channel,
                vip.teleconsultation_consent_by, remote.channel),
            ('employee_portal', 'remi.martin@example.org',
                'employee_portal'))
        self.assertIsNotNone(vip.teleconsultation_consent)
        self.assertRegex(remote.video_link,
            r'^https://visio\.example\.org/spsti/[\w-]{20,}$')
        message, = queued_mail()
        self.assertIn(remote.video_link, message.get_body().get_content())
        _, calendar = attachment(message)
        event, = calendar.walk('VEVENT')
        self.assertEqual(str(event['url']), remote.video_link)

        Slot.cancel_online(vip, 'employee_portal', user)
        self.assertIsNone(remote.video_link)
        VisitType.write([vip.visit_type], {'presence_required': True})
        self.assertNotIn(remote, Slot.offer(vip))
        with self.assertRaisesRegex(SlotQualificationError,
                'requires the employee\'s presence: it cannot be booked '
                'on the teleconsultation slot'):
            Slot.book([remote], [vip])

    @with_transaction()
    def test_teleconsultation_consent_at_the_visit(self):
        """A consultation held by teleconsultation is not issued before the
        employee's consent is recorded; the staff records it from the
        slot (date, channel, user) and the consultation is issued"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        Consultation = pool.get('spsti.dmst.consultation')
        RecordConsent = pool.get(
            'spsti.visit.request.record_consent', type='wizard')
        org, _, consultation, request = setup_file()
        Transaction().set_context(company=org['company'].id)
        remote = create_slot(org['nurse'], 5, teleconsultation=True)
        Slot.book([remote], [request])
        Consultation.write([consultation], {'mode': 'teleconsultation'})
        with self.assertRaisesRegex(TeleconsultationConsentError,
                'The consultation "VIP-I .*" is a teleconsultation: .* '
                'consent of the employee "MARTIN Rémi - 04/04/1988"'):
            Consultation.issue([consultation])
        self.assertEqual(consultation.state, 'draft')

        session_id, _, _ = RecordConsent.create()
        wizard = RecordConsent(session_id)
        with as_user(org['users']['planification']), \
                Transaction().set_context(active_model='spsti.slot',
                    active_id=remote.id, active_ids=[remote.id]):
            defaults = wizard.default_start(None)
            self.assertEqual(
                (defaults['request'], defaults['employee'],
                    defaults['channel']),
                (request.id, request.employee.id, 'phone'))
            wizard.start.employee = request.employee
            wizard.start.request = request
            wizard.start.date = dt.datetime(2026, 2, 1, 9)
            wizard.start.channel = 'in_person'
            wizard.transition_record_consent()
        self.assertEqual(
            (request.teleconsultation_consent,
                request.teleconsultation_consent_channel,
                request.teleconsultation_consent_by),
            (dt.datetime(2026, 2, 1, 9), 'in_person',
                org['users']['planification'].rec_name))
        Consultation.issue([consultation])
        self.assertEqual(consultation.state, 'issued')

    @with_transaction()
    def test_consent_from_the_employee(self):
        """From the employee form the consent goes to their planned
        visit; an employee without open visit is told so"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        RecordConsent = pool.get(
            'spsti.visit.request.record_consent', type='wizard')
        org, (vip, sir), _ = setup_booking()
        other = create_employee("Petit", "Léa", dt.date(1990, 1, 1), seed=9)
        Slot.book([create_slot(org['doctor'], 5)], [sir])
        session_id, _, _ = RecordConsent.create()
        wizard = RecordConsent(session_id)
        employee = vip.employee
        with Transaction().set_context(active_model='spsti.employee',
                active_id=employee.id, active_ids=[employee.id]):
            defaults = wizard.default_start(None)
        self.assertEqual((defaults['employee'], defaults['request']),
            (employee.id, sir.id))
        with Transaction().set_context(active_model='spsti.employee',
                active_id=other.id, active_ids=[other.id]):
            with self.assertRaisesRegex(TeleconsultationConsentError,
                    'no visit to plan or planned'):
                RecordConsent(session_id).default_start(None)

    @with_transaction()
    def test_demo(self):
        """The demo books visits on teleconsultation slots with the
        employee's consent recorded, never a visit requiring presence;
        a rerun adds nothing"""
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Slot = pool.get('spsti.slot')
        load_lists()
        Demo.generate(DemoContext(members=5, employees=80, seed=3))
        remote = Slot.search([
                ('state', '=', 'booked'),
                ('teleconsultation', '=', True),
                ('request', '!=', None),
                ])
        self.assertTrue(remote)
        self.assertEqual(
            [s for s in remote if not s.request.teleconsultation_consent
                or s.request.visit_type.presence_required], [])
        count = Slot.search_count([])
        Demo.generate(DemoContext(members=5, employees=80, seed=3))
        self.assertEqual(Slot.search_count([]), count)

    @with_transaction()
    def test_indicators(self):
        """Share booked online, no-show rate by channel and share held by
        teleconsultation, on slots counted by hand"""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        VisitRequest = pool.get('spsti.visit.request')
        Indicator = pool.get('spsti.indicator')
        org, _, _ = setup_booking()
        vip_type = pool.get('spsti.visit.type').search(
            [('code', '=', 'VIP-P')])[0]
        _, establishment = create_member("Boulangerie Petit", 202)
        nurse = org['nurse']
        # Ten past visits: (channel, state, teleconsultation).
        visits = [
            ('employee_portal', 'done', True),
            ('employee_portal', 'no_show', False),
            ('employer_portal', 'done', False),
            ('employer_portal', 'done', False),
            ('staff', 'done', True),
            ('staff', 'no_show', False),
            ('staff', 'no_show', False),
            ('staff', 'done', False),
            (None, 'done', False),
            (None, 'done', False),
            ]
        assignments = [create_assignment(
                create_employee("Petit", f"Léa{i}", dt.date(1990, 1, 1),
                    seed=i + 10), establishment, start=dt.date(2020, 1, 1))
            for i in range(len(visits) + 1)]
        requests = VisitRequest.create([{
                    'employee': a.employee.id,
                    'assignment': a.id,
                    'member': a.member.id,
                    'visit_type': vip_type.id,
                    } for a in assignments])
        start = dt.datetime(2025, 3, 3, 8)
        slots = Slot.create([{
                    'professional': nurse.id,
                    'centre': nurse.centre.id,
                    'room': None if remote else nurse.centre.rooms[0].id,
                    'teleconsultation': remote,
                    'start': start + dt.timedelta(hours=i),
                    'end': start + dt.timedelta(hours=i, minutes=30),
                    'state': state,
                    'request': r.id,
                    'channel': channel,
                    } for i, ((channel, state, remote), r) in enumerate(
                    zip(visits, requests))]
            + [{
                    # Booked by the employee for later in the period.
                    'professional': nurse.id,
                    'centre': nurse.centre.id,
                    'room': nurse.centre.rooms[0].id,
                    'start': dt.datetime(2025, 6, 2, 8),
                    'end': dt.datetime(2025, 6, 2, 8, 30),
                    'state': 'booked',
                    'request': requests[-1].id,
                    'channel': 'employee_portal',
                    }])
        self.assertEqual(len(slots), 11)
        indicators = Indicator.search([('code', 'in', ['BOOKED_ONLINE',
                        'NO_SHOW_ONLINE', 'NO_SHOW_STAFF',
                        'TELECONSULTATION'])])
        measures = Indicator.compute(indicators, dt.date(2025, 1, 1),
            dt.date(2025, 12, 31))
        self.assertEqual(
            {m.indicator.code: (m.numerator, m.denominator)
                for m in measures},
            {
                # 5 of the 11 slots booked on the portal.
                'BOOKED_ONLINE': (5, 11),
                # 1 no-show of the 4 held or missed booked online.
                'NO_SHOW_ONLINE': (1, 4),
                # 2 of the 6 of the staff (4) and unrecorded (2).
                'NO_SHOW_STAFF': (2, 6),
                # 2 of the 7 visits done.
                'TELECONSULTATION': (2, 7),
                })

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_booking'), [])


del ModuleTestCase
