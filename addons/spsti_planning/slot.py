"""Créneaux des agendas: generation from the working time, booking of visit
requests, rescheduling, no-shows, mass planning and reminders."""
import datetime as dt
import re
from collections import defaultdict
from contextlib import contextmanager
from email.message import EmailMessage

from sql import Column, For, Null
from sql.aggregate import Count
from sql.conditionals import Case

from trytond import backend, config
from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import (
    Check, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.tools.timezone import UTC, get_tzinfo
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import sms
from .exceptions import BookingError, SlotOverlapError, SlotValidationError

STATES = [
    ('free', "Free"),
    ('booked', "Booked"),
    ('cancelled', "Cancelled"),
    ('done', "Done"),
    ('no_show', "No-show"),
    ]
# The exclusion constraints of PostgreSQL: name -> column that may not
# have two overlapping non-cancelled slots.
OVERLAP_CONSTRAINTS = {
    'spsti_slot_professional_overlap': 'professional',
    'spsti_slot_room_overlap': 'room',
    }
RESOURCE_MODELS = {
    'professional': 'spsti.professional',
    'room': 'spsti.centre.room',
    }
# First key of the advisory locks that serialise the bookings of one
# resource (the second key is its id).
RESOURCE_LOCK_KEYS = {
    'professional': 0x5370_0001,
    'room': 0x5370_0002,
    }
# The fields of a slot whose change may create an overlap (besides the
# state of a cancelled slot).
OVERLAP_FIELDS = {'professional', 'room', 'start', 'end'}
# Detail of an exclusion violation: the new key, then the existing one,
# e.g. Key (professional, tsrange(...))=(5, ["2026-03-02 09:00:00","...")).
OVERLAP_KEY = re.compile(r'=\((\d+), [\[(]"([^"]+)","([^"]+)"[\])]\)')
_free = {'readonly': Eval('state') != 'free'}
# The slots a visit request of the form's visit type may be booked into.
FREE_SLOT_DOMAIN = [
    ('state', '=', 'free'),
    ['OR',
        ('visit_type', '=', None),
        ('visit_type', '=', Eval('visit_type', -1))],
    ]


def timezone():
    """The service's time zone (the company's): datetimes are stored in UTC,
    working times are planned and slots shown in local time."""
    Company = Pool().get('company.company')
    company = Transaction().context.get('company')
    zone = Company(company).timezone if company else None
    return get_tzinfo(zone) if zone else UTC


def to_utc(value, tz):
    return value.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def to_local(value, tz):
    return value.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def format_datetime(value, tz):
    return to_local(value, tz).strftime('%d/%m/%Y %H:%M')


def midnight(date, tz):
    "The UTC datetime of the local start of date."
    return to_utc(dt.datetime.combine(date, dt.time()), tz)


class Slot(Workflow, ModelSQL, ModelView):
    """Créneau: a period of a professional's agenda at a centre, in a room
    or by teleconsultation, free or booked for a visit request.

    Two non-cancelled slots of the same professional, or of the same room,
    never overlap: exclusion constraints on PostgreSQL (they hold between
    concurrent transactions), a check in validate on SQLite (whose writes
    are serialised)."""
    __name__ = 'spsti.slot'
    __string__ = "Slot"
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='RESTRICT', states=_free)
    centre = fields.Many2One(
        'spsti.centre', "Centre", ondelete='RESTRICT',
        states={
            'readonly': Eval('state') != 'free',
            'required': ~Bool(Eval('workplace_action')),
            })
    room = fields.Many2One(
        'spsti.centre.room', "Room", ondelete='RESTRICT',
        domain=[('centre', '=', Eval('centre', -1))],
        states={
            'readonly': Eval('state') != 'free',
            'required': (~Eval('teleconsultation', False)
                & ~Bool(Eval('workplace_action'))),
            },
        help="Empty for a teleconsultation or a workplace action.")
    # Appointments are to the minute.
    start = fields.DateTime(
        "Start", format='%H:%M', required=True, states=_free)
    end = fields.DateTime("End", format='%H:%M', required=True, states=_free)
    visit_type = fields.Many2One(
        'spsti.visit.type', "Reserved for", ondelete='RESTRICT',
        states=_free, help="Only a visit of this type may be booked.")
    teleconsultation = fields.Boolean("Teleconsultation", states=_free)
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    state_string = state.translated('state')
    summary = fields.Function(fields.Char("Summary"), 'get_summary')
    request = fields.Many2One(
        'spsti.visit.request', "Visit Request", readonly=True,
        ondelete='RESTRICT')
    workplace_action = fields.Many2One(
        'spsti.workplace_action', "Workplace Action", readonly=True,
        ondelete='CASCADE',
        help="The action at a member's site that takes this time.")
    employee = fields.Function(
        fields.Many2One('spsti.employee', "Employee"), 'get_request_field')
    member = fields.Function(
        fields.Many2One('spsti.member', "Employer"), 'get_request_field')
    reminder_sent = fields.DateTime(
        "Reminder Sent", readonly=True,
        help="When the reminder was sent; it is sent once.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('end_after_start', Check(t, t.end > t.start),
                'spsti_planning.msg_slot_end_after_start'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.professional, Index.Equality()),
                    (t.start, Index.Range())),
                Index(t, (t.start, Index.Range()),
                    where=t.state == 'booked'),
                Index(t, (t.request, Index.Equality())),
                Index(t, (t.workplace_action, Index.Equality())),
                })
        cls._order = [('start', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('free', 'booked'),
            ('booked', 'free'),
            ('free', 'cancelled'),
            ('cancelled', 'free'),
            ('booked', 'done'),
            ('booked', 'no_show'),
            }
        cls._buttons.update({
                'cancel': {
                    'invisible': Eval('state') != 'free',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'book_wizard': {
                    'invisible': Eval('state') != 'free',
                    'depends': ['state'],
                    },
                'release_wizard': {
                    'invisible': ((Eval('state') != 'booked')
                        | Bool(Eval('workplace_action'))),
                    'depends': ['state', 'workplace_action'],
                    },
                'record_no_show': {
                    'invisible': ((Eval('state') != 'booked')
                        | Bool(Eval('workplace_action'))),
                    'depends': ['state', 'workplace_action'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        if backend.name == 'postgresql':
            cls._register_overlap_constraints()

    @classmethod
    def _register_overlap_constraints(cls):
        # By hand: trytond creates an Exclude of _sql_constraints only when
        # btree_gist is already installed (seen from another connection, so
        # not during this installation), else it checks in Python under a
        # table lock.
        cursor = Transaction().connection.cursor()
        cursor.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        for name, column in OVERLAP_CONSTRAINTS.items():
            cursor.execute('SELECT 1 FROM pg_constraint '
                'WHERE conname = %s AND conrelid = %s::regclass',
                (name, cls._table))
            if not cursor.fetchone():
                cursor.execute(
                    f'ALTER TABLE "{cls._table}" ADD CONSTRAINT "{name}" '
                    f'EXCLUDE USING gist ("{column}" WITH =, '
                    'tsrange("start", "end") WITH &&) '
                    "WHERE (state != 'cancelled')")

    @classmethod
    def default_state(cls):
        return 'free'

    @classmethod
    def default_teleconsultation(cls):
        return False

    def get_rec_name(self, name):
        tz = timezone()
        name = (f'{self.professional.rec_name} '
            f'{format_datetime(self.start, tz)}'
            f'-{to_local(self.end, tz).strftime("%H:%M")}')
        if self.workplace_action:
            name += f' {self.workplace_action.rec_name}'
        return name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('professional.rec_name',) + tuple(clause[1:])]

    def get_summary(self, name):
        "What the agendas show of the slot."
        if self.workplace_action:
            return self.workplace_action.rec_name
        if self.request:
            summary = (f'{self.request.employee.rec_name} '
                f'({self.request.visit_type.code})')
            if self.state != 'booked':
                summary = f'{self.state_string}: {summary}'
            return summary
        summary = self.state_string
        if self.visit_type:
            summary += f' ({self.visit_type.code})'
        return summary

    def get_request_field(self, name):
        if self.request:
            return getattr(self.request, name).id

    @fields.depends('room', 'centre')
    def on_change_room(self):
        if self.room:
            self.centre = self.room.centre

    @fields.depends('start', 'end', 'visit_type')
    def on_change_start(self):
        if self.start and not self.end:
            minutes = (self.visit_type.duration
                if self.visit_type and self.visit_type.duration else 30)
            self.end = self.start + dt.timedelta(minutes=minutes)

    # Double booking

    @classmethod
    def create(cls, vlist):
        with cls._overlap_guard(
                (c, v.get(c)) for v in vlist for c in RESOURCE_LOCK_KEYS):
            return super().create(vlist)

    @classmethod
    def write(cls, *args):
        with cls._overlap_guard(cls._written_resources(args)):
            super().write(*args)

    @staticmethod
    def _written_resources(args):
        "(column, id) of the professionals and rooms a write may overlap."
        actions = iter(args)
        for slots, values in zip(actions, actions):
            if (OVERLAP_FIELDS & values.keys()
                    or 'state' in values
                    and any(s.state == 'cancelled' for s in slots)):
                for slot in slots:
                    for column in RESOURCE_LOCK_KEYS:
                        yield column, (values[column] if column in values
                            else getattr(getattr(slot, column), 'id', None))

    @classmethod
    @contextmanager
    def _overlap_guard(cls, resources):
        """On PostgreSQL, the bookings of each professional and room of
        resources, (column, id) pairs, are serialised until commit: without
        it, two transactions inserting overlapping slots wait on each other
        in the exclusion constraints and one of them dies in a deadlock.
        An exclusion constraint that refuses a slot gives the same error as
        the check: the statement is rolled back to a savepoint so that the
        error can read the names it gives."""
        if backend.name != 'postgresql':
            yield
            return
        cursor = Transaction().connection.cursor()
        # In one order so that two bookings never wait on each other.
        for column, id_ in sorted({(c, i) for c, i in resources if i}):
            cursor.execute('SELECT pg_advisory_xact_lock(%s, %s)',
                (RESOURCE_LOCK_KEYS[column], id_))
        cursor.execute('SAVEPOINT spsti_slot_overlap')
        try:
            yield
        except backend.DatabaseIntegrityError as exception:
            column = OVERLAP_CONSTRAINTS.get(exception.diag.constraint_name)
            keys = OVERLAP_KEY.findall(exception.diag.message_detail or '')
            if not column or len(keys) != 2:
                raise
            cursor.execute('ROLLBACK TO SAVEPOINT spsti_slot_overlap')
            (resource, start, end), (_, other_start, other_end) = keys
            raise cls._overlap_error(column, int(resource),
                *map(dt.datetime.fromisoformat,
                    [start, end, other_start, other_end])) from exception
        cursor.execute('RELEASE SAVEPOINT spsti_slot_overlap')

    @classmethod
    def _overlap_error(cls, column, resource, start, end, other_start,
            other_end):
        Resource = Pool().get(RESOURCE_MODELS[column])
        tz = timezone()
        return SlotOverlapError(gettext(
                f'spsti_planning.msg_slot_overlap_{column}',
                resource=Resource(resource).rec_name,
                start=format_datetime(start, tz),
                end=format_datetime(end, tz),
                other_start=format_datetime(other_start, tz),
                other_end=format_datetime(other_end, tz)))

    @classmethod
    def validate(cls, slots):
        super().validate(slots)
        if backend.name != 'postgresql':
            cls.check_overlap(slots)
        for slot in slots:
            slot.check_centre()

    @classmethod
    def check_overlap(cls, slots):
        """The rule of the exclusion constraints, one query per chunk and
        resource, for backends without them."""
        table, other = cls.__table__(), cls.__table__()
        cursor = Transaction().connection.cursor()
        for column in OVERLAP_CONSTRAINTS.values():
            for sub in grouped_slice(slots, MAX_QUERY_PARAMS):
                query = table.join(other, condition=(
                        Column(other, column) == Column(table, column))
                    & (other.id != table.id)
                    & (other.state != 'cancelled')
                    & (other.start < table.end)
                    & (other.end > table.start)
                    ).select(Column(table, column), table.start, table.end,
                    other.start, other.end,
                    where=fields.SQL_OPERATORS['in'](
                        table.id, [s.id for s in sub])
                    & (table.state != 'cancelled'),
                    limit=1)
                cursor.execute(*query)
                row = cursor.fetchone()
                if row:
                    raise cls._overlap_error(column, *row)

    def check_centre(self):
        if self.room and self.room.centre != self.centre:
            raise SlotValidationError(gettext(
                    'spsti_planning.msg_slot_room_centre',
                    slot=self.rec_name, room=self.room.rec_name))

    # Workflow

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, slots):
        "The professional will not receive in these free slots."

    @classmethod
    @ModelView.button
    @Workflow.transition('free')
    def reopen(cls, slots):
        pass

    @classmethod
    @ModelView.button_action('spsti_planning.wizard_slot_book')
    def book_wizard(cls, slots):
        pass

    @classmethod
    @ModelView.button_action('spsti_planning.wizard_slot_release')
    def release_wizard(cls, slots):
        pass

    @classmethod
    def book(cls, slots, requests):
        """Book each request into the slot of the same rank: the slot is
        booked, the request planned."""
        VisitRequest = Pool().get('spsti.visit.request')
        if len({r.id for r in requests}) != len(requests):
            raise BookingError(gettext('spsti_planning.msg_booked_twice'))
        cls._lock_to_book(slots)
        args = []
        for slot, request in zip(slots, requests, strict=True):
            if slot.state != 'free':
                raise BookingError(gettext(
                        'spsti_planning.msg_slot_not_free',
                        slot=slot.rec_name))
            if request.state != 'to_plan':
                raise BookingError(gettext(
                        'spsti_planning.msg_request_not_to_plan',
                        request=request.rec_name))
            if slot.visit_type and slot.visit_type != request.visit_type:
                raise BookingError(gettext(
                        'spsti_planning.msg_slot_visit_type',
                        slot=slot.rec_name,
                        visit_type=slot.visit_type.rec_name,
                        request=request.rec_name))
            args.extend(([slot], {'state': 'booked', 'request': request.id}))
        if args:
            cls.write(*args)
            VisitRequest.plan(requests)

    @classmethod
    def _lock_to_book(cls, slots):
        """Wait for a concurrent booking of the same slots: trytond's lock
        fails at once while another transaction holds it, and the request
        ends as a server error after its retries. Waiting, the request is
        retried once the other commits, finds the slot booked and says
        so."""
        database = Transaction().database
        if not database.has_select_for():
            cls.lock(slots)
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice([s.id for s in slots], MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id,
                    where=table.id.in_(list(sub)), for_=For('UPDATE')))

    @classmethod
    def release(cls, slots, reason):
        """Free booked slots (visit moved or called off): their requests go
        back to plan with the reason."""
        VisitRequest = Pool().get('spsti.visit.request')
        requests = [s.request for s in slots
            if s.state == 'booked' and s.request]
        VisitRequest.write(requests, {'reschedule_reason': reason})
        VisitRequest.to_plan(requests)

    @classmethod
    def reschedule(cls, slots, new_slots, reason):
        "Move the requests of slots to new_slots (same rank)."
        requests = [s.request for s in slots]
        cls.release(slots, reason)
        cls.book(new_slots, requests)

    @classmethod
    @ModelView.button
    def record_no_show(cls, slots):
        "The employee did not come: the request and the slot say so."
        VisitRequest = Pool().get('spsti.visit.request')
        VisitRequest.no_show([s.request for s in slots
                if s.state == 'booked' and s.request])

    @classmethod
    def follow_requests(cls, requests, state):
        """The booked slots of requests follow their state: 'free' when the
        visit is to plan again or cancelled, 'no_show' or 'done'."""
        slots = cls.search([
                ('request', 'in', [r.id for r in requests]),
                ('state', '=', 'booked'),
                ])
        if not slots:
            return
        values = {'state': state}
        if state == 'free':
            values.update({'request': None, 'reminder_sent': None})
        cls.write(slots, values)

    # Agendas

    @classmethod
    def generate(cls, professionals, start_date, end_date):
        """Create the free slots of professionals from start_date to
        end_date (inclusive) from their weekly working time, except on
        their absences and where a slot of the professional or the room
        exists, even cancelled (a rerun creates nothing). Returns them."""
        pool = Pool()
        WorkTime = pool.get('spsti.professional.work_time')
        Absence = pool.get('spsti.professional.absence')
        tz = timezone()
        ids = [p.id for p in professionals]
        patterns = defaultdict(list)
        for work_time in WorkTime.search([('professional', 'in', ids)]):
            patterns[work_time.professional.id].append(work_time)
        absences = defaultdict(list)
        for absence in Absence.search([
                    ('professional', 'in', ids),
                    ('start_date', '<=', end_date),
                    ('end_date', '>=', start_date),
                    ]):
            absences[absence.professional.id].append(
                (absence.start_date, absence.end_date))
        rooms = {w.room.id for p in patterns.values() for w in p if w.room}
        first = midnight(start_date, tz)
        last = midnight(end_date + dt.timedelta(days=1), tz)
        taken = defaultdict(list)
        for slot in cls.search([
                    ('start', '<', last),
                    ('end', '>', first),
                    ['OR',
                        ('professional', 'in', ids),
                        ('room', 'in', list(rooms))],
                    ], order=[]):
            taken['professional', slot.professional.id].append(
                (slot.start, slot.end))
            if slot.room:
                taken['room', slot.room.id].append((slot.start, slot.end))

        def free(key, start, end):
            return not any(s < end and e > start for s, e in taken[key])

        to_create = []
        day = start_date
        while day <= end_date:
            for professional in ids:
                if any(s <= day <= e for s, e in absences[professional]):
                    continue
                for work_time in patterns[professional]:
                    if int(work_time.weekday) != day.weekday():
                        continue
                    step = dt.timedelta(minutes=work_time.slot_duration)
                    local = dt.datetime.combine(day, work_time.start_time)
                    limit = dt.datetime.combine(day, work_time.end_time)
                    while local + step <= limit:
                        start = to_utc(local, tz)
                        end = to_utc(local + step, tz)
                        keys = [('professional', professional)]
                        if work_time.room:
                            keys.append(('room', work_time.room.id))
                        if all(free(k, start, end) for k in keys):
                            for key in keys:
                                taken[key].append((start, end))
                            to_create.append({
                                    'professional': professional,
                                    'centre': work_time.centre.id,
                                    'room': (work_time.room.id
                                        if work_time.room else None),
                                    'teleconsultation': (
                                        work_time.teleconsultation),
                                    'start': start,
                                    'end': end,
                                    })
                        local += step
            day += dt.timedelta(days=1)
        return cls.create(to_create)

    @classmethod
    def plan_day(cls, professional, date):
        """Fill the free slots of professional on date from the backlog of
        visit requests to plan of the professional's teams, by priority
        then due date. A slot reserved for a visit type takes only that
        type (and is preferred for it); only the visit types the
        professional's profession may perform are taken (the professions
        of the periodicity rules in force) and not before their earliest
        date (mid-career year); one slot per employee and day.
        Reads the backlog in chunks; returns the slots booked."""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Rule = pool.get('spsti.periodicity.rule')
        TeamMember = pool.get('spsti.team.member')
        tz = timezone()
        first = midnight(date, tz)
        last = midnight(date + dt.timedelta(days=1), tz)
        slots = cls.search([
                ('professional', '=', professional.id),
                ('state', '=', 'free'),
                ('start', '>=', first),
                ('start', '<', last),
                ])
        types = {r.visit_type.id for r in Rule.search(
                Rule.validity_domain(date)
                + [('professions', '=', professional.profession.id)])}
        teams = {m.team.id for m in TeamMember.search(
                TeamMember.validity_domain(date)
                + [('professional', '=', professional.id)])}
        if not (slots and types and teams):
            return []
        seen = {s.request.employee.id for s in cls.search([
                    ('state', '=', 'booked'),
                    ('start', '>=', first),
                    ('start', '<', last),
                    ('request.employee', '!=', None),
                    ])}
        domain = [
            ('state', '=', 'to_plan'),
            ('team', 'in', list(teams)),
            ('visit_type', 'in', list(types)),
            ['OR',
                ('earliest_date', '=', None),
                ('earliest_date', '<=', date)],
            ]
        order = [('priority', 'ASC'), ('effective_due_date', 'ASC NULLS LAST'),
            ('id', 'ASC')]
        chunk = max(100, 4 * len(slots))
        compatible = cls.planning_compatibility(professional, date)
        booked_slots, booked_requests = [], []
        offset = 0
        while slots:
            requests = VisitRequest.search(
                domain, order=order, offset=offset, limit=chunk)
            for request in requests:
                if request.employee.id in seen:
                    continue
                slot = next((s for s in slots
                        if s.visit_type == request.visit_type
                        and compatible(s, request)), None)
                slot = slot or next((s for s in slots
                        if not s.visit_type and compatible(s, request)),
                    None)
                if slot:
                    slots.remove(slot)
                    seen.add(request.employee.id)
                    booked_slots.append(slot)
                    booked_requests.append(request)
            if len(requests) < chunk:
                break
            offset += chunk
        cls.book(booked_slots, booked_requests)
        return booked_slots

    @classmethod
    def planning_compatibility(cls, professional, date):
        """A function (slot, request) -> bool telling whether mass
        planning may book request into the free slot of professional on
        date, besides the visit type the slot is reserved for. It is called
        for every pair tried: modules adding booking rules to book extend
        it with answers computed once per kind of pair, so that a day is
        filled with compatible pairs only."""
        return lambda slot, request: True

    # Reminders and no-shows

    @classmethod
    def send_reminders(cls, days=None, now=None):
        """Remind the employees of their visits in the next days (config
        [spsti_planning] reminder_days, 2 by default) by email and SMS,
        as they consented; each slot is reminded once (reminder_sent)."""
        days = days if days is not None else config.getint(
            'spsti_planning', 'reminder_days', default=2)
        now = now or dt.datetime.now()
        slots = cls.search([
                ('state', '=', 'booked'),
                ('request', '!=', None),
                ('reminder_sent', '=', None),
                ('start', '>', now),
                ('start', '<', now + dt.timedelta(days=days + 1)),
                ])
        if not slots:
            return []
        tz = timezone()
        sender = sms.get_sender()
        from_ = config.get('email', 'from')
        with Transaction().set_context(language='fr'):
            for slot in slots:
                employee = slot.request.employee
                text = gettext('spsti_planning.msg_reminder_text',
                    date=format_datetime(slot.start, tz),
                    place=slot.place,
                    visit_type=slot.request.visit_type.name)
                if employee.email and employee.consent_email:
                    msg = EmailMessage()
                    msg['From'] = from_
                    msg['To'] = employee.email
                    msg['Subject'] = gettext(
                        'spsti_planning.msg_reminder_subject')
                    msg.set_content(text)
                    send_message_transactional(msg)
                if employee.mobile and employee.consent_sms:
                    sms.send_transactional(sender, employee.mobile, text)
        cls.write(slots, {'reminder_sent': now})
        return slots

    @property
    def place(self):
        "Where the visit takes place, as told to the employee and employer."
        if self.teleconsultation:
            return gettext('spsti_planning.msg_teleconsultation')
        address = self.centre.address
        place = ', '.join(filter(None, [self.centre.name,
                    address.street, address.postal_code, address.city]))
        if self.room:
            place += f' ({self.room.name})'
        return place

    @classmethod
    def no_show_rates(cls, start, end, by='professional'):
        """No-show rate of the visits booked from start to end (dates,
        inclusive) per professional or centre: {id: (visits, no-shows,
        rate)}; visits are the slots of visit requests done or not
        honoured."""
        tz = timezone()
        table = cls.__table__()
        column = Column(table, by)
        first = midnight(start, tz)
        last = midnight(end + dt.timedelta(days=1), tz)
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(column, Count(table.id),
                Count(Case((table.state == 'no_show', table.id))),
                where=table.state.in_(['done', 'no_show'])
                & (table.start >= first) & (table.start < last)
                & (table.request != Null) & (column != Null),
                group_by=[column]))
        return {resource: (total, no_shows, no_shows / total)
            for resource, total, no_shows in cursor}


class SlotContext(ModelView):
    "The agenda shown: of a professional, a room or a centre."
    __name__ = 'spsti.slot.context'
    __string__ = "Agenda"
    professional = fields.Many2One('spsti.professional', "Professional")
    room = fields.Many2One('spsti.centre.room', "Room")
    centre = fields.Many2One('spsti.centre', "Centre")

    @classmethod
    def default_professional(cls):
        professional = Pool().get('spsti.professional').get_current()
        return professional.id if professional else None

    @classmethod
    def default_centre(cls):
        professional = Pool().get('spsti.professional').get_current()
        if professional and professional.centre:
            return professional.centre.id


class SlotGenerateStart(ModelView):
    __name__ = 'spsti.slot.generate.start'
    __string__ = "Generate Slots"
    professionals = fields.Many2Many(
        'spsti.professional', None, None, "Professionals", required=True)
    start_date = fields.Date("From", required=True)
    end_date = fields.Date(
        "To", required=True,
        domain=[('end_date', '>=', Eval('start_date'))])


class SlotGenerate(Wizard):
    "Free slots of professionals over a period, from their working time."
    __name__ = 'spsti.slot.generate'
    start = StateView('spsti.slot.generate.start',
        'spsti_planning.slot_generate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Generate", 'generate', 'tryton-ok', default=True),
            ])
    generate = StateTransition()

    def default_start(self, fields):
        if self.model and self.model.__name__ == 'spsti.professional':
            return {'professionals': [r.id for r in self.records]}
        return {}

    def transition_generate(self):
        Slot = Pool().get('spsti.slot')
        Slot.generate(self.start.professionals, self.start.start_date,
            self.start.end_date)
        return 'end'


class SlotPlanDayStart(ModelView):
    __name__ = 'spsti.slot.plan_day.start'
    __string__ = "Mass Planning"
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True)
    date = fields.Date("Date", required=True)


class SlotPlanDay(Wizard):
    """Planification de masse: a professional's free slots of a day filled
    from the backlog."""
    __name__ = 'spsti.slot.plan_day'
    start = StateView('spsti.slot.plan_day.start',
        'spsti_planning.slot_plan_day_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Plan", 'plan', 'tryton-ok', default=True),
            ])
    plan = StateTransition()

    def default_start(self, fields):
        Professional = Pool().get('spsti.professional')
        professional = Professional.get_current()
        return {'professional': professional.id if professional else None}

    def transition_plan(self):
        Slot = Pool().get('spsti.slot')
        Slot.plan_day(self.start.professional, self.start.date)
        return 'end'


class SlotBookStart(ModelView):
    __name__ = 'spsti.slot.book.start'
    __string__ = "Book a Slot"
    slot = fields.Many2One('spsti.slot', "Slot", required=True,
        domain=FREE_SLOT_DOMAIN)
    request = fields.Many2One('spsti.visit.request', "Visit Request",
        required=True, domain=[('state', '=', 'to_plan')])
    visit_type = fields.Function(
        fields.Many2One('spsti.visit.type', "Visit Type"),
        'on_change_with_visit_type')

    @fields.depends('request', '_parent_request.visit_type')
    def on_change_with_visit_type(self, name=None):
        return self.request.visit_type if self.request else None


class SlotBook(Wizard):
    "Book a visit request into a free slot (from either)."
    __name__ = 'spsti.slot.book'
    start = StateView('spsti.slot.book.start',
        'spsti_planning.slot_book_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Book", 'book', 'tryton-ok', default=True),
            ])
    book = StateTransition()

    def default_start(self, fields):
        name = self.model.__name__ if self.model else None
        if name == 'spsti.slot':
            return {'slot': self.record.id}
        elif name == 'spsti.visit.request':
            return {'request': self.record.id,
                'visit_type': self.record.visit_type.id}
        return {}

    def transition_book(self):
        Slot = Pool().get('spsti.slot')
        Slot.book([self.start.slot], [self.start.request])
        return 'end'


class SlotReleaseStart(ModelView):
    __name__ = 'spsti.slot.release.start'
    __string__ = "Free or Reschedule a Slot"
    reason = fields.Char("Reason", required=True)
    new_slot = fields.Many2One('spsti.slot', "New Slot",
        domain=FREE_SLOT_DOMAIN,
        help="Empty: the visit goes back to the requests to plan.")
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", readonly=True)


class SlotRelease(Wizard):
    "Free a booked slot with a reason, or move its visit to another slot."
    __name__ = 'spsti.slot.release'
    start = StateView('spsti.slot.release.start',
        'spsti_planning.slot_release_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("OK", 'release', 'tryton-ok', default=True),
            ])
    release = StateTransition()

    def default_start(self, fields):
        return {'visit_type': self.record.request.visit_type.id}

    def transition_release(self):
        Slot = Pool().get('spsti.slot')
        if self.start.new_slot:
            Slot.reschedule(
                [self.record], [self.start.new_slot], self.start.reason)
        else:
            Slot.release([self.record], self.start.reason)
        return 'end'
