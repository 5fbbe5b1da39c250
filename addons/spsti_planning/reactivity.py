"""Réactivité du service: the delays from the request of a visit to its
due date and to the visit itself, per visit type and team."""
import datetime as dt

from sql import Null
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import Function

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction


class JulianDay(Function):
    __slots__ = ()
    _function = 'JULIANDAY'


def days_between(start, end):
    "The number of days from start to end, two date columns."
    if backend.name == 'sqlite':
        return JulianDay(end) - JulianDay(start)
    return end - start


class VisitReactivity(ModelSQL, ModelView):
    """Réactivité: for the visits done over the period of the context, per
    visit type and team, the mean days from the request to the due date
    (the time the rules give), from the request to the visit (the time the
    service took) and from the due date to the visit (negative: ahead of
    the due date), and the share of visits done by their due date."""
    __name__ = 'spsti.visit.reactivity'
    __string__ = "Visit Reactivity"
    visit_type = fields.Many2One('spsti.visit.type', "Visit Type")
    team = fields.Many2One('spsti.team', "Team")
    visits = fields.Integer("Visits Done")
    request_to_due = fields.Float(
        "Request to Due Date (days)", digits=(16, 1),
        help="Mean days from the request to the due date.")
    request_to_visit = fields.Float(
        "Request to Visit (days)", digits=(16, 1),
        help="Mean days from the request to the visit.")
    due_to_visit = fields.Float(
        "Due Date to Visit (days)", digits=(16, 1),
        help="Mean days from the due date to the visit; negative when the "
        "visits are done ahead of their due date.")
    late = fields.Integer(
        "Done Late", help="Visits done after their due date.")
    on_time_rate = fields.Float(
        "On Time", digits=(1, 4),
        help="Share of the visits with a due date done by that date.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('visit_type', 'ASC'), ('team', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Request = pool.get('spsti.visit.request')
        Assignment = pool.get('spsti.assignment')
        Establishment = pool.get('spsti.establishment')
        Member = pool.get('spsti.member')
        request = Request.__table__()
        assignment = Assignment.__table__()
        establishment = Establishment.__table__()
        member = Member.__table__()
        context = Transaction().context
        today = dt.date.today()
        from_date = context.get('from_date') or today.replace(month=1, day=1)
        to_date = context.get('to_date') or today

        team = Coalesce(establishment.team, member.team)
        due = Coalesce(request.due_date_override, request.due_date)
        has_due = due != Null
        late = Case((has_due & (request.done_date > due), 1), else_=0)
        on_time = Case((has_due & (request.done_date <= due), 1), else_=0)
        with_due = Case((has_due, 1), else_=0)

        where = ((request.state == 'done')
            & (request.done_date >= from_date)
            & (request.done_date <= to_date))
        if context.get('team'):
            where &= team == context['team']
        if context.get('member'):
            where &= request.member == context['member']
        if context.get('visit_type'):
            where &= request.visit_type == context['visit_type']
        return (request
            .join(assignment, condition=request.assignment == assignment.id)
            .join(establishment,
                condition=assignment.establishment == establishment.id)
            .join(member, condition=assignment.member == member.id)
            .select(
                Min(request.id).as_('id'),
                request.visit_type.as_('visit_type'),
                team.as_('team'),
                Count(request.id).as_('visits'),
                cls.request_to_due.sql_cast(Avg(
                        days_between(request.request_date, due))
                    ).as_('request_to_due'),
                cls.request_to_visit.sql_cast(Avg(
                        days_between(request.request_date, request.done_date))
                    ).as_('request_to_visit'),
                cls.due_to_visit.sql_cast(Avg(
                        days_between(due, request.done_date))
                    ).as_('due_to_visit'),
                Sum(late).as_('late'),
                (cls.on_time_rate.sql_cast(Sum(on_time))
                    / NullIf(cls.on_time_rate.sql_cast(Sum(with_due)), 0)
                    ).as_('on_time_rate'),
                where=where,
                group_by=[request.visit_type, team]))


class VisitReactivityContext(ModelView):
    "The period and the scope of the reactivity figures."
    __name__ = 'spsti.visit.reactivity.context'
    __string__ = "Visit Reactivity"
    from_date = fields.Date("From", required=True)
    to_date = fields.Date("To", required=True)
    team = fields.Many2One('spsti.team', "Team")
    member = fields.Many2One('spsti.member', "Member")
    visit_type = fields.Many2One('spsti.visit.type', "Visit Type")

    @classmethod
    def default_from_date(cls):
        return dt.date.today().replace(month=1, day=1)

    @classmethod
    def default_to_date(cls):
        return dt.date.today()
