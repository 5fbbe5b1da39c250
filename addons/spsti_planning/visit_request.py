"Demandes de visite and the due-visit engine that creates them."
import datetime as dt
from collections import defaultdict

from psycopg.sql import SQL, Identifier
from sql import Column, Null, Select, Union
from sql.conditionals import Coalesce
from sql.aggregate import Count
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.spsti_adherent.assignment import (
    CONDITION_FIELDS, personal_conditions)
from trytond.modules.spsti_adherent.employee import age
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from . import engine
from .exceptions import VisitRequestError
from .stoppage import return_date, stoppage_days

STATES = [
    ('to_plan', "To Plan"),
    ('planned', "Planned"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ('no_show', "No-show"),
    ]
OPEN_STATES = ['to_plan', 'planned']
# The values of a request the engine computes.
ENGINE_FIELDS = ['due_date', 'earliest_date', 'rule', 'reason', 'priority']
MAGIC_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}
ORIGINS = [
    ('engine', "Due date (échéancier)"),
    ('staff', "Service staff"),
    ('employer', "Employer"),
    ('employee', "Employee"),
    ('doctor', "Occupational doctor"),
    ]
OUTCOMES = [
    (None, ""),
    ('attestation', "Attestation de suivi"),
    ('fit', "Fit"),
    ('fit_with_adjustment', "Fit with adjustment of the post"),
    ('unfit', "Unfit"),
    ('certificate', "Certificate of no contraindication"),
    ('report', "Report only"),
    ]
PRIORITIES = [
    ('1', "Urgent"),
    ('2', "High"),
    ('3', "Normal"),
    ]
# The ORM creates at most this many records at once where they have one
# domain each (e.g. the assignment of the employee): trytond validates them
# with one search of as many OR branches, which SQLite refuses beyond its
# expression depth of 1000.
CREATE_SLICE = 500
# An array parameter on PostgreSQL, not as many parameters as ids.
in_ = SQL_OPERATORS['in']
_open = {'readonly': ~Eval('state').in_(OPEN_STATES)}


class VisitRequest(Workflow, ModelSQL, ModelView):
    """Demande de visite: a visit to organise for an employee's assignment,
    created by the due-visit engine (échéancier), the staff, the employer,
    the employee or a doctor; it keeps its request date, due date and the
    rule that made it due."""
    __name__ = 'spsti.visit.request'
    __string__ = "Visit Request"
    employee = fields.Many2One(
        'spsti.employee', "Employee", required=True, ondelete='CASCADE',
        states=_open)
    assignment = fields.Many2One(
        'spsti.assignment', "Assignment", required=True, ondelete='CASCADE',
        domain=[('employee', '=', Eval('employee', -1))], states=_open)
    member = fields.Many2One(
        'spsti.member', "Employer", required=True, ondelete='RESTRICT',
        states=_open)
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", required=True, ondelete='RESTRICT',
        states=_open)
    origin = fields.Selection(ORIGINS, "Origin", required=True,
        states={'readonly': Eval('id', -1) >= 0})
    request_date = fields.Date("Request Date", required=True, states=_open)
    earliest_date = fields.Date("Earliest Date", readonly=True)
    due_date = fields.Date(
        "Due Date", states=_open,
        help="The latest date of the visit by the rules.")
    due_date_override = fields.Date(
        "Date Set by a Health Professional", states=_open,
        help="Replaces the computed due date.")
    override_reason = fields.Char(
        "Reason of the Date", states={
            'required': Bool(Eval('due_date_override')),
            'readonly': ~Eval('state').in_(OPEN_STATES),
            })
    effective_due_date = fields.Function(
        fields.Date("Effective Due Date"), 'get_effective_due_date',
        searcher='search_effective_due_date')
    rule = fields.Many2One(
        'spsti.periodicity.rule', "Rule", readonly=True, ondelete='SET NULL')
    performed_by = fields.Function(fields.Many2Many(
            'spsti.profession', None, None, "Performed By",
            help="The professions allowed to perform the visit: those of "
            "its rule, else of the rules of its visit type in force."),
        'get_performed_by')
    reason = fields.Text("Reason", states=_open)
    priority = fields.Selection(PRIORITIES, "Priority", required=True,
        sort=False, states=_open)
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    done_date = fields.Date("Visit Date", readonly=True)
    outcome = fields.Selection(OUTCOMES, "Outcome", readonly=True)
    cancel_reason = fields.Char("Cancellation Reason", readonly=True)
    reschedule_reason = fields.Char(
        "Reason of the Last Rescheduling", readonly=True)
    slot = fields.Function(
        fields.Many2One('spsti.slot', "Slot"), 'get_slot')
    overdue = fields.Function(fields.Boolean("Overdue"),
        'get_overdue', searcher='search_overdue')
    team = fields.Function(
        fields.Many2One('spsti.team', "Team"), 'get_team',
        searcher='search_team')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.assignment, Index.Equality()),
                    (t.state, Index.Equality())),
                Index(t, (t.employee, Index.Equality()),
                    (t.done_date, Index.Range()),
                    where=t.state == 'done'),
                Index(t, (t.due_date, Index.Range()),
                    where=t.state.in_(OPEN_STATES)),
                })
        cls._order = [('priority', 'ASC'), ('due_date', 'ASC NULLS LAST'),
            ('id', 'ASC')]
        cls.__access__.add('member')
        cls._transitions |= {
            ('to_plan', 'planned'),
            ('planned', 'to_plan'),
            ('to_plan', 'done'),
            ('planned', 'done'),
            ('to_plan', 'cancelled'),
            ('planned', 'cancelled'),
            ('planned', 'no_show'),
            ('no_show', 'to_plan'),
            }
        cls._buttons.update({
                'book_wizard': {
                    'invisible': Eval('state') != 'to_plan',
                    'depends': ['state'],
                    },
                'to_plan': {
                    'invisible': ~Eval('state').in_(['planned', 'no_show']),
                    'depends': ['state'],
                    },
                'no_show': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'depends': ['state'],
                    },
                'mark_done': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'to_plan'

    @classmethod
    def default_origin(cls):
        return 'staff'

    @classmethod
    def default_priority(cls):
        return '2'

    @classmethod
    def default_request_date(cls):
        return dt.date.today()

    @fields.depends('assignment', '_parent_assignment.member')
    def on_change_assignment(self):
        if self.assignment:
            self.member = self.assignment.member

    def get_rec_name(self, name):
        return f'{self.visit_type.rec_name} - {self.employee.rec_name}'

    def get_effective_due_date(self, name):
        return self.due_date_override or self.due_date

    @classmethod
    def search_effective_due_date(cls, name, clause):
        _, operator, value = clause
        return ['OR',
            ('due_date_override', operator, value),
            [('due_date_override', '=', None), ('due_date', operator, value)],
            ]

    @staticmethod
    def order_effective_due_date(tables):
        table, _ = tables[None]
        return [Coalesce(table.due_date_override, table.due_date)]

    @classmethod
    def get_slot(cls, requests, name):
        Slot = Pool().get('spsti.slot')
        slots = {r.id: None for r in requests}
        for sub in grouped_slice(requests, MAX_QUERY_PARAMS):
            for slot in Slot.search([
                        ('request', 'in', [r.id for r in sub]),
                        ('state', 'in', ['booked', 'done', 'no_show']),
                        ], order=[('start', 'ASC')]):
                slots[slot.request.id] = slot.id
        return slots

    @classmethod
    def get_performed_by(cls, requests, name):
        Rule = Pool().get('spsti.periodicity.rule')
        # The rules of the visit types read at once: a list of requests has
        # as many due dates as rows.
        visit_types = {r.visit_type.id for r in requests if not r.rule}
        by_type = {}
        if visit_types:
            for rule in Rule.search(
                    [('visit_type', 'in', list(visit_types))]):
                by_type.setdefault(rule.visit_type.id, []).append(rule)
        result = {}
        for request in requests:
            if request.rule:
                rules = [request.rule]
            else:
                date = (request.due_date_override or request.due_date
                    or dt.date.today())
                rules = [r for r in by_type.get(request.visit_type.id, [])
                    if r.is_valid_at(date)]
            result[request.id] = sorted(
                {p.id for r in rules for p in r.professions})
        return result

    def get_overdue(self, name):
        due = self.effective_due_date
        return bool(self.state in OPEN_STATES and due
            and due < dt.date.today())

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        domain = [
            ('state', 'in', OPEN_STATES),
            ('effective_due_date', '<', dt.date.today()),
            ]
        if (operator == '=') != bool(value):
            domain = ['NOT', domain]
        return domain

    def get_team(self, name):
        return self.assignment.team.id if self.assignment.team else None

    @classmethod
    def search_team(cls, name, clause):
        return [('assignment.team' + clause[0][len(name):],)
            + tuple(clause[1:])]

    @classmethod
    @ModelView.button_action('spsti_planning.wizard_slot_book')
    def book_wizard(cls, requests):
        "A visit is planned by booking it into a slot."

    @classmethod
    @Workflow.transition('planned')
    def plan(cls, requests):
        "Booked into a slot (see Slot.book)."

    @classmethod
    @ModelView.button
    @Workflow.transition('to_plan')
    def to_plan(cls, requests):
        Pool().get('spsti.slot').follow_requests(requests, 'free')

    @classmethod
    @ModelView.button
    @Workflow.transition('no_show')
    def no_show(cls, requests):
        Pool().get('spsti.slot').follow_requests(requests, 'no_show')

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, requests, reason=None):
        if reason:
            cls.write(requests, {'cancel_reason': reason})
        Pool().get('spsti.slot').follow_requests(requests, 'free')

    @classmethod
    @ModelView.button
    def mark_done(cls, requests):
        cls.done(requests)

    @classmethod
    @Workflow.transition('done')
    def done(cls, requests, date=None, outcome=None):
        "The visit took place (what is due next follows, see on_modification)."
        date = date or dt.date.today()
        if date > dt.date.today():
            raise VisitRequestError(gettext(
                    'spsti_planning.msg_done_in_future',
                    request=requests[0].rec_name))
        cls.write(requests, {'done_date': date, 'outcome': outcome})
        Pool().get('spsti.slot').follow_requests(requests, 'done')

    @classmethod
    def on_modification(cls, mode, requests, field_names=None):
        """A visit done, or its date or outcome changed, computes at once
        what is due next for the employee."""
        super().on_modification(mode, requests, field_names=field_names)
        if (mode == 'write'
                and field_names & {'state', 'done_date', 'outcome'}
                and any(r.state == 'done' for r in requests)):
            Assignment = Pool().get('spsti.assignment')
            cls.compute_due_visits(Assignment.search([
                        ('employee', 'in',
                            list({r.employee.id for r in requests})),
                        ]))

    # Due-visit engine

    @classmethod
    def compute_all_due_visits(cls, today=None, chunk=2000):
        """Nightly: the due visits of every assignment in force or future,
        or with open requests of the engine, chunk by chunk; returns the
        number of assignments."""
        Assignment = Pool().get('spsti.assignment')
        today = today or dt.date.today()
        table, assignment = Assignment.__table__(), Assignment.__table__()
        request = cls.__table__()
        cursor = Transaction().connection.cursor()
        opened = (request.state.in_(OPEN_STATES)
            & (request.origin == 'engine'))
        # A union, not "in force OR IN (open requests)": PostgreSQL runs
        # that subquery again for every assignment once its result
        # outgrows work_mem.
        computed = Union(
            assignment.select(assignment.id,
                where=(assignment.end_date == Null)
                | (assignment.end_date >= today)),
            request.select(request.assignment.as_('id'), where=opened))
        cursor.execute(*table.join(computed,
                condition=computed.id == table.id).select(table.id,
                order_by=[table.employee, table.id]))
        ids = [i for i, in cursor]
        cursor.execute(*request.select(Count(request.id), where=opened))
        known, = cursor.fetchone()
        rules = cls._rule_cache()
        created = 0
        Batch = Pool().get('spsti.batch')
        with Batch.run(gettext('spsti_planning.msg_batch_due_visits'),
                total=len(ids)) as batch:
            for sub in map(list, grouped_slice(ids, chunk)):
                created += cls.compute_due_visits(
                    sub, today=today, rules=rules)
                batch.advance(len(sub))
                if (backend.name == 'postgresql'
                        and created > max(known, 10 * chunk)):
                    # The statistics PostgreSQL plans with do not count
                    # the requests this transaction creates: believing
                    # there are few open requests, it would look for those
                    # of each chunk through the index of all open
                    # requests, which grows with every chunk. ANALYZE
                    # counts them.
                    cursor.execute(SQL('ANALYZE {}').format(
                            Identifier(cls._table)))
                    known, created = known + created, 0
            batch.complete()
        return len(ids)

    @classmethod
    def _rule_cache(cls):
        return engine.RuleCache(Pool().get('spsti.periodicity.rule'))

    @classmethod
    def compute_due_visits(cls, assignments, today=None, rules=None):
        """Bring the engine's open requests of assignments (records or ids)
        in line with the rules: create the missing ones, move changed due
        dates, cancel those no longer due. Reads the assignments, the
        visit history and the stoppages of all the employees at once.
        Returns the number of requests created."""
        today = today or dt.date.today()
        if not assignments:
            return 0
        rules = rules or cls._rule_cache()
        posts = cls._engine_posts([int(a) for a in assignments])
        employees = sorted({p.employee for p in posts})
        visits = cls._engine_visits(employees)
        stoppages = cls._engine_stoppages(employees)
        existing = cls._engine_requests([p.id for p in posts])

        to_create, to_write, seen = [], defaultdict(list), set()
        for post in posts:
            dues = engine.compute(post, visits.get(post.employee, []),
                stoppages.get(post.employee, []), rules, today)
            if post.end_date and post.end_date < today:
                dues = [d for d in dues if d.rule.reference == 'exposure_end']
            for due in dues:
                key = (post.id, due.visit_type)
                seen.add(key)
                values = {
                    'due_date': due.due_date,
                    'earliest_date': due.earliest_date,
                    'rule': due.rule.id,
                    'reason': due.reason,
                    'priority': cls._priority(due, today),
                    }
                if key not in existing:
                    to_create.append({
                            'employee': post.employee,
                            'assignment': post.id,
                            'member': post.member,
                            'visit_type': due.visit_type,
                            'origin': 'engine',
                            'request_date': today,
                            **values,
                            })
                    continue
                id_, _, current = existing[key]
                changed = {f: v for f, v in values.items() if current[f] != v}
                if changed:
                    # One UPDATE for the requests with the same changes
                    # (e.g. a move of priority).
                    to_write[tuple(sorted(changed.items()))].append(id_)
        if to_create:
            cls._engine_create(to_create)
        if to_write:
            cls.write(*[x for changed, ids in to_write.items()
                    for x in (cls.browse(ids), dict(changed))])
        obsolete = [id_ for key, (id_, state, _) in existing.items()
            if key not in seen and state == 'to_plan']
        if obsolete:
            cls.write(cls.browse(obsolete), {
                    'state': 'cancelled',
                    'cancel_reason': gettext(
                        'spsti_planning.msg_no_longer_due'),
                    })
        return len(to_create)

    @classmethod
    def _engine_posts(cls, ids):
        "The assignments of ids as engine.Post, in that order."
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        Employee = pool.get('spsti.employee')
        Exposure = pool.get('spsti.assignment.exposure')
        Specific = pool.get('spsti.assignment-spsti.visit.type')
        assignment, employee = Assignment.__table__(), Employee.__table__()
        exposure, specific = Exposure.__table__(), Specific.__table__()
        cursor = Transaction().connection.cursor()
        exposures, visits, posts = defaultdict(list), defaultdict(set), {}
        for sub in grouped_slice(ids, MAX_QUERY_PARAMS):
            sub = list(sub)
            cursor.execute(*exposure.select(exposure.assignment,
                    exposure.risk, exposure.start_date, exposure.end_date,
                    where=in_(exposure.assignment, sub)))
            for id_, *values in cursor:
                exposures[id_].append(tuple(values))
            cursor.execute(*specific.select(
                    specific.assignment, specific.visit_type,
                    where=in_(specific.assignment, sub)))
            for id_, visit_type in cursor:
                visits[id_].add(visit_type)
            cursor.execute(*assignment.join(employee,
                    condition=employee.id == assignment.employee).select(
                    assignment.id, assignment.employee, assignment.member,
                    assignment.job, assignment.start_date,
                    assignment.end_date,
                    Coalesce(assignment.category_override,
                        assignment.category),
                    assignment.contract_type, employee.birth_date,
                    *(Column(assignment, f) for f in CONDITION_FIELDS),
                    where=in_(assignment.id, sub)))
            for (id_, employee_id, member, job, start, end, category,
                    contract, birth, *flags) in cursor:
                conditions = personal_conditions(
                    dict(zip(CONDITION_FIELDS, flags)), contract,
                    age(birth, start) < 18)
                posts[id_] = engine.Post(id_, employee_id, member, job,
                    start, end, category, frozenset(conditions), birth,
                    tuple(exposures[id_]), frozenset(visits[id_]))
        return [posts[i] for i in ids]

    @classmethod
    def _engine_visits(cls, employees):
        "The visits done by employees: {employee id: [engine.Visit]}."
        Assignment = Pool().get('spsti.assignment')
        request, assignment = cls.__table__(), Assignment.__table__()
        cursor = Transaction().connection.cursor()
        visits = defaultdict(list)
        for sub in grouped_slice(employees, MAX_QUERY_PARAMS):
            # Through the employees' assignments (a request is for one of
            # its employee's): the index on (assignment, state) serves the
            # plan prepared once for all chunks, where the state is a
            # parameter and the partial index of the visits done cannot.
            cursor.execute(*assignment.join(request,
                    condition=request.assignment == assignment.id).select(
                    assignment.employee, request.done_date,
                    request.visit_type, request.assignment, assignment.job,
                    request.outcome,
                    where=in_(assignment.employee, sub)
                    & (request.state == 'done')
                    & (request.done_date != Null)))
            for employee, *visit in cursor:
                visits[employee].append(engine.Visit(*visit))
        return visits

    @classmethod
    def _engine_stoppages(cls, employees):
        """The work stoppages declared for employees:
        {employee id: [engine.Stoppage]}."""
        Stoppage = Pool().get('spsti.work_stoppage')
        table = Stoppage.__table__()
        cursor = Transaction().connection.cursor()
        stoppages = defaultdict(list)
        for sub in grouped_slice(employees, MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.employee, table.member,
                    table.kind, table.start_date, table.end_date,
                    where=in_(table.employee, sub),
                    order_by=[table.start_date.desc, table.id.desc]))
            for employee, member, kind, start, end in cursor:
                stoppages[employee].append(engine.Stoppage(member, kind,
                        start, end, stoppage_days(start, end),
                        return_date(end)))
        return stoppages

    @classmethod
    def _engine_requests(cls, assignments):
        """The open requests of the engine for the assignment ids:
        {(assignment, visit type): (id, state, {field: value})}."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        existing = {}
        for sub in grouped_slice(assignments, MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id, table.assignment,
                    table.visit_type, table.state,
                    *(Column(table, f) for f in ENGINE_FIELDS),
                    where=in_(table.assignment, sub)
                    & (table.origin == 'engine')
                    & table.state.in_(OPEN_STATES),
                    # As the order of the model: of duplicates (none are
                    # created), the last one is kept.
                    order_by=[table.priority.asc,
                        table.due_date.asc.nulls_last, table.id.asc]))
            for id_, assignment, visit_type, state, *values in cursor:
                existing[(assignment, visit_type)] = (
                    id_, state, dict(zip(ENGINE_FIELDS, values)))
        return existing

    @classmethod
    def _engine_create(cls, vlist):
        """Create the engine's new requests. On PostgreSQL, with nothing
        listening to their creation (ir.trigger), one COPY: their values
        come from the assignments and the rules, valid by construction, so
        the per-record validation of create is not run (on_modification
        does nothing on create). Returns the ids."""
        pool = Pool()
        Trigger = pool.get('ir.trigger')
        transaction = Transaction()
        if (backend.name != 'postgresql'
                or Trigger.get_triggers(cls.__name__, 'create')):
            return [r.id for sub in grouped_slice(vlist, CREATE_SLICE)
                for r in cls.create(list(sub))]
        cursor = transaction.connection.cursor()
        names = sorted(vlist[0])
        # The defaults create would set (state, fields of other modules).
        defaults = cls.default_get(
            [n for n, f in cls._fields.items()
                if n not in names and n not in MAGIC_FIELDS
                and hasattr(f, 'sql_type') and not hasattr(f, 'getter')],
            with_rec_name=False)
        ids = transaction.database.nextid(
            transaction.connection, cls._table, count=len(vlist))
        ids = [ids] if isinstance(ids, int) else ids
        cursor.execute(*Select([CurrentTimestamp()]))
        now, = cursor.fetchone()
        tail = list(defaults.values()) + [transaction.user, now]
        columns = names + list(defaults) + ['create_uid', 'create_date', 'id']
        with cursor.copy(SQL('COPY {} ({}) FROM STDIN').format(
                    Identifier(cls._table),
                    SQL(', ').join(map(Identifier, columns)))) as copy:
            for values, id_ in zip(vlist, ids):
                copy.write_row([values[n] for n in names] + tail + [id_])
        transaction.create_records[cls.__name__].extend(ids)
        return ids

    @staticmethod
    def _priority(due, today):
        if due.due_date < today or due.rule.reference == 'return_to_work':
            return '1'
        if (due.due_date - today).days <= 30:
            return '2'
        return '3'
