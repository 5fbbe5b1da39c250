"""Charge des équipes: the visits a team's portfolio makes due each year,
from its employees by follow-up category and the periodicity rules in
force, against the working time of its health professionals over the
year, less their absences."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Null
from sql.aggregate import Count
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .coverage import _in_force
from .exceptions import LoadError

STATUSES = [
    ('overloaded', "Overloaded"),
    ('balanced', "Balanced"),
    ('underloaded', "Underloaded"),
    ('no_capacity', "No capacity"),
    ]
# The load is measured over a year from its date.
HORIZON = dt.timedelta(days=365)


def _years(rule):
    "The delay of a periodicity rule, in years."
    return {
        'day': Decimal(rule.delay) / Decimal('365.25'),
        'month': Decimal(rule.delay) / 12,
        'year': Decimal(rule.delay),
        }[rule.unit]


def _hours(start, end):
    "Hours between two times of a day."
    return Decimal((dt.datetime.combine(dt.date.min, end)
            - dt.datetime.combine(dt.date.min, start)).seconds) / 3600


class TeamMember(metaclass=PoolMeta):
    __name__ = 'spsti.team.member'
    time_share = fields.Numeric(
        "Share of Time", digits=(1, 4), required=True,
        domain=[('time_share', '>', 0), ('time_share', '<=', 1)],
        help="The share of the professional's working time given to this "
        "team (quotité), when they work for several.")

    @classmethod
    def default_time_share(cls):
        return Decimal(1)


class TeamLoad(ModelSQL, ModelView):
    """Charge d'une équipe à une date: employees followed by category, the
    visits due per year and their hours, the yearly capacity of its health
    professionals, their ratio and what it says (overloaded, underloaded).
    Computed set-wise for every team; a new computation for the same date
    replaces the previous one."""
    __name__ = 'spsti.team.load'
    __string__ = "Team Load"
    date = fields.Date("Date", required=True, readonly=True)
    team = fields.Many2One(
        'spsti.team', "Team", required=True, readonly=True,
        ondelete='CASCADE')
    sector = fields.Many2One(
        'spsti.sector', "Sector", readonly=True, ondelete='SET NULL')
    employees = fields.Integer("Employees", readonly=True)
    visits = fields.Numeric(
        "Visits per Year", digits=(16, 1), readonly=True,
        help="Periodic visits the employees followed make due each year, "
        "and the initial visits of the posts taken up over the last year.")
    load_hours = fields.Numeric(
        "Load (hours)", digits=(16, 1), readonly=True,
        help="Hours of those visits per year (usual length of each type).")
    capacity_hours = fields.Numeric(
        "Capacity (hours)", digits=(16, 1), readonly=True,
        help="Working hours of the team's health professionals over the "
        "year from the date, less their absences, times their share.")
    ratio = fields.Float("Load Ratio", digits=(16, 2), readonly=True)
    status = fields.Selection(STATUSES, "Status", readonly=True)
    categories = fields.One2Many(
        'spsti.team.load.category', 'load', "By Category", readonly=True)
    professionals = fields.One2Many(
        'spsti.team.load.professional', 'load', "Capacity", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.date, Index.Range()),
                (t.team, Index.Equality())))
        cls._order = [('date', 'DESC'), ('ratio', 'DESC NULLS FIRST'),
            ('id', 'ASC')]
        cls._buttons.update({
                'reassign': {
                    'icon': 'tryton-forward',
                    },
                })

    def get_rec_name(self, name):
        return f'{self.team.rec_name} {self.date.strftime("%d/%m/%Y")}'

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('status') == 'overloaded', 'danger',
                    If(Eval('status') == 'underloaded', 'warning', ''))),
            ]

    @classmethod
    @ModelView.button_action('spsti_organisation.wizard_reassign')
    def reassign(cls, loads):
        "Move part of an overloaded team's portfolio to another team."

    @classmethod
    def visit_rates(cls, date):
        """Per follow-up category, the periodic visits each employee makes
        due per year, from the rules in force on date: a rule renewed by
        its own visit type recurs every delay; an intermediate visit (a
        type its rule does not count as previous visit, e.g. SIR-INT after
        the aptitude exam) comes once per cycle of the rule it follows,
        when it falls within it. Situation-, exposure- and stoppage-
        specific rules, the age rule and the return-to-work rules are left
        out: they concern a few employees at a time; initial visits are
        counted from the posts taken up (initial_visits).

        Returns {category id: [(visit type, visits per year, minutes,
        profession ids)]}."""
        pool = Pool()
        Rule = pool.get('spsti.periodicity.rule')
        Category = pool.get('spsti.follow_up.category')
        rates = {}
        for category in Category.search([]):
            rules = [r for r in Rule.rules_at(date, category=category)
                if r.category and r.mandatory
                and r.reference == 'previous_visit' and r.delay
                and not (r.condition or r.risk or r.stoppage)]
            cycles = {}
            for rule in rules:
                references = {t.id for t in rule.reference_visit_types} or {
                    rule.visit_type.id}
                if rule.visit_type.id in references:
                    cycles[rule.visit_type.id] = rule
            lines = []
            for rule in rules:
                references = {t.id for t in rule.reference_visit_types} or {
                    rule.visit_type.id}
                if rule.visit_type.id in references:
                    per_year = 1 / _years(rule)
                else:
                    followed = [cycles[t] for t in references if t in cycles]
                    if not followed:
                        continue
                    cycle = min(followed, key=_years)
                    if _years(rule) >= _years(cycle):
                        continue
                    per_year = 1 / _years(cycle)
                lines.append((rule.visit_type, per_year,
                        rule.visit_type.duration or 0,
                        {p.id for p in rule.professions}))
            rates[category.id] = lines
        return rates

    @classmethod
    def initial_visits(cls, date):
        """Per follow-up category, the initial visits a post taken up makes
        due, from the general rules in force on date (the visit on taking
        up the post: VIP-I, SIR-I).

        Returns {category id: [(visit type, minutes, profession ids)]}."""
        pool = Pool()
        Rule = pool.get('spsti.periodicity.rule')
        Category = pool.get('spsti.follow_up.category')
        return {category.id: [
                (r.visit_type, r.visit_type.duration or 0,
                    {p.id for p in r.professions})
                for r in Rule.rules_at(date, category=category)
                if r.category and r.mandatory
                and r.reference == 'assignment_start'
                and not (r.condition or r.risk or r.stoppage)]
            for category in Category.search([])}

    @classmethod
    def workforce(cls, date):
        """{(team id, category id): (employees, new employees)} followed on
        date, the new ones having taken up their post over the year before:
        one query over the assignments in force, their team the coverage in
        force of their establishment, else of their member."""
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        Coverage = pool.get('spsti.team.coverage')
        cursor = Transaction().connection.cursor()
        assignment = Assignment.__table__()
        establishment_coverage = Coverage.__table__()
        member_coverage = Coverage.__table__()
        team = Coalesce(establishment_coverage.team, member_coverage.team)
        category = Coalesce(assignment.category_override, assignment.category)
        new = Case((assignment.start_date > date - HORIZON,
                assignment.employee))
        query = assignment.join(establishment_coverage, 'LEFT',
            condition=(establishment_coverage.establishment
                == assignment.establishment)
            & _in_force(establishment_coverage, date)
            ).join(member_coverage, 'LEFT',
            condition=(member_coverage.member == assignment.member)
            & (member_coverage.establishment == Null)
            & _in_force(member_coverage, date)
            ).select(team, category,
                Count(assignment.employee, distinct=True),
                Count(new, distinct=True),
                where=_in_force(assignment, date)
                & (team != Null) & (category != Null),
                group_by=[team, category])
        cursor.execute(*query)
        return {(t, c): (n, m) for t, c, n, m in cursor}

    @classmethod
    def capacities(cls, date, professions):
        """{team id: [(professional id, weekly hours, share, absence days,
        hours)]} over the year from date, for the team members in force
        whose profession performs the periodic visits: each weekday of the
        year counts its working hours unless the professional is absent."""
        pool = Pool()
        TeamMember = pool.get('spsti.team.member')
        WorkTime = pool.get('spsti.professional.work_time')
        Absence = pool.get('spsti.professional.absence')
        Professional = pool.get('spsti.professional')
        cursor = Transaction().connection.cursor()
        member = TeamMember.__table__()
        professional = Professional.__table__()
        work_time = WorkTime.__table__()
        absence = Absence.__table__()
        end = date + HORIZON - dt.timedelta(days=1)
        cursor.execute(*member.join(professional,
                condition=professional.id == member.professional
                ).select(member.team, member.professional, member.time_share,
                where=((member.start_date == Null)
                    | (member.start_date <= date))
                & ((member.end_date == Null) | (member.end_date >= date))
                & professional.profession.in_(list(professions) or [-1])
                & (professional.active == True)))  # noqa: E712
        memberships = cursor.fetchall()
        professionals = sorted({p for _, p, _ in memberships})
        weekly = defaultdict(lambda: defaultdict(Decimal))
        absent = defaultdict(set)
        if professionals:
            cursor.execute(*work_time.select(
                    work_time.professional, work_time.weekday,
                    work_time.start_time, work_time.end_time,
                    where=work_time.professional.in_(professionals)))
            for professional_id, weekday, start, end_time in cursor:
                weekly[professional_id][int(weekday)] += _hours(
                    start, end_time)
            cursor.execute(*absence.select(
                    absence.professional, absence.start_date,
                    absence.end_date,
                    where=absence.professional.in_(professionals)
                    & (absence.start_date <= end)
                    & (absence.end_date >= date)))
            for professional_id, first, last in cursor:
                day = max(first, date)
                while day <= min(last, end):
                    absent[professional_id].add(day)
                    day += dt.timedelta(days=1)
        weekdays = defaultdict(int)
        day = date
        while day <= end:
            weekdays[day.weekday()] += 1
            day += dt.timedelta(days=1)
        result = defaultdict(list)
        for team_id, professional_id, share in memberships:
            hours_by_day = weekly[professional_id]
            share = Decimal(str(share))
            days_off = [d for d in absent[professional_id]
                if hours_by_day.get(d.weekday())]
            hours = (sum(h * weekdays[w] for w, h in hours_by_day.items())
                - sum(hours_by_day[d.weekday()] for d in days_off))
            result[team_id].append((professional_id,
                    sum(hours_by_day.values(), Decimal(0)), share,
                    len(days_off), hours * share))
        return result

    @classmethod
    def compute(cls, date=None):
        """Compute the load of every active team on date (today) and store
        it, replacing a previous computation of the same date."""
        pool = Pool()
        Team = pool.get('spsti.team')
        Coverage = pool.get('spsti.team.coverage')
        Configuration = pool.get('spsti.adherent.configuration')
        Date = pool.get('ir.date')
        date = date or Date.today()
        config = Configuration(1)
        Coverage.initialise()
        rates = cls.visit_rates(date)
        initials = cls.initial_visits(date)
        if not any(rates.values()):
            raise LoadError(gettext(
                    'spsti_organisation.msg_load_no_rule', date=date))
        professions = set().union(*(p for lines in rates.values()
                for _, _, _, p in lines), *(p for lines in initials.values()
                for _, _, p in lines))
        workforce = cls.workforce(date)
        capacities = cls.capacities(date, professions)
        cls.delete(cls.search([('date', '=', date)]))
        loads = []
        for team in Team.search([]):
            categories = []
            for category_id, lines in rates.items():
                employees, new = workforce.get((team.id, category_id), (0, 0))
                if not employees:
                    continue
                initial = initials.get(category_id, [])
                visits = (sum((r for _, r, _, _ in lines), Decimal(0))
                    * employees + len(initial) * new)
                hours = (sum((r * m for _, r, m, _ in lines), Decimal(0))
                    * employees + sum(m for _, m, _ in initial) * new) / 60
                categories.append({
                        'category': category_id,
                        'employees': employees,
                        'new_employees': new,
                        'visits': visits.quantize(Decimal('0.1')),
                        'hours': hours.quantize(Decimal('0.1')),
                        })
            professionals = [{
                    'professional': p,
                    'weekly_hours': w.quantize(Decimal('0.01')),
                    'time_share': s,
                    'absence_days': a,
                    'hours': h.quantize(Decimal('0.1')),
                    } for p, w, s, a, h in capacities.get(team.id, [])]
            if not (categories or professionals):
                continue
            load_hours = sum((c['hours'] for c in categories), Decimal(0))
            capacity = sum((p['hours'] for p in professionals), Decimal(0))
            ratio = float(load_hours / capacity) if capacity else None
            if ratio is None:
                status = 'no_capacity' if load_hours else 'underloaded'
            elif ratio > float(config.overload_ratio):
                status = 'overloaded'
            elif ratio < float(config.underload_ratio):
                status = 'underloaded'
            else:
                status = 'balanced'
            loads.append({
                    'date': date,
                    'team': team.id,
                    'sector': team.sector.id,
                    'employees': sum(c['employees'] for c in categories),
                    'visits': sum((c['visits'] for c in categories),
                        Decimal(0)),
                    'load_hours': load_hours,
                    'capacity_hours': capacity,
                    'ratio': round(ratio, 2) if ratio is not None else None,
                    'status': status,
                    'categories': [('create', categories)],
                    'professionals': [('create', professionals)],
                    })
        return cls.create(loads)

    @classmethod
    def compute_today(cls):
        "The scheduled task."
        cls.compute()


class TeamLoadCategory(ModelSQL, ModelView):
    "Charge par catégorie de suivi"
    __name__ = 'spsti.team.load.category'
    __string__ = "Team Load by Category"
    load = fields.Many2One(
        'spsti.team.load', "Load", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'spsti.follow_up.category', "Category", required=True,
        ondelete='RESTRICT')
    employees = fields.Integer("Employees")
    new_employees = fields.Integer(
        "New Posts", help="Employees who took up their post over the year "
        "before the date: each makes the initial visit due.")
    visits = fields.Numeric("Visits per Year", digits=(16, 1))
    hours = fields.Numeric("Hours", digits=(16, 1))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('load')


class TeamLoadProfessional(ModelSQL, ModelView):
    "Capacité d'un professionnel dans l'équipe"
    __name__ = 'spsti.team.load.professional'
    __string__ = "Team Capacity by Professional"
    load = fields.Many2One(
        'spsti.team.load', "Load", required=True, ondelete='CASCADE')
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='CASCADE')
    weekly_hours = fields.Numeric("Weekly Hours", digits=(16, 2))
    time_share = fields.Numeric("Share of Time", digits=(1, 4))
    absence_days = fields.Integer(
        "Days of Absence", help="Working days of absence over the year.")
    hours = fields.Numeric("Hours", digits=(16, 1))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('load')


class LoadComputeStart(ModelView):
    __name__ = 'spsti.team.load.compute.start'
    __string__ = "Compute the Team Loads"
    date = fields.Date("Date", required=True,
        help="The workforce and teams on this date, the capacity over the "
        "year from it.")

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class LoadCompute(Wizard):
    "Calculer la charge des équipes"
    __name__ = 'spsti.team.load.compute'
    start = StateView('spsti.team.load.compute.start',
        'spsti_organisation.load_compute_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Compute", 'compute', 'tryton-ok', default=True),
            ])
    compute = StateAction('spsti_organisation.act_team_load')

    def do_compute(self, action):
        TeamLoad = Pool().get('spsti.team.load')
        loads = TeamLoad.compute(self.start.date)
        return action, {'res_id': [load.id for load in loads]}


class Configuration(metaclass=PoolMeta):
    __name__ = 'spsti.adherent.configuration'
    overload_ratio = fields.Numeric(
        "Overload Ratio", digits=(3, 2), required=True,
        domain=[('overload_ratio', '>', 0)],
        help="A team whose yearly visit hours exceed its capacity times "
        "this ratio is overloaded.")
    underload_ratio = fields.Numeric(
        "Underload Ratio", digits=(3, 2), required=True,
        domain=[('underload_ratio', '>', 0),
            ('underload_ratio', '<=', Eval('overload_ratio', 0))],
        help="Below its capacity times this ratio, a team is underloaded.")

    @classmethod
    def default_overload_ratio(cls):
        return Decimal('1.1')

    @classmethod
    def default_underload_ratio(cls):
        return Decimal('0.8')
