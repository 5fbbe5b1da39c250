"""The indicators of the portal (spsti_portal, when activated): members,
establishments and employees with a portal account, satisfaction with the
online membership (the process, the information received) and the
online declaration."""
from sql import Cast, Literal, Null
from sql.aggregate import Count, Sum
from sql.conditionals import Case

from trytond.pool import Pool, PoolMeta


class Indicator(metaclass=PoolMeta):
    __name__ = 'spsti.indicator'

    @classmethod
    def _threshold_codes(cls):
        return super()._threshold_codes() | {
            'ADHESION_SATISFACTION', 'ADHESION_INFORMATION_SATISFACTION',
            'DECLARATION_SATISFACTION'}

    @classmethod
    def _accounts(cls, period):
        """The active portal accounts created by the end of the period:
        (from, where, web user table)."""
        user = Pool().get('web.user').__table__()
        return user, ((user.active == Literal(True))
            & (user.create_date < period.end))

    @classmethod
    def _members_with_account(cls, period):
        "The members an active account may act for."
        access = Pool().get('spsti.portal.member_access').__table__()
        user, where = cls._accounts(period)
        return access.join(user, condition=access.web_user == user.id
            ).select(access.member,
            where=where & (access.active == Literal(True))
            & (access.create_date < period.end))

    @classmethod
    def _query_portal_members(cls, period, portfolio, indicator):
        return cls._member_rate(
            portfolio, period, cls._members_with_account(period))

    @classmethod
    def _query_portal_establishments(cls, period, portfolio, indicator):
        """Active establishments of the members at the end of the period
        (denominator), and those of a member with an account."""
        establishment = Pool().get('spsti.establishment').__table__()
        from_ = portfolio.join(
            establishment, establishment=establishment.id)
        with_account = portfolio.member.id.in_(
            cls._members_with_account(period))
        return from_.select(
            portfolio.key,
            Count(Case((with_account, establishment.id))),
            Count(establishment.id),
            where=(establishment.active == Literal(True))
            & cls._members_at(portfolio.member, period.to_date),
            group_by=portfolio.group_by)

    @classmethod
    def _query_portal_employees(cls, period, portfolio, indicator):
        user, where = cls._accounts(period)
        employees = user.select(user.employee,
            where=where & (user.employee != Null))
        return cls._population_rate(portfolio, period, employees)

    @classmethod
    def _satisfaction(cls, period, portfolio, indicator, context):
        """The answers of members to the satisfaction question of context
        in the period (denominator), and those scored at least the
        threshold (numerator)."""
        pool = Pool()
        Satisfaction = pool.get('spsti.portal.satisfaction')
        answer = Satisfaction.__table__()
        from_ = portfolio.join(answer, member=answer.member)
        score = Cast(answer.score, Satisfaction.id.sql_type().base)
        return from_.select(
            portfolio.key,
            Sum(Case((score >= indicator.threshold, 1), else_=0)),
            Count(answer.id),
            where=(answer.context == context) & period.dates(answer.date),
            group_by=portfolio.group_by)

    @classmethod
    def _query_adhesion_satisfaction(cls, period, portfolio, indicator):
        return cls._satisfaction(period, portfolio, indicator, 'adhesion')

    @classmethod
    def _query_adhesion_information_satisfaction(
            cls, period, portfolio, indicator):
        return cls._satisfaction(
            period, portfolio, indicator, 'adhesion_information')

    @classmethod
    def _query_declaration_satisfaction(cls, period, portfolio, indicator):
        return cls._satisfaction(period, portfolio, indicator, 'declaration')
