"""The activity of the service for a member and its health barometer, as
its portal shows them."""
import datetime as dt

from sql import Literal
from sql.aggregate import Count
from sql.functions import Extract

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Counts under it are shown as "fewer than" (secret statistique).
SMALL_CELL = 5


class Member(metaclass=PoolMeta):
    __name__ = 'spsti.member'

    def activity(self, years=5, today=None):
        """{year: {'visits': n, 'actions': n}} over the last years: the
        visits done for its employees (not those they asked for themselves)
        and the workplace actions done at the member; two aggregates."""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Action = pool.get('spsti.workplace_action')
        today = today or dt.date.today()
        first = today.year - years + 1
        result = {y: {'visits': 0, 'actions': 0}
            for y in range(first, today.year + 1)}
        cursor = Transaction().connection.cursor()
        request = VisitRequest.__table__()
        year = Extract('YEAR', request.done_date)
        cursor.execute(*request.select(year, Count(Literal('*')),
                where=(request.member == self.id)
                & (request.state == 'done')
                & (request.origin != 'employee')
                & (request.done_date >= dt.date(first, 1, 1)),
                group_by=[year]))
        for year_, count in cursor:
            result[int(year_)]['visits'] = count
        action = Action.__table__()
        year = Extract('YEAR', action.start)
        cursor.execute(*action.select(year, Count(Literal('*')),
                where=(action.member == self.id)
                & (action.state == 'done')
                & (action.start >= dt.datetime(first, 1, 1)),
                group_by=[year]))
        for year_, count in cursor:
            result[int(year_)]['actions'] = count
        return result

    def barometer(self, years=3, today=None):
        """Baromètre santé: what the visits of the last years concluded for
        the member's employees and the advice the employer was given, as
        counts; None when fewer distinct employees were seen than the
        configured threshold, so that no one can be recognised. The visits
        employees asked for themselves are left out."""
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        VisitRequest = pool.get('spsti.visit.request')
        Consultation = pool.get('spsti.dmst.consultation')
        ConsultationAdvice = pool.get(
            'spsti.dmst.consultation-spsti.advice.type')
        AdviceType = pool.get('spsti.advice.type')
        today = today or dt.date.today()
        start = today.replace(year=today.year - years)
        cursor = Transaction().connection.cursor()
        request = VisitRequest.__table__()
        where = ((request.member == self.id)
            & (request.state == 'done')
            & (request.origin != 'employee')
            & (request.done_date >= start))
        cursor.execute(*request.select(
                Count(request.employee, distinct=True),
                Count(Literal('*')), where=where))
        employees, visits = cursor.fetchone()
        if employees < Configuration(1).portal_barometer_threshold:
            return None
        cursor.execute(*request.select(request.outcome, Count(Literal('*')),
                where=where, group_by=[request.outcome]))
        outcomes = {o: c for o, c in cursor if o}
        consultation = Consultation.__table__()
        link = ConsultationAdvice.__table__()
        advice = AdviceType.__table__()
        cursor.execute(*request
            .join(consultation, condition=consultation.request == request.id)
            .join(link, condition=link.consultation == consultation.id)
            .join(advice, condition=advice.id == link.advice)
            .select(advice.id, Count(Literal('*')),
                where=where & advice.audience.in_(['employer', 'both']),
                group_by=[advice.id]))
        advice_counts = dict(cursor)
        return {
            'years': years,
            'employees': employees,
            'visits': visits,
            'outcomes': outcomes,
            'advice': sorted(((AdviceType(a).name, c)
                        for a, c in advice_counts.items()),
                key=lambda x: -x[1])[:5],
            'small_cell': SMALL_CELL,
            }
