"""Self-booking of the slots the service opens: the offer of a visit
request, booking, moving and cancelling online with the delay of the
service, teleconsultation links, and the confirmation email with its
calendar file. Every booking goes through Slot.book of spsti_planning (the
row lock that makes concurrent bookings of a slot wait, then fail with its
translated error)."""
import datetime as dt
import secrets
from email.message import EmailMessage

from trytond import config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.spsti_planning.exceptions import BookingError
from trytond.modules.spsti_planning.slot import (
    format_datetime, midnight, timezone)
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction, without_check_access

from . import ics
from .exceptions import OnlineBookingError, SlotQualificationError

CHANNELS = [
    (None, ""),
    ('staff', "Service staff (phone, email, desk)"),
    ('employer_portal', "Employer portal"),
    ('employee_portal', "Employee portal"),
    ]
ONLINE_CHANNELS = ['employer_portal', 'employee_portal']


class Slot(metaclass=PoolMeta):
    __name__ = 'spsti.slot'
    channel = fields.Selection(
        CHANNELS, "Booking Channel", readonly=True,
        help="How the visit was booked: by the service or on the portal.")
    video_link = fields.Char(
        "Video Link", readonly=True,
        help="The room of the service's video tool of a teleconsultation, "
        "drawn when it is booked.")
    booked_by = fields.Many2One(
        'web.user', "Booked By (portal)", readonly=True, ondelete='SET NULL',
        help="The portal account that booked the visit and received its "
        "calendar invitation: it gets the updates of a move or a "
        "release by the service.")

    # Booking, by any channel

    @classmethod
    def book(cls, slots, requests, channel='staff', booked_by=None):
        """Book as spsti_planning does, by channel (and portal account);
        the professional must be qualified for the visit type and a visit
        type that requires presence never goes on a teleconsultation slot.
        A teleconsultation gets its video link."""
        cls.check_booking(slots, requests)
        super().book(slots, requests)
        pattern = cls._video_link_pattern()
        args = []
        for slot in slots:
            values = {
                'channel': channel,
                'booked_by': booked_by.id if booked_by else None,
                }
            if slot.teleconsultation and pattern:
                values['video_link'] = pattern.replace(
                    '{room}', secrets.token_urlsafe(16))
            args.extend(([slot], values))
        if args:
            cls.write(*args)

    @classmethod
    def follow_requests(cls, requests, state):
        "A slot freed forgets how it was booked and its video room."
        if state == 'free':
            freed = cls.search([
                    ('request', 'in', [r.id for r in requests]),
                    ('state', '=', 'booked'),
                    ])
            if freed:
                cls.write(freed, {
                        'channel': None,
                        'video_link': None,
                        'booked_by': None,
                        })
        super().follow_requests(requests, state)

    @classmethod
    def release(cls, slots, reason):
        """The calendar event of a visit booked online that the service
        frees is cancelled for those who received it (an online
        cancellation or move sends its own: context booking_notified)."""
        if not Transaction().context.get('booking_notified'):
            cls.send_release(slots)
        super().release(slots, reason)

    @classmethod
    def reschedule(cls, slots, new_slots, reason):
        """A visit booked online that the service moves: those who received
        its calendar event get it updated (same UID, next sequence) and
        the new slot keeps the portal account that booked it."""
        VisitRequest = Pool().get('spsti.visit.request')
        moved = [(s.request, s.booked_by, new)
            for s, new in zip(slots, new_slots, strict=True)
            if s.state == 'booked' and s.request and s.booked_by]
        with Transaction().set_context(booking_notified=True):
            super().reschedule(slots, new_slots, reason)
        if not moved:
            return
        cls.write(*[x for _, user, new in moved
                for x in ([new], {'booked_by': user.id})])
        VisitRequest.write(*[x for request, _, _ in moved
                for x in ([request], {
                        'calendar_sequence': request.calendar_sequence + 1,
                        })])
        for request, user, new in moved:
            cls.send_appointment(new, request, 'REQUEST', user)

    @classmethod
    def send_release(cls, slots):
        "Send the cancellation of the visits booked online of slots."
        VisitRequest = Pool().get('spsti.visit.request')
        released = [s for s in slots
            if s.state == 'booked' and s.request and s.booked_by]
        for slot in released:
            cls.send_appointment(slot, slot.request, 'CANCEL',
                slot.booked_by,
                sequence=slot.request.calendar_sequence + 1)
        if released:
            VisitRequest.write(*[x for s in released
                    for x in ([s.request], {
                            'calendar_sequence': (
                                s.request.calendar_sequence + 1),
                            })])

    @classmethod
    def check_booking(cls, slots, requests):
        for slot, request in zip(slots, requests, strict=True):
            professions = cls.qualified_professions(request)
            if slot.professional.profession.id not in professions:
                Profession = Pool().get('spsti.profession')
                raise SlotQualificationError(gettext(
                        'spsti_booking.msg_slot_qualification',
                        slot=slot.rec_name,
                        profession=slot.professional.profession.rec_name,
                        request=request.rec_name,
                        professions=', '.join(p.rec_name
                            for p in Profession.browse(professions))))
            if slot.teleconsultation and request.visit_type.presence_required:
                raise SlotQualificationError(gettext(
                        'spsti_booking.msg_slot_presence_required',
                        slot=slot.rec_name,
                        visit_type=request.visit_type.rec_name))

    @classmethod
    def qualified_professions(cls, request):
        """The ids of the professions that may perform request: those of
        the periodicity rules (spsti_planning's performed_by); a visit
        type no rule names (e.g. visite à la demande) is the doctor's."""
        return [p.id for p in request.performed_by] or cls._doctors()

    @staticmethod
    def _doctors():
        Profession = Pool().get('spsti.profession')
        return [p.id for p in Profession.search([('doctor', '=', True)])]

    @classmethod
    def planning_compatibility(cls, professional, date):
        """Mass planning skips the slots the booking rules refuse to a
        request instead of failing on them: the answer is computed once
        per professions performing the visit (those of its rule, read for
        the whole chunk of requests), presence required, profession of the
        slot and teleconsultation."""
        compatible = super().planning_compatibility(professional, date)
        answers = {}

        def qualified(slot, request):
            key = (tuple(p.id for p in request.performed_by),
                request.visit_type.presence_required,
                slot.professional.profession.id, slot.teleconsultation)
            if key not in answers:
                professions, presence, profession, remote = key
                answers[key] = (
                    profession in (professions or cls._doctors())
                    and not (remote and presence))
            return answers[key] and compatible(slot, request)
        return qualified

    @staticmethod
    def _video_link_pattern():
        Configuration = Pool().get('spsti.adherent.configuration')
        return Configuration(1).video_link_pattern

    # The offer of a visit request

    @classmethod
    def booking_window(cls, now=None):
        """(first, last) start of the slots the portal deals with: from the
        delay after which online changes close to the horizon."""
        Configuration = Pool().get('spsti.adherent.configuration')
        configuration = Configuration(1)
        now = now or dt.datetime.now()
        return (now + dt.timedelta(hours=configuration.booking_lock_hours),
            now + dt.timedelta(days=configuration.booking_horizon_days))

    @classmethod
    def booking_centres(cls, request):
        """The centres where the employee of request is received: those of
        the sector of its team (main centre first), else of its
        establishment or member."""
        team = request.team
        sector = (team.sector if team else None) or (
            request.assignment.establishment.sector
            if request.assignment.establishment else None) or (
            request.member.sector)
        centres = [team.centre] if team and team.centre else []
        if sector:
            centres += [c for c in sector.centres if c not in centres]
        return centres

    @classmethod
    def offer_domain(cls, request, now=None):
        "The domain of the free slots request may be booked into online."
        first, last = cls.booking_window(now)
        if request.earliest_date:
            first = max(first, midnight(request.earliest_date, timezone()))
        places = [('centre', 'in', [c.id for c in cls.booking_centres(
                        request)]),
            ('teleconsultation', '=', False)]
        if (not request.visit_type.presence_required
                and cls._video_link_pattern()):
            places = ['OR', places, ('teleconsultation', '=', True)]
        return [
            ('state', '=', 'free'),
            ('workplace_action', '=', None),
            ('start', '>=', first),
            ('start', '<', last),
            ['OR',
                ('visit_type', '=', None),
                ('visit_type', '=', request.visit_type.id)],
            ('professional.profession', 'in',
                cls.qualified_professions(request)),
            places,
            ]

    @classmethod
    def offer(cls, request, limit=40, now=None):
        """The first free slots request may be booked into online, the
        earliest first: those before its due date come first."""
        return cls.search(cls.offer_domain(request, now),
            order=[('start', 'ASC'), ('id', 'ASC')], limit=limit)

    # Online operations

    @classmethod
    def check_online(cls, request, channel):
        if request.visit_type.booking_policy != 'online':
            raise OnlineBookingError(gettext(
                    'spsti_booking.msg_booking_staff_only',
                    visit_type=request.visit_type.rec_name,
                    request=request.rec_name))
        if channel == 'employer_portal' and request.origin == 'employee':
            # The employer is not told of the visits the employee asks for
            # (R4624-34).
            raise OnlineBookingError(gettext(
                    'spsti_booking.msg_booking_not_offered',
                    request=request.rec_name))

    @classmethod
    def check_locked(cls, slot, now=None):
        "Online changes of slot close the configured delay before it."
        Configuration = Pool().get('spsti.adherent.configuration')
        hours = Configuration(1).booking_lock_hours
        now = now or dt.datetime.now()
        if slot.start < now + dt.timedelta(hours=hours):
            raise OnlineBookingError(gettext(
                    'spsti_booking.msg_booking_locked',
                    date=format_datetime(slot.start, timezone()),
                    hours=hours))

    @classmethod
    def book_online(cls, slot, request, channel, user, consent=False,
            now=None):
        """Book request into slot from the portal (channel) for the web
        user: the visit type open to self-booking, the slot among the
        offer, the employee's consent for a teleconsultation (given now
        with consent, or recorded). The confirmation is emailed with its
        calendar file."""
        VisitRequest = Pool().get('spsti.visit.request')
        now = now or dt.datetime.now()
        cls.check_online(request, channel)
        cls.check_offered(slot, request, now)
        if slot.teleconsultation and not request.teleconsultation_consent:
            if not consent or channel != 'employee_portal':
                raise OnlineBookingError(gettext(
                        'spsti_booking.msg_teleconsultation_consent',
                        employee=request.employee.rec_name,
                        slot=slot.rec_name))
            VisitRequest.record_teleconsultation_consent(
                [request], channel, user.email, now)
        cls.book([slot], [request], channel=channel, booked_by=user)
        cls.send_appointment(slot, request, 'REQUEST', user)

    @classmethod
    def check_offered(cls, slot, request, now):
        cls.check_locked(slot, now)
        if not cls.search([('id', '=', slot.id)]
                + cls.offer_domain(request, now), limit=1):
            if slot.state != 'free':
                # Taken meanwhile: the error of spsti_planning's booking.
                raise BookingError(gettext(
                        'spsti_planning.msg_slot_not_free',
                        slot=slot.rec_name))
            raise OnlineBookingError(gettext(
                    'spsti_booking.msg_booking_not_offered',
                    request=request.rec_name))

    @classmethod
    def move_online(cls, request, new_slot, channel, user, consent=False,
            now=None):
        """Move the planned visit of request to new_slot, both beyond the
        delay; the calendar event is updated (same UID, next sequence)."""
        VisitRequest = Pool().get('spsti.visit.request')
        now = now or dt.datetime.now()
        slot = cls.booked_slot(request)
        cls.check_online(request, channel)
        cls.check_locked(slot, now)
        # The new slot is checked before the current one is freed.
        cls.check_offered(new_slot, request, now)
        with Transaction().set_context(booking_notified=True):
            cls.release([slot], gettext(
                    'spsti_booking.msg_reason_moved_online'))
        VisitRequest.write([request], {
                'calendar_sequence': request.calendar_sequence + 1})
        cls.book_online(new_slot, request, channel, user, consent=consent,
            now=now)

    @classmethod
    def cancel_online(cls, request, channel, user, now=None):
        """Cancel the appointment of the planned request (the visit stays
        to plan: it is still due), beyond the delay; the calendar event is
        cancelled."""
        VisitRequest = Pool().get('spsti.visit.request')
        now = now or dt.datetime.now()
        slot = cls.booked_slot(request)
        cls.check_online(request, channel)
        cls.check_locked(slot, now)
        # The calendar file needs the slot as it was booked.
        cls.send_appointment(slot, request, 'CANCEL', user,
            sequence=request.calendar_sequence + 1)
        with Transaction().set_context(booking_notified=True):
            cls.release([slot], gettext(
                    'spsti_booking.msg_reason_cancelled_online'))
        VisitRequest.write([request], {
                'calendar_sequence': request.calendar_sequence + 1})

    @classmethod
    def booked_slot(cls, request):
        if request.state != 'planned' or not request.slot:
            raise OnlineBookingError(gettext(
                    'spsti_booking.msg_booking_not_planned',
                    request=request.rec_name))
        return request.slot

    # Confirmation

    @classmethod
    def send_appointment(cls, slot, request, method, user, sequence=None):
        """Email the calendar file of the appointment to the web user who
        acted (or booked it, when the service changes it) and to the
        employee (when they accept emails), as the reminders are sent:
        when the transaction commits. Only the employee's name, the visit
        type, the date and the place: no health data."""
        # The service's staff do not read the portal accounts.
        with without_check_access():
            recipients = [user.email] if user.email else []
        employee = request.employee
        if (employee.email and employee.consent_email
                and employee.email not in recipients):
            recipients.append(employee.email)
        sender = config.get('email', 'from')
        tz = timezone()
        place = slot.video_link or slot.place
        values = {
            'employee': employee.rec_name,
            'visit_type': request.visit_type.name,
            'date': format_datetime(slot.start, tz),
            'place': place,
            'professional': slot.professional.rec_name,
            }
        summary = gettext('spsti_booking.msg_calendar_summary', **values)
        if method == 'CANCEL':
            subject = gettext('spsti_booking.msg_email_cancel_subject',
                **values)
            text = gettext('spsti_booking.msg_email_cancel_text', **values)
        else:
            subject = gettext('spsti_booking.msg_email_subject', **values)
            text = gettext('spsti_booking.msg_email_text', **values)
            if slot.teleconsultation:
                text += '\n\n' + gettext(
                    'spsti_booking.msg_email_teleconsultation', **values)
        calendar = ics.appointment(request, slot, method,
            request.calendar_sequence if sequence is None else sequence,
            sender, recipients, summary, place, text)
        msg = EmailMessage()
        msg['From'] = sender
        msg['To'] = ', '.join(recipients)
        msg['Subject'] = subject
        msg.set_content(text)
        msg.add_attachment(calendar.decode('utf-8'), subtype='calendar',
            filename='rendez-vous.ics', params={'method': method})
        send_message_transactional(msg)
