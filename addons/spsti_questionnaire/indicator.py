"The completion rate of the pre-visit questionnaires (spsti_pilotage)."
from sql import Null
from sql.aggregate import Count, Sum
from sql.conditionals import Case

from trytond.pool import Pool, PoolMeta


class Indicator(metaclass=PoolMeta):
    __name__ = 'spsti.indicator'

    @classmethod
    def _query_questionnaire(cls, period, portfolio, indicator):
        """Responses sent in the period (not cancelled) and those of them
        the employee answered (qualified since or not)."""
        response = Pool().get('spsti.questionnaire.response').__table__()
        from_ = cls._by_request(portfolio, response, response.request)
        return from_.select(
            portfolio.key,
            Sum(Case((response.state.in_(['answered', 'qualified']), 1),
                    else_=0)),
            Count(response.id),
            where=(response.state != 'cancelled')
            & (response.request != Null)
            & period.datetimes(response.sent_date),
            group_by=portfolio.group_by)
