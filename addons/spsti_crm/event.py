"""Événements de prévention: workshops, webinars, information meetings and
training sessions with their registrations, attendance, satisfaction and
knowledge tests; each attendance is an awareness action (awareness.py)."""
import datetime as dt
from collections import defaultdict

from sql import Null
from sql.aggregate import Count

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.modules.spsti_planning.slot import timezone, to_utc
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import EventError, EventValidationError

KINDS = [
    ('workshop', "Workshop"),
    ('webinar', "Webinar"),
    ('information', "Information Meeting"),
    ('training', "Training Session"),
    ('awareness', "Awareness Session"),
    ]
MODES = [
    ('on_site', "On the member's site"),
    ('centre', "At the centre"),
    ('online', "Online"),
    ]
STATES = [
    ('draft', "Draft"),
    ('open', "Open to Registration"),
    ('done', "Held"),
    ('cancelled', "Cancelled"),
    ]
REGISTRATION_STATES = [
    ('registered', "Registered"),
    ('attended', "Attended"),
    ('absent', "Absent"),
    ('cancelled', "Cancelled"),
    ]
SCORES = [
    (None, ""),
    ('1', "Very dissatisfied"),
    ('2', "Dissatisfied"),
    ('3', "Neutral"),
    ('4', "Satisfied"),
    ('5', "Very satisfied"),
    ]
_draft = {'readonly': Eval('state') != 'draft'}
_not_closed = {'readonly': Eval('state').in_(['done', 'cancelled'])}


class Event(Workflow, ModelSQL, ModelView):
    """Événement de prévention: a workshop, webinar, information meeting
    or training, on a member's site, at a centre of the service or online,
    run by professionals of the service, with a capacity, the risks it is
    about and the contents it uses."""
    __name__ = 'spsti.crm.event'
    __string__ = "Prevention Event"
    name = fields.Char("Title", required=True, states=_not_closed)
    kind = fields.Selection(KINDS, "Kind", required=True, states=_draft)
    mode = fields.Selection(MODES, "Mode", required=True, states=_draft)
    campaign = fields.Many2One(
        'spsti.crm.campaign', "Campaign", ondelete='SET NULL',
        states=_not_closed)
    date = fields.Date("Date", required=True, states=_not_closed)
    start_time = fields.Time("Start Time", states=_not_closed)
    end_time = fields.Time(
        "End Time", states=_not_closed,
        domain=[If(Eval('start_time') & Eval('end_time'),
                ('end_time', '>', Eval('start_time')), ())])
    member = fields.Many2One(
        'spsti.member', "Member", ondelete='RESTRICT',
        states={
            'readonly': _draft['readonly'],
            'required': Eval('mode') == 'on_site',
            'invisible': Eval('mode') != 'on_site',
            },
        help="The member whose employees the session on site is for.")
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", ondelete='RESTRICT',
        domain=[('member', '=', Eval('member', -1))],
        states={
            'readonly': _draft['readonly'],
            'invisible': Eval('mode') != 'on_site',
            })
    centre = fields.Many2One(
        'spsti.centre', "Centre", ondelete='RESTRICT',
        states={
            'readonly': _not_closed['readonly'],
            'required': Eval('mode') == 'centre',
            'invisible': Eval('mode') != 'centre',
            })
    room = fields.Many2One(
        'spsti.centre.room', "Room", ondelete='RESTRICT',
        domain=[('centre', '=', Eval('centre', -1))],
        states={
            'readonly': _not_closed['readonly'],
            'invisible': Eval('mode') != 'centre',
            })
    url = fields.Char(
        "Online Address",
        states={
            'readonly': _not_closed['readonly'],
            'required': Eval('mode') == 'online',
            'invisible': Eval('mode') != 'online',
            })
    capacity = fields.Integer(
        "Capacity", states=_not_closed,
        domain=['OR', ('capacity', '=', None), ('capacity', '>', 0)],
        help="Empty: no limit.")
    description = fields.Text("Programme")
    facilitators = fields.Many2Many(
        'spsti.crm.event-spsti.professional', 'event', 'professional',
        "Facilitators", states=_not_closed)
    risks = fields.Many2Many(
        'spsti.crm.event-spsti.risk', 'event', 'risk', "Risks",
        states=_not_closed)
    contents = fields.Many2Many(
        'spsti.crm.event-spsti.crm.content', 'event', 'content',
        "Contents", states=_not_closed)
    knowledge_max = fields.Integer(
        "Knowledge Test Out Of", states=_not_closed,
        domain=['OR', ('knowledge_max', '=', None),
            ('knowledge_max', '>', 0)],
        help="The maximum mark of the knowledge test taken before and after "
        "the event; empty: no test.")
    registrations = fields.One2Many(
        'spsti.crm.event.registration', 'event', "Registrations",
        states={'readonly': Eval('state').in_(['draft', 'cancelled'])})
    registered = fields.Function(
        fields.Integer("Registered"), 'get_figures')
    attended = fields.Function(fields.Integer("Attended"), 'get_figures')
    satisfaction = fields.Function(fields.Float(
            "Satisfaction", digits=(1, 1),
            help="Average score (1 to 5) of the participants' answers."),
        'get_figures')
    knowledge_before = fields.Function(fields.Float(
            "Knowledge Before", digits=(16, 1),
            help="Average mark of the test before the event."),
        'get_figures')
    knowledge_after = fields.Function(fields.Float(
            "Knowledge After", digits=(16, 1),
            help="Average mark of the test after the event."),
        'get_figures')
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('start_time', 'DESC'),
            ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'open'),
            ('open', 'draft'),
            ('open', 'done'),
            ('draft', 'cancelled'),
            ('open', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(['open', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'open': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'open']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_kind(cls):
        return 'workshop'

    @classmethod
    def default_mode(cls):
        return 'centre'

    @fields.depends('member', 'establishment')
    def on_change_member(self):
        if self.establishment and self.establishment.member != self.member:
            self.establishment = None

    def get_rec_name(self, name):
        return f'{self.name} ({self.date.strftime("%d/%m/%Y")})'

    @property
    def start_datetime(self):
        "When the event starts, in UTC as datetimes are stored."
        return to_utc(dt.datetime.combine(
                self.date, self.start_time or dt.time()), timezone())

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('name',) + tuple(clause[1:])]

    @classmethod
    def get_figures(cls, events, names):
        """Registrations, attendance and the averages of the answers, in
        one query per chunk of events."""
        pool = Pool()
        Registration = pool.get('spsti.crm.event.registration')
        registration = Registration.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {e.id: None for e in events} for n in names}
        for name in {'registered', 'attended'} & set(names):
            result[name] = {e.id: 0 for e in events}
        for sub in grouped_slice([e.id for e in events], MAX_QUERY_PARAMS):
            cursor.execute(*registration.select(registration.event,
                    registration.state, registration.satisfaction,
                    registration.knowledge_before,
                    registration.knowledge_after,
                    where=registration.event.in_(list(sub))
                    & (registration.state != 'cancelled')))
            answers = defaultdict(lambda: defaultdict(list))
            for event, state, satisfaction, before, after in cursor:
                answers[event]['registered'].append(1)
                if state == 'attended':
                    answers[event]['attended'].append(1)
                    if satisfaction:
                        answers[event]['satisfaction'].append(
                            int(satisfaction))
                    if before is not None:
                        answers[event]['knowledge_before'].append(before)
                    if after is not None:
                        answers[event]['knowledge_after'].append(after)
            for event, values in answers.items():
                for name in names:
                    if name in {'registered', 'attended'}:
                        result[name][event] = len(values[name])
                    elif values[name]:
                        result[name][event] = round(
                            sum(values[name]) / len(values[name]), 1)
        return result

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, events):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def open(cls, events):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, events):
        """The event took place: every registration must say whether the
        person attended."""
        for event in events:
            pending = [r for r in event.registrations
                if r.state == 'registered']
            if pending:
                raise EventError(gettext(
                        'spsti_crm.msg_event_attendance_pending',
                        event=event.rec_name,
                        registration=pending[0].rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, events):
        pass


class EventFacilitator(ModelSQL):
    __name__ = 'spsti.crm.event-spsti.professional'
    __string__ = "Event - Facilitator"
    event = fields.Many2One(
        'spsti.crm.event', "Event", required=True, ondelete='CASCADE')
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='RESTRICT')


class EventRisk(ModelSQL):
    __name__ = 'spsti.crm.event-spsti.risk'
    __string__ = "Event - Risk"
    event = fields.Many2One(
        'spsti.crm.event', "Event", required=True, ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='RESTRICT')


class EventContent(ModelSQL):
    __name__ = 'spsti.crm.event-spsti.crm.content'
    __string__ = "Event - Content"
    event = fields.Many2One(
        'spsti.crm.event', "Event", required=True, ondelete='CASCADE')
    content = fields.Many2One(
        'spsti.crm.content', "Content", required=True, ondelete='RESTRICT')


class Registration(Workflow, ModelSQL, ModelView):
    """Inscription: a person of a member registered to an event, an
    employee (when the service knows them) or a contact, with their
    attendance, their satisfaction answers and their marks to the
    knowledge test before and after."""
    __name__ = 'spsti.crm.event.registration'
    __string__ = "Event Registration"
    event = fields.Many2One(
        'spsti.crm.event', "Event", required=True, ondelete='CASCADE',
        states={'readonly': Eval('id', -1) >= 0})
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='RESTRICT',
        states={'readonly': Eval('state') != 'registered'})
    name = fields.Char(
        "Participant", required=True,
        states={'readonly': Eval('state') != 'registered'})
    employee = fields.Many2One(
        'spsti.employee', "Employee", ondelete='RESTRICT',
        domain=[('assignments.member', '=', Eval('member', -1))],
        states={'readonly': Eval('state') != 'registered'},
        help="The employee, when the service follows them.")
    contact = fields.Many2One(
        'party.party', "Contact", ondelete='RESTRICT',
        domain=[('crm_contacts.member', '=', Eval('member', -1))],
        states={'readonly': Eval('state') != 'registered'},
        help="The contact of the member, when the participant is one.")
    registration_date = fields.Date(
        "Registration Date", required=True,
        states={'readonly': Eval('state') != 'registered'})
    satisfaction = fields.Selection(
        SCORES, "Satisfaction",
        states={'readonly': Eval('state') != 'attended'},
        help="Overall satisfaction with the event.")
    usefulness = fields.Selection(
        SCORES, "Usefulness",
        states={'readonly': Eval('state') != 'attended'},
        help="Usefulness for the participant's work.")
    comment = fields.Text(
        "Comment", states={'readonly': Eval('state') != 'attended'})
    knowledge_before = fields.Float(
        "Knowledge Before", digits=(16, 1),
        states={
            'readonly': Eval('state') != 'attended',
            'invisible': ~Bool(Eval('knowledge_max')),
            },
        help="Mark of the test before the event.")
    knowledge_after = fields.Float(
        "Knowledge After", digits=(16, 1),
        states={
            'readonly': Eval('state') != 'attended',
            'invisible': ~Bool(Eval('knowledge_max')),
            },
        help="Mark of the test after the event.")
    knowledge_max = fields.Function(
        fields.Integer("Out Of"), 'on_change_with_knowledge_max')
    progress = fields.Function(fields.Float(
            "Progress", digits=(16, 1),
            help="Mark after minus mark before."),
        'get_progress')
    state = fields.Selection(
        REGISTRATION_STATES, "State", required=True, readonly=True,
        sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('event_employee_unique', Unique(t, t.event, t.employee),
                'spsti_crm.msg_registration_employee_unique'),
            ('event_contact_unique', Unique(t, t.event, t.contact),
                'spsti_crm.msg_registration_contact_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.event, Index.Equality())),
                Index(t, (t.member, Index.Equality())),
                Index(t, (t.employee, Index.Equality()),
                    where=t.employee != Null),
                })
        cls._order = [('name', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('registered', 'attended'),
            ('registered', 'absent'),
            ('registered', 'cancelled'),
            ('attended', 'registered'),
            ('absent', 'registered'),
            ('cancelled', 'registered'),
            }
        cls._buttons.update({
                'attend': {
                    'invisible': Eval('state') != 'registered',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'absent': {
                    'invisible': Eval('state') != 'registered',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'registered',
                    'icon': 'tryton-delete',
                    'depends': ['state'],
                    },
                'reset': {
                    'invisible': Eval('state') == 'registered',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'registered'

    @classmethod
    def default_registration_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('event', 'member', '_parent_event.member')
    def on_change_event(self):
        if self.event and self.event.member and not self.member:
            self.member = self.event.member

    @fields.depends('event', '_parent_event.knowledge_max')
    def on_change_with_knowledge_max(self, name=None):
        return self.event.knowledge_max if self.event else None

    @fields.depends('employee', 'contact', 'name')
    def on_change_employee(self):
        if self.employee and not self.name:
            self.name = f'{self.employee.first_name} ' \
                f'{self.employee.usage_name or self.employee.last_name}'

    @fields.depends('contact', 'name')
    def on_change_contact(self):
        if self.contact and not self.name:
            self.name = self.contact.rec_name

    def get_progress(self, name):
        if self.knowledge_before is not None \
                and self.knowledge_after is not None:
            return self.knowledge_after - self.knowledge_before

    def get_rec_name(self, name):
        return f'{self.name} - {self.event.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('event.rec_name', operator, operand, *extra),
            ]

    @classmethod
    def validate_fields(cls, registrations, field_names):
        super().validate_fields(registrations, field_names)
        for registration in registrations:
            registration.check_event()
            registration.check_marks()
        if field_names & {'event', 'state'}:
            cls.check_capacity(registrations)

    def check_event(self):
        "An event on site is for the employees of its member only."
        if (self.event.mode == 'on_site'
                and self.member != self.event.member):
            raise EventValidationError(gettext(
                    'spsti_crm.msg_registration_other_member',
                    registration=self.rec_name,
                    member=self.event.member.rec_name))
        if self.event.state in {'draft', 'cancelled'}:
            raise EventValidationError(gettext(
                    'spsti_crm.msg_registration_event_closed',
                    registration=self.rec_name))

    def check_marks(self):
        "The marks of the knowledge test lie between 0 and its maximum."
        maximum = self.event.knowledge_max
        for name in ['knowledge_before', 'knowledge_after']:
            mark = getattr(self, name)
            if mark is None:
                continue
            if not maximum or not 0 <= mark <= maximum:
                raise EventValidationError(gettext(
                        'spsti_crm.msg_registration_mark',
                        registration=self.rec_name,
                        field=self.__names__(name)['field'],
                        mark=mark, maximum=maximum or 0))

    @classmethod
    def check_capacity(cls, registrations):
        "The registrations not cancelled fit in the event."
        Event = Pool().get('spsti.crm.event')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        events = {r.event for r in registrations if r.event.capacity}
        # Registrations from the portal and the back office come at once.
        Event.lock(list(events))
        for sub in grouped_slice(list(events), MAX_QUERY_PARAMS):
            sub = {e.id: e for e in sub}
            cursor.execute(*table.select(table.event, Count(table.id),
                    where=table.event.in_(list(sub))
                    & (table.state != 'cancelled'),
                    group_by=[table.event]))
            for event_id, count in cursor:
                event = sub[event_id]
                if count > event.capacity:
                    raise EventValidationError(gettext(
                            'spsti_crm.msg_event_full',
                            event=event.rec_name,
                            capacity=event.capacity))

    @classmethod
    @ModelView.button
    @Workflow.transition('attended')
    def attend(cls, registrations):
        """The person took part: an awareness action for the indicators,
        and one interaction per member and event on the member's
        history."""
        cls.log_participations(registrations)

    @classmethod
    @ModelView.button
    @Workflow.transition('absent')
    def absent(cls, registrations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, registrations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('registered')
    def reset(cls, registrations):
        pass

    @classmethod
    def log_participations(cls, registrations):
        "One interaction per member and event not yet logged."
        pool = Pool()
        Interaction = pool.get('spsti.crm.interaction')
        pairs = {(r.member, r.event) for r in registrations}
        logged = set()
        for sub in grouped_slice(list(pairs), MAX_QUERY_PARAMS // 2):
            sub = list(sub)
            logged.update((i.member, i.event) for i in Interaction.search([
                        ('kind', '=', 'event'),
                        ('member', 'in', [m.id for m, _ in sub]),
                        ('event', 'in', [e.id for _, e in sub]),
                        ]))
        Interaction.create([{
                    'member': member.id,
                    'kind': 'event',
                    'direction': None,
                    'subject': event.rec_name,
                    'event': event.id,
                    'campaign': event.campaign.id if event.campaign else None,
                    'date': event.start_datetime,
                    } for member, event in sorted(
                    pairs - logged, key=lambda p: (p[0].id, p[1].id))])
