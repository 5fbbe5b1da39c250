"""Tableaux de bord: the live views of the direction (backlog of overdue
visits, activity per professional) and the data-quality list."""
import datetime as dt

from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.spsti_planning.reactivity import days_between
from trytond.pool import Pool
from trytond.transaction import Transaction

# The rules a workforce record may break, with the offset that makes the
# ids of the data-quality rows unique.
QUALITY_RULES = [
    ('no_job', "Assignment without job code (PCS-ESE)"),
    ('exposure_code', "Exposure whose risk is not a thésaurus code in force"),
    ('no_category', "Assignment without follow-up category"),
    ]


def today():
    return Transaction().context.get('date') or dt.date.today()


class OverdueBacklog(ModelSQL, ModelView):
    """Retard: the visits due before today and not done, per team and
    visit type, with the oldest due date and the mean days overdue."""
    __name__ = 'spsti.pilotage.backlog'
    __string__ = "Overdue Visits"
    team = fields.Many2One('spsti.team', "Team")
    visit_type = fields.Many2One('spsti.visit.type', "Visit Type")
    requests = fields.Integer("Overdue Visits")
    oldest_due_date = fields.Date("Oldest Due Date")
    days_overdue = fields.Float("Mean Days Overdue", digits=(16, 1))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('requests', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        request = pool.get('spsti.visit.request').__table__()
        assignment = pool.get('spsti.assignment').__table__()
        establishment = pool.get('spsti.establishment').__table__()
        member = pool.get('spsti.member').__table__()
        team = Coalesce(establishment.team, member.team)
        due = Coalesce(request.due_date_override, request.due_date)
        date = today()
        return (request
            .join(assignment, condition=request.assignment == assignment.id)
            .join(establishment,
                condition=assignment.establishment == establishment.id)
            .join(member, condition=assignment.member == member.id)
            .select(
                Min(request.id).as_('id'),
                team.as_('team'),
                request.visit_type.as_('visit_type'),
                Count(request.id).as_('requests'),
                Min(due).as_('oldest_due_date'),
                cls.days_overdue.sql_cast(
                    Sum(days_between(due, Literal(date)))
                    / Count(request.id)).as_('days_overdue'),
                where=request.state.in_(['to_plan', 'planned'])
                & (due < date),
                group_by=[team, request.visit_type]))


class ActivityContext(ModelView):
    "The period of the activity per professional."
    __name__ = 'spsti.pilotage.activity.context'
    __string__ = "Activity"
    from_date = fields.Date("From", required=True)
    to_date = fields.Date("To", required=True)
    centre = fields.Many2One('spsti.centre', "Centre")

    @classmethod
    def default_from_date(cls):
        return dt.date.today().replace(month=1, day=1)

    @classmethod
    def default_to_date(cls):
        return dt.date.today()


class ProfessionalActivity(ModelSQL, ModelView):
    """Activité par professionnel: over the period of the context, the
    visits done, the no-shows and their rate, the slots still booked and
    the workplace actions done."""
    __name__ = 'spsti.pilotage.professional_activity'
    __string__ = "Activity per Professional"
    professional = fields.Many2One('spsti.professional', "Professional")
    profession = fields.Many2One('spsti.profession', "Profession")
    centre = fields.Many2One('spsti.centre', "Centre")
    visits = fields.Integer("Visits Done")
    no_shows = fields.Integer("No-shows")
    no_show_rate = fields.Float("No-show Rate", digits=(1, 4))
    booked = fields.Integer("Booked")
    workplace_actions = fields.Integer("Workplace Actions Done")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('visits', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        professional = pool.get('spsti.professional').__table__()
        slot = pool.get('spsti.slot').__table__()
        action = pool.get('spsti.workplace_action').__table__()
        participant = pool.get(
            'spsti.workplace_action-spsti.professional').__table__()
        context = Transaction().context
        start = dt.datetime.combine(
            context.get('from_date') or today().replace(month=1, day=1),
            dt.time())
        end = dt.datetime.combine(
            (context.get('to_date') or today()) + dt.timedelta(days=1),
            dt.time())

        def count(state):
            return Sum(Case((slot.state == state, 1), else_=0))
        slots = slot.select(
            slot.professional,
            count('done').as_('visits'),
            count('no_show').as_('no_shows'),
            count('booked').as_('booked'),
            where=(slot.request != Null)
            & (slot.start >= start) & (slot.start < end),
            group_by=[slot.professional])
        actions = participant.join(action,
            condition=participant.action == action.id
            ).select(
            participant.professional,
            Count(action.id).as_('workplace_actions'),
            where=(action.state == 'done')
            & (action.start >= start) & (action.start < end),
            group_by=[participant.professional])
        where = Literal(True)
        if context.get('centre'):
            where &= professional.centre == context['centre']
        visits = Coalesce(slots.visits, 0)
        no_shows = Coalesce(slots.no_shows, 0)
        return (professional
            .join(slots, 'LEFT',
                condition=slots.professional == professional.id)
            .join(actions, 'LEFT',
                condition=actions.professional == professional.id)
            .select(
                professional.id.as_('id'),
                professional.id.as_('professional'),
                professional.profession.as_('profession'),
                professional.centre.as_('centre'),
                visits.as_('visits'),
                no_shows.as_('no_shows'),
                (cls.no_show_rate.sql_cast(no_shows)
                    / NullIf(cls.no_show_rate.sql_cast(visits + no_shows), 0)
                    ).as_('no_show_rate'),
                Coalesce(slots.booked, 0).as_('booked'),
                Coalesce(actions.workplace_actions, 0).as_(
                    'workplace_actions'),
                where=where & ((slots.professional != Null)
                    | (actions.professional != Null))))


class DataQuality(ModelSQL, ModelView):
    """Qualité des données: the assignments in force that break a rule the
    indicators and the due-visit engine rely on, to correct."""
    __name__ = 'spsti.pilotage.data_quality'
    __string__ = "Data Quality"
    rule = fields.Selection(QUALITY_RULES, "Rule")
    assignment = fields.Many2One('spsti.assignment', "Assignment")
    employee = fields.Many2One('spsti.employee', "Employee")
    member = fields.Many2One('spsti.member', "Member")
    establishment = fields.Many2One('spsti.establishment', "Establishment")
    risk = fields.Many2One('spsti.risk', "Risk")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('rule', 'ASC'), ('member', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        Exposure = pool.get('spsti.assignment.exposure')
        Risk = pool.get('spsti.risk')
        date = today()
        rules = len(QUALITY_RULES)

        def in_force(assignment):
            return ((assignment.start_date <= date)
                & ((assignment.end_date == Null)
                    | (assignment.end_date >= date)))

        def columns(assignment, index, id_, risk=Null):
            return [
                (id_ * rules + index).as_('id'),
                cls.rule.sql_cast(Literal(QUALITY_RULES[index][0])).as_(
                    'rule'),
                assignment.id.as_('assignment'),
                assignment.employee.as_('employee'),
                assignment.member.as_('member'),
                assignment.establishment.as_('establishment'),
                cls.risk.sql_cast(risk).as_('risk'),
                ]
        assignment = Assignment.__table__()
        no_job = assignment.select(*columns(assignment, 0, assignment.id),
            where=in_force(assignment) & (assignment.job == Null))

        assignment = Assignment.__table__()
        exposure = Exposure.__table__()
        risk = Risk.__table__()
        out_of_thesaurus = ((risk.active == Literal(False))
            | ((risk.start_date != Null) & (risk.start_date > date))
            | ((risk.end_date != Null) & (risk.end_date < date)))
        exposures = exposure.join(assignment,
            condition=exposure.assignment == assignment.id
            ).join(risk, condition=exposure.risk == risk.id
            ).select(*columns(assignment, 1, exposure.id, exposure.risk),
            where=in_force(assignment) & out_of_thesaurus
            & ((exposure.end_date == Null) | (exposure.end_date >= date)))

        assignment = Assignment.__table__()
        no_category = assignment.select(
            *columns(assignment, 2, assignment.id),
            where=in_force(assignment) & (assignment.category == Null)
            & (assignment.category_override == Null))
        return no_job | exposures | no_category
