"""Indicateurs de pilotage: the certification and DGT-survey indicators,
each a definition record (numerator, denominator, inclusions written out)
and the measures computed from it in SQL for a period and a scope."""
import datetime as dt

from dateutil.relativedelta import relativedelta
from sql import Literal, Null, Select
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.ir.cron import str2bigint
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.modules.spsti_planning.reactivity import days_between
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import IndicatorBusyError, IndicatorValidationError

SCOPES = [
    ('service', "Service"),
    ('sector', "Sector"),
    ('centre', "Centre"),
    ('team', "Team"),
    ('professional', "Professional"),
    ('member', "Member"),
    ]
# The Many2One of a measure that names its scope record.
SCOPE_MODELS = {
    'sector': 'spsti.sector',
    'centre': 'spsti.centre',
    'team': 'spsti.team',
    'professional': 'spsti.professional',
    'member': 'spsti.member',
    }
UNITS = [
    ('rate', "Rate"),
    ('count', "Count"),
    ('days', "Mean days"),
    ]
FAMILIES = [
    ('certification', "Certification"),
    ('dgt', "DGT survey"),
    ('operations', "Operations"),
    ]


class Portfolio:
    """The scope of a fact reached from its establishment or its member:
    the member, the team following the establishment (else the member's),
    its sector, the team's centre and the team's lead doctor (the
    professional scope is the portfolio a doctor leads)."""

    def __init__(self, scope):
        pool = Pool()
        self.scope = scope
        self.establishment = pool.get('spsti.establishment').__table__()
        self.member = pool.get('spsti.member').__table__()
        self.team = pool.get('spsti.team').__table__()

    def join(self, from_=None, establishment=None, member=None):
        """from_ joined to the portfolio by its establishment column, else
        by its member column; the members alone when from_ is None."""
        est, mem, team = self.establishment, self.member, self.team
        self._by_establishment = establishment is not None
        if from_ is None:
            from_ = mem
            team_id = mem.team
        elif establishment is not None:
            from_ = from_.join(est, condition=est.id == establishment
                ).join(mem, condition=mem.id == est.member)
            team_id = Coalesce(est.team, mem.team)
        else:
            from_ = from_.join(mem, condition=mem.id == member)
            team_id = mem.team
        if self.scope in {'centre', 'professional', 'team'}:
            from_ = from_.join(team, 'LEFT', condition=team.id == team_id)
        self._team_id = team_id
        return from_

    @property
    def group_by(self):
        "The grouping of a query by scope record (none for the service)."
        return [] if self.scope == 'service' else [self.key]

    @property
    def key(self):
        "The column of the scope record, NULL for the whole service."
        if self.scope == 'service':
            return Literal(None)
        if self.scope == 'member':
            return self.member.id
        if self.scope == 'team':
            return self.team.id
        if self.scope == 'centre':
            return self.team.centre
        if self.scope == 'professional':
            return self.team.lead
        if self._by_establishment:
            return Coalesce(self.establishment.sector, self.member.sector)
        return self.member.sector


class Period:
    "The bounds of a computation, as dates and as timestamps."

    def __init__(self, from_date, to_date):
        self.from_date = from_date
        self.to_date = to_date
        self.start = dt.datetime.combine(from_date, dt.time())
        self.end = dt.datetime.combine(
            to_date + dt.timedelta(days=1), dt.time())

    def dates(self, column):
        return (column >= self.from_date) & (column <= self.to_date)

    def datetimes(self, column):
        return (column >= self.start) & (column < self.end)


class Indicator(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    """Indicateur: what is counted and how, written out beside every
    figure. The code names the SQL that computes it; the window and the
    thésaurus code it relies on are data."""
    __name__ = 'spsti.indicator'
    __string__ = "Indicator"
    code = fields.Char("Code", required=True, readonly=True)
    name = fields.Char("Name", required=True, translate=True)
    family = fields.Selection(FAMILIES, "Family", required=True)
    unit = fields.Selection(UNITS, "Unit", required=True, readonly=True)
    numerator = fields.Text("Numerator", required=True, translate=True)
    denominator = fields.Text(
        "Denominator", translate=True,
        states={'required': Eval('unit') != 'count'})
    inclusions = fields.Text(
        "Inclusions and Exclusions", translate=True)
    source = fields.Char(
        "Source", help="The text that defines the indicator.")
    window_years = fields.Integer(
        "Window (years)", required=True,
        domain=[('window_years', '>', 0)],
        help="The default period, counted back from today.")
    parameter = fields.Char(
        "Thésaurus Code",
        help="The visit type, advice type or follow-up category code the "
        "indicator counts.")
    threshold = fields.Integer(
        "Threshold",
        help="The number the definition compares to: the days from which "
        "a work stoppage is long, the lowest score counted as satisfied.")
    measures = fields.One2Many('spsti.indicator.measure', 'indicator',
        "Measures", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'spsti_pilotage.msg_indicator_code_unique'),
            ]

    @classmethod
    def default_window_years(cls):
        return 5

    @classmethod
    def validate_fields(cls, indicators, field_names):
        super().validate_fields(indicators, field_names)
        if field_names & {'code'}:
            for indicator in indicators:
                if not hasattr(cls, f'_query_{indicator.code.lower()}'):
                    raise IndicatorValidationError(gettext(
                            'spsti_pilotage.msg_indicator_unknown_code',
                            indicator=indicator.rec_name,
                            code=indicator.code))
        if field_names & {'code', 'threshold'}:
            for indicator in indicators:
                if (indicator.code in cls._threshold_codes()
                        and indicator.threshold is None):
                    raise IndicatorValidationError(gettext(
                            'spsti_pilotage.msg_indicator_threshold',
                            indicator=indicator.rec_name))

    @classmethod
    def _threshold_codes(cls):
        "The codes whose computation compares to the threshold."
        return {'LONG_STOPPAGE'}

    def window_period(self, today=None):
        "The window of the indicator ending today: (from, to)."
        today = today or dt.date.today()
        return (today - relativedelta(years=self.window_years)
            + dt.timedelta(days=1), today)

    @classmethod
    def compute(cls, indicators, from_date, to_date, scope='service',
            scheduled=False):
        """Compute the indicators over the period for each record of the
        scope (one measure for the service) and store them as measures,
        replacing those of the same indicator, period and scope. Refused
        while another transaction computes one of them for that period
        and scope (IndicatorBusyError)."""
        pool = Pool()
        Measure = pool.get('spsti.indicator.measure')
        if from_date > to_date:
            raise IndicatorValidationError(gettext(
                    'spsti_pilotage.msg_period_inverted',
                    from_date=from_date, to_date=to_date))
        cls.lock_computation(indicators, from_date, to_date, scope)
        cursor = Transaction().connection.cursor()
        period = Period(from_date, to_date)
        to_save = []
        for indicator in indicators:
            query = getattr(cls, f'_query_{indicator.code.lower()}')(
                period, Portfolio(scope), indicator)
            cursor.execute(*query)
            for key, numerator, denominator in cursor:
                if scope != 'service' and key is None:
                    # Facts without a scope record count in the service.
                    continue
                to_save.append(Measure.from_figures(
                        indicator, period, scope, key,
                        numerator or 0, denominator, scheduled=scheduled))
        Measure.delete(Measure.search([
                    ('indicator', 'in', [i.id for i in indicators]),
                    ('from_date', '=', from_date),
                    ('to_date', '=', to_date),
                    ('scope', '=', scope),
                    ]))
        Measure.save(to_save)
        return to_save

    @classmethod
    def lock_computation(cls, indicators, from_date, to_date, scope):
        """Hold, until the end of the transaction, the computation of each
        indicator over the period and scope, or raise IndicatorBusyError
        when another transaction holds one. On PostgreSQL an advisory lock
        taken without waiting: a transaction that waited would still see
        the measures as they were before the other one committed, and
        would add its own beside them (the unique key of the measures then
        refuses them). SQLite has one writer at a time."""
        pool = Pool()
        Measure = pool.get('spsti.indicator.measure')
        transaction = Transaction()
        database = transaction.database
        cursor = transaction.connection.cursor()
        for indicator in indicators:
            key = str2bigint(f'{Measure.__name__},{indicator.id},'
                f'{from_date.isoformat()},{to_date.isoformat()},{scope}')
            cursor.execute(*Select([database.lock_id(key)]))
            locked, = cursor.fetchone()
            if not locked:
                scopes = dict(Measure.fields_get(['scope'])['scope'][
                        'selection'])
                raise IndicatorBusyError(gettext(
                        'spsti_pilotage.msg_computation_busy',
                        indicator=indicator.rec_name,
                        from_date=from_date, to_date=to_date,
                        scope=scopes[scope]))

    @classmethod
    def compute_default_windows(cls, today=None, scopes=None):
        """Scheduled: every indicator over its default window ending today
        (the window of its definition), for the service and each other
        scope. The measures of the previous scheduled run are replaced;
        those computed on demand stay. A computation an identical one
        holds at the same time is left to it. Returns the measures."""
        pool = Pool()
        Measure = pool.get('spsti.indicator.measure')
        Batch = pool.get('spsti.batch')
        today = today or dt.date.today()
        scopes = scopes or [s for s, _ in SCOPES]
        indicators = cls.search([])
        measures, busy = [], []
        with Batch.run(gettext('spsti_pilotage.msg_batch_indicators'),
                total=len(indicators) * len(scopes)) as batch:
            for scope in scopes:
                Measure.delete(Measure.search([
                            ('scheduled', '=', True),
                            ('scope', '=', scope),
                            ('to_date', '<', today),
                            ]))
                for indicator in indicators:
                    from_date, to_date = indicator.window_period(today)
                    try:
                        measures += cls.compute([indicator], from_date,
                            to_date, scope, scheduled=True)
                    except IndicatorBusyError as exception:
                        busy.append(exception.message)
                    batch.advance(1)
            batch.complete(summary='\n'.join([gettext(
                            'spsti_pilotage.msg_batch_indicators_done',
                            measures=len(measures))] + busy))
        return measures

    # The queries: each selects (scope key, numerator, denominator) grouped
    # by the scope key, in one statement.

    @classmethod
    def _members_at(cls, member, date):
        "Members at date: admitted on or before it, not struck off by it."
        return ((member.membership_date != Null)
            & (member.membership_date <= date)
            & ((member.strike_off_date == Null)
                | (member.strike_off_date > date)))

    @classmethod
    def _followed(cls, portfolio, period):
        """The employees followed at the end of the period: (from, where,
        employee column) of their assignments in force at a member."""
        assignment = Pool().get('spsti.assignment').__table__()
        from_ = portfolio.join(
            assignment, establishment=assignment.establishment)
        date = period.to_date
        where = ((assignment.start_date <= date)
            & ((assignment.end_date == Null) | (assignment.end_date >= date))
            & cls._members_at(portfolio.member, date))
        return from_, where, assignment

    @classmethod
    def _population_rate(cls, portfolio, period, employees):
        """Employees followed at the end of the period (denominator) and
        those of them in the employees sub-query, whose column is named
        employee (numerator)."""
        from_, where, assignment = cls._followed(portfolio, period)
        # Joined rather than tested by IN: PostgreSQL scans an IN sub-query
        # whose hash exceeds work_mem again for each row.
        employees.distinct = True
        from_ = from_.join(employees, 'LEFT',
            condition=employees.employee == assignment.employee)
        return from_.select(
            portfolio.key,
            Count(employees.employee, distinct=True),
            Count(assignment.employee, distinct=True),
            where=where, group_by=portfolio.group_by)

    @classmethod
    def _member_rate(cls, portfolio, period, members):
        """Members at the end of the period (denominator) and those of
        them in the members sub-query (numerator)."""
        from_ = portfolio.join()
        member = portfolio.member
        return from_.select(
            portfolio.key,
            Count(Case((member.id.in_(members), member.id)), distinct=True),
            Count(member.id, distinct=True),
            where=cls._members_at(portfolio.member, period.to_date),
            group_by=portfolio.group_by)

    @classmethod
    def _sheets(cls, period):
        "The validated company sheets dated in the period."
        sheet = Pool().get('spsti.company_sheet').__table__()
        return sheet, (sheet.state == 'validated') & period.dates(sheet.date)

    @classmethod
    def _query_fe_members(cls, period, portfolio, indicator):
        establishment = Pool().get('spsti.establishment').__table__()
        sheet, where = cls._sheets(period)
        members = sheet.join(establishment,
            condition=sheet.establishment == establishment.id
            ).select(establishment.member, where=where)
        return cls._member_rate(portfolio, period, members)

    @classmethod
    def _query_fe_employees(cls, period, portfolio, indicator):
        from_, where, assignment = cls._followed(portfolio, period)
        sheet, sheet_where = cls._sheets(period)
        covered = sheet.select(sheet.establishment, where=sheet_where,
            distinct=True)
        from_ = from_.join(covered, 'LEFT',
            condition=covered.establishment == assignment.establishment)
        return from_.select(
            portfolio.key,
            Count(Case((covered.establishment != Null, assignment.employee)),
                distinct=True),
            Count(assignment.employee, distinct=True),
            where=where, group_by=portfolio.group_by)

    @classmethod
    def _query_seen(cls, period, portfolio, indicator):
        request = Pool().get('spsti.visit.request').__table__()
        seen = request.select(request.employee,
            where=(request.state == 'done') & period.dates(request.done_date))
        return cls._population_rate(portfolio, period, seen)

    @classmethod
    def _query_on_time(cls, period, portfolio, indicator):
        pool = Pool()
        request = pool.get('spsti.visit.request').__table__()
        assignment = pool.get('spsti.assignment').__table__()
        due = Coalesce(request.due_date_override, request.due_date)
        from_ = portfolio.join(
            request.join(assignment,
                condition=request.assignment == assignment.id),
            establishment=assignment.establishment)
        on_time = (request.state == 'done') & (request.done_date <= due)
        return from_.select(
            portfolio.key,
            Sum(Case((on_time, 1), else_=0)),
            Count(request.id),
            where=(request.state != 'cancelled') & period.dates(due),
            group_by=portfolio.group_by)

    @classmethod
    def _query_dmst(cls, period, portfolio, indicator):
        file = Pool().get('spsti.dmst').__table__()
        files = file.select(file.employee,
            where=(file.state != 'purged')
            & (file.opening_date <= period.to_date))
        return cls._population_rate(portfolio, period, files)

    @classmethod
    def _query_aware_members(cls, period, portfolio, indicator):
        awareness = Pool().get('spsti.crm.awareness').__table__()
        members = awareness.select(awareness.member,
            where=period.dates(awareness.date) & (awareness.member != Null))
        return cls._member_rate(portfolio, period, members)

    @classmethod
    def _query_aware_employees(cls, period, portfolio, indicator):
        awareness = Pool().get('spsti.crm.awareness').__table__()
        employees = awareness.select(awareness.employee,
            where=period.dates(awareness.date)
            & (awareness.employee != Null))
        return cls._population_rate(portfolio, period, employees)

    @classmethod
    def _query_advice_members(cls, period, portfolio, indicator):
        action = Pool().get('spsti.workplace_action').__table__()
        members = action.select(action.member,
            where=(action.state == 'done') & period.datetimes(action.start))
        return cls._member_rate(portfolio, period, members)

    @classmethod
    def _issued(cls, period):
        """The consultations issued in the period with their employee:
        (from, where, consultation, employee column). Only their date,
        outcome and advice codes are read, never their content."""
        pool = Pool()
        consultation = pool.get('spsti.dmst.consultation').__table__()
        file = pool.get('spsti.dmst').__table__()
        from_ = consultation.join(file,
            condition=consultation.file == file.id)
        where = ((consultation.state == 'issued')
            & period.dates(consultation.date))
        return from_, where, consultation, file.employee

    @classmethod
    def _advised(cls, period, code=None):
        "The employees given advice (of that code) in the period."
        pool = Pool()
        link = pool.get(
            'spsti.dmst.consultation-spsti.advice.type').__table__()
        advice = pool.get('spsti.advice.type').__table__()
        from_, where, consultation, employee = cls._issued(period)
        from_ = from_.join(link, condition=link.consultation == consultation.id
            ).join(advice, condition=link.advice == advice.id)
        if code:
            where &= advice.code == code
        return from_.select(employee, where=where)

    @classmethod
    def _query_advice_employees(cls, period, portfolio, indicator):
        return cls._population_rate(portfolio, period, cls._advised(period))

    @classmethod
    def _by_request(cls, portfolio, from_, request_column):
        """from_ joined to the portfolio through the visit request of its
        rows, when it has one; those without fall in no scope record."""
        pool = Pool()
        request = pool.get('spsti.visit.request').__table__()
        assignment = pool.get('spsti.assignment').__table__()
        from_ = from_.join(request, 'LEFT',
            condition=request_column == request.id
            ).join(assignment, 'LEFT',
            condition=request.assignment == assignment.id)
        est, mem, team = (
            portfolio.establishment, portfolio.member, portfolio.team)
        from_ = from_.join(est, 'LEFT',
            condition=est.id == assignment.establishment
            ).join(mem, 'LEFT', condition=mem.id == est.member)
        portfolio._team_id = Coalesce(est.team, mem.team)
        portfolio._by_establishment = True
        if portfolio.scope in {'centre', 'professional', 'team'}:
            from_ = from_.join(team, 'LEFT',
                condition=team.id == portfolio._team_id)
        return from_

    @classmethod
    def _query_annex4(cls, period, portfolio, indicator):
        from_, where, consultation, employee = cls._issued(period)
        from_ = cls._by_request(portfolio, from_, consultation.request)
        return from_.select(
            portfolio.key, Count(consultation.id), Literal(None),
            where=where & cls._adjustment(consultation),
            group_by=portfolio.group_by)

    @staticmethod
    def _adjustment(consultation):
        "Whether an outcome proposes an adjustment of the post."
        return ((consultation.outcome == 'fit_with_adjustment')
            | (Coalesce(consultation.adjustment_proposal, '') != ''))

    @classmethod
    def _query_social(cls, period, portfolio, indicator):
        pool = Pool()
        link = pool.get(
            'spsti.dmst.consultation-spsti.advice.type').__table__()
        advice = pool.get('spsti.advice.type').__table__()
        from_, where, consultation, employee = cls._issued(period)
        from_ = from_.join(link, condition=link.consultation == consultation.id
            ).join(advice, condition=link.advice == advice.id)
        from_ = cls._by_request(portfolio, from_, consultation.request)
        return from_.select(
            portfolio.key, Count(employee, distinct=True), Literal(None),
            where=where & (advice.code == indicator.parameter),
            group_by=portfolio.group_by)

    @classmethod
    def _query_kept(cls, period, portfolio, indicator):
        """Employees with a pré-reprise visit done in the period (the
        denominator), and those of them still in a post at the same member
        at the end of the period."""
        pool = Pool()
        request = pool.get('spsti.visit.request').__table__()
        type_ = pool.get('spsti.visit.type').__table__()
        assignment = pool.get('spsti.assignment').__table__()
        kept = pool.get('spsti.assignment').__table__()
        from_ = portfolio.join(
            request.join(type_, condition=request.visit_type == type_.id
                ).join(assignment,
                condition=request.assignment == assignment.id),
            establishment=assignment.establishment)
        date = period.to_date
        # A join: a sub-query of the request's member would run per row.
        from_ = from_.join(kept, 'LEFT',
            condition=(kept.employee == request.employee)
            & (kept.member == request.member)
            & (kept.start_date <= date)
            & ((kept.end_date == Null) | (kept.end_date >= date)))
        return from_.select(
            portfolio.key,
            Count(Case((kept.id != Null, request.employee)), distinct=True),
            Count(request.employee, distinct=True),
            where=(request.state == 'done')
            & period.dates(request.done_date)
            & (type_.code == indicator.parameter),
            group_by=portfolio.group_by)

    @classmethod
    def _query_long_stoppage(cls, period, portfolio, indicator):
        """Employees with a long work stoppage that started in the period
        (the denominator), and those of them with an issued outcome
        proposing an adjustment of their post from its first day off to
        the end of the period."""
        pool = Pool()
        stoppage = pool.get('spsti.work_stoppage').__table__()
        consultation = pool.get('spsti.dmst.consultation').__table__()
        file = pool.get('spsti.dmst').__table__()
        date = period.to_date
        last_day = Case(
            ((stoppage.end_date == Null) | (stoppage.end_date > date), date),
            else_=stoppage.end_date)
        adjusted = consultation.join(file,
            condition=consultation.file == file.id
            ).select(file.employee, consultation.date,
            where=(consultation.state == 'issued')
            & (consultation.date <= date)
            & cls._adjustment(consultation))
        from_ = portfolio.join(
            stoppage.join(adjusted, 'LEFT',
                condition=(adjusted.employee == stoppage.employee)
                & (adjusted.date >= stoppage.start_date)),
            member=stoppage.member)
        return from_.select(
            portfolio.key,
            Count(Case((adjusted.employee != Null, stoppage.employee)),
                distinct=True),
            Count(stoppage.employee, distinct=True),
            where=(stoppage.kind != 'maternity')
            & period.dates(stoppage.start_date)
            & (days_between(stoppage.start_date, last_day) + 1
                >= indicator.threshold),
            group_by=portfolio.group_by)

    @classmethod
    def _query_followed_category(cls, period, portfolio, indicator):
        """Employees followed at the end of the period (denominator), and
        those of them with an assignment in force of the follow-up
        category of the indicator's code (as set by the doctor, else as
        computed)."""
        category = Pool().get('spsti.follow_up.category').__table__()
        from_, where, assignment = cls._followed(portfolio, period)
        in_category = Coalesce(
            assignment.category_override, assignment.category).in_(
            category.select(category.id,
                where=category.code == indicator.parameter))
        return from_.select(
            portfolio.key,
            Count(Case((in_category, assignment.employee)), distinct=True),
            Count(assignment.employee, distinct=True),
            where=where, group_by=portfolio.group_by)

    _query_followed_sig = _query_followed_category
    _query_followed_sia = _query_followed_category
    _query_followed_sir = _query_followed_category

    @classmethod
    def _members_dated(cls, period, portfolio, column):
        "The members whose date column falls in the period."
        member = portfolio.member
        return portfolio.join().select(
            portfolio.key, Count(member.id), Literal(None),
            where=period.dates(getattr(member, column)),
            group_by=portfolio.group_by)

    @classmethod
    def _query_memberships(cls, period, portfolio, indicator):
        return cls._members_dated(period, portfolio, 'membership_date')

    @classmethod
    def _query_strike_offs(cls, period, portfolio, indicator):
        return cls._members_dated(period, portfolio, 'strike_off_date')

    @classmethod
    def _query_backlog(cls, period, portfolio, indicator):
        """Visits overdue at the end of the period: due before it, asked
        for by then, and not done by then (still open, or done later)."""
        pool = Pool()
        request = pool.get('spsti.visit.request').__table__()
        assignment = pool.get('spsti.assignment').__table__()
        due = Coalesce(request.due_date_override, request.due_date)
        date = period.to_date
        from_ = portfolio.join(
            request.join(assignment,
                condition=request.assignment == assignment.id),
            establishment=assignment.establishment)
        not_done = (request.state.in_(['to_plan', 'planned', 'no_show'])
            | ((request.state == 'done') & (request.done_date > date)))
        return from_.select(
            portfolio.key, Count(request.id), Literal(None),
            where=(due < date) & (request.request_date <= date) & not_done,
            group_by=portfolio.group_by)

    @classmethod
    def _visit_slots(cls, period, portfolio, states):
        """(from, where, slot table) of the slots of visit requests in
        states that start in the period, joined to the portfolio."""
        slot = Pool().get('spsti.slot').__table__()
        from_ = cls._by_request(portfolio, slot, slot.request)
        where = (slot.state.in_(states) & (slot.request != Null)
            & period.datetimes(slot.start))
        return from_, where, slot

    @classmethod
    def _no_show_rate(cls, period, portfolio, condition=None):
        """The slots of the visits held or missed in the period
        (denominator) and the no-shows among them (numerator); condition,
        a function of the slot table, narrows both."""
        from_, where, slot = cls._visit_slots(
            period, portfolio, ['done', 'no_show'])
        if condition:
            where &= condition(slot)
        return from_.select(
            portfolio.key,
            Sum(Case((slot.state == 'no_show', 1), else_=0)),
            Count(slot.id),
            where=where, group_by=portfolio.group_by)

    @classmethod
    def _query_no_show(cls, period, portfolio, indicator):
        return cls._no_show_rate(period, portfolio)

    @classmethod
    def _query_reactivity(cls, period, portfolio, indicator):
        pool = Pool()
        request = pool.get('spsti.visit.request').__table__()
        assignment = pool.get('spsti.assignment').__table__()
        from_ = portfolio.join(
            request.join(assignment,
                condition=request.assignment == assignment.id),
            establishment=assignment.establishment)
        return from_.select(
            portfolio.key,
            Sum(days_between(request.request_date, request.done_date)),
            Count(request.id),
            where=(request.state == 'done')
            & period.dates(request.done_date),
            group_by=portfolio.group_by)


class Measure(ModelSQL, ModelView):
    """Mesure d'un indicateur: its figure for a period and a scope record,
    with the numerator and denominator it comes from and the written
    definition beside it."""
    __name__ = 'spsti.indicator.measure'
    __string__ = "Indicator Measure"
    indicator = fields.Many2One('spsti.indicator', "Indicator",
        required=True, ondelete='CASCADE', readonly=True)
    unit = fields.Function(fields.Selection(UNITS, "Unit"), 'get_definition')
    from_date = fields.Date("From", required=True, readonly=True)
    to_date = fields.Date("To", required=True, readonly=True)
    scope = fields.Selection(SCOPES, "Scope", required=True, readonly=True)
    sector = fields.Many2One('spsti.sector', "Sector", readonly=True)
    centre = fields.Many2One('spsti.centre', "Centre", readonly=True)
    team = fields.Many2One('spsti.team', "Team", readonly=True)
    professional = fields.Many2One(
        'spsti.professional', "Professional", readonly=True)
    member = fields.Many2One('spsti.member', "Member", readonly=True)
    numerator = fields.Float("Numerator Value", digits=(16, 1),
        readonly=True)
    denominator = fields.Integer("Denominator Value", readonly=True)
    value = fields.Float("Value", digits=(16, 4), readonly=True,
        help="The rate (numerator / denominator), the count or the mean.")
    percentage = fields.Function(
        fields.Float("Percentage", digits=(3, 1)), 'get_percentage')
    computed = fields.DateTime("Computed", readonly=True)
    scheduled = fields.Boolean("Scheduled", readonly=True,
        help="Computed by the scheduled task, which replaces it at its "
        "next run.")
    # The id of the record of the scope (0 for the service): with the
    # indicator, period and scope, the unique key of a measure.
    scope_record = fields.Integer("Scope Record ID", required=True,
        readonly=True)
    numerator_definition = fields.Function(
        fields.Text("Numerator"), 'get_definition')
    denominator_definition = fields.Function(
        fields.Text("Denominator"), 'get_definition')
    inclusions = fields.Function(
        fields.Text("Inclusions and Exclusions"), 'get_definition')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [
            ('to_date', 'DESC'), ('indicator', 'ASC'), ('id', 'ASC')]
        cls._sql_indexes.add(Index(t,
                (t.indicator, Index.Equality()),
                (t.to_date, Index.Range()),
                (t.scope, Index.Equality())))
        cls._sql_constraints += [
            ('measure_unique', Unique(t, t.indicator, t.from_date,
                    t.to_date, t.scope, t.scope_record),
                'spsti_pilotage.msg_measure_unique'),
            ]

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # Measures computed before the key: their scope record is the
        # only Many2One set.
        if (table_h.column_exist('scope')
                and not table_h.column_exist('scope_record')):
            table_h.add_column('scope_record', 'INTEGER')
            cursor.execute(*table.update([table.scope_record],
                    [Coalesce(table.sector, table.centre, table.team,
                            table.professional, table.member, 0)]))
        super().__register__(module)

    @classmethod
    def default_scheduled(cls):
        return False

    @classmethod
    def from_figures(cls, indicator, period, scope, key, numerator,
            denominator, scheduled=False):
        "The measure (not saved) of the figures of one scope record."
        if indicator.unit == 'count':
            value = numerator
        else:
            value = (round(numerator / denominator, 4) if denominator
                else None)
        measure = cls(
            indicator=indicator, from_date=period.from_date,
            to_date=period.to_date, scope=scope, numerator=numerator,
            denominator=denominator, value=value,
            computed=dt.datetime.now(), scheduled=scheduled,
            scope_record=key or 0)
        if scope in SCOPE_MODELS:
            setattr(measure, scope, key)
        return measure

    def get_definition(self, name):
        return getattr(self.indicator, {
                'numerator_definition': 'numerator',
                'denominator_definition': 'denominator',
                }.get(name, name))

    def get_percentage(self, name):
        if self.indicator.unit == 'rate' and self.value is not None:
            return round(self.value * 100, 1)

    def get_rec_name(self, name):
        return f'{self.indicator.rec_name} ({self.from_date} – {self.to_date})'


class ComputeStart(ModelView):
    "The period and the scope to compute the indicators for."
    __name__ = 'spsti.indicator.compute.start'
    __string__ = "Compute Indicators"
    from_date = fields.Date("From", required=True)
    to_date = fields.Date("To", required=True)
    scope = fields.Selection(SCOPES, "Scope", required=True,
        help="One measure for the service, else one per record of the "
        "scope.")
    indicators = fields.Many2Many(
        'spsti.indicator', None, None, "Indicators",
        help="Leave empty for all of them.")

    @classmethod
    def default_from_date(cls):
        return dt.date.today() - relativedelta(years=5) + dt.timedelta(days=1)

    @classmethod
    def default_to_date(cls):
        return dt.date.today()

    @classmethod
    def default_scope(cls):
        return 'service'


class Compute(Wizard):
    "Compute the indicators and show their measures."
    __name__ = 'spsti.indicator.compute'
    start = StateView('spsti.indicator.compute.start',
        'spsti_pilotage.indicator_compute_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Compute", 'compute', 'tryton-ok', default=True),
            ])
    compute = StateAction('spsti_pilotage.act_measure')

    def do_compute(self, action):
        Indicator = Pool().get('spsti.indicator')
        indicators = list(self.start.indicators) or Indicator.search([])
        measures = Indicator.compute(indicators, self.start.from_date,
            self.start.to_date, self.start.scope)
        return action, {'res_id': [m.id for m in measures]}
