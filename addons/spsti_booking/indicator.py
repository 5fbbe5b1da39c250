"""The booking indicators of spsti_pilotage: the share of visits booked
online, the no-show rate by booking channel and the share of visits held
by teleconsultation, each one aggregate per scope like the others."""
from sql import Null
from sql.aggregate import Count, Sum
from sql.conditionals import Case

from trytond.pool import Pool, PoolMeta

from .slot import ONLINE_CHANNELS


class Indicator(metaclass=PoolMeta):
    __name__ = 'spsti.indicator'

    @classmethod
    def _booked_slots(cls, period, portfolio, states):
        """(from, where, slot table) of the slots of visit requests in
        states that start in the period, joined to the portfolio."""
        slot = Pool().get('spsti.slot').__table__()
        from_ = cls._by_request(portfolio, slot, slot.request)
        where = (slot.state.in_(states) & (slot.request != Null)
            & period.datetimes(slot.start))
        return from_, where, slot

    @classmethod
    def _online(cls, slot):
        return slot.channel.in_(ONLINE_CHANNELS)

    @classmethod
    def _query_booked_online(cls, period, portfolio, indicator):
        from_, where, slot = cls._booked_slots(
            period, portfolio, ['booked', 'done', 'no_show'])
        return from_.select(
            portfolio.key,
            Sum(Case((cls._online(slot), 1), else_=0)),
            Count(slot.id),
            where=where, group_by=portfolio.group_by)

    @classmethod
    def _no_show_by_channel(cls, period, portfolio, online):
        from_, where, slot = cls._booked_slots(
            period, portfolio, ['done', 'no_show'])
        # Bookings made before the channel was recorded were the staff's:
        # the portal could not book.
        channel = cls._online(slot) if online else (
            (slot.channel == Null) | ~cls._online(slot))
        return from_.select(
            portfolio.key,
            Sum(Case((slot.state == 'no_show', 1), else_=0)),
            Count(slot.id),
            where=where & channel, group_by=portfolio.group_by)

    @classmethod
    def _query_no_show_online(cls, period, portfolio, indicator):
        return cls._no_show_by_channel(period, portfolio, True)

    @classmethod
    def _query_no_show_staff(cls, period, portfolio, indicator):
        return cls._no_show_by_channel(period, portfolio, False)

    @classmethod
    def _query_teleconsultation(cls, period, portfolio, indicator):
        from_, where, slot = cls._booked_slots(period, portfolio, ['done'])
        return from_.select(
            portfolio.key,
            Sum(Case((slot.teleconsultation == True, 1),  # noqa: E712
                    else_=0)),
            Count(slot.id),
            where=where, group_by=portfolio.group_by)
