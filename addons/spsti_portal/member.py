"The activity of the service for a member, as its portal shows it."
import datetime as dt

from sql import Literal
from sql.aggregate import Count
from sql.functions import Extract

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


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
