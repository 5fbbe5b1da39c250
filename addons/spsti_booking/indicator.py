"""The booking indicators of spsti_pilotage: the share of visits booked
online, the no-show rate by booking channel and the share of visits held
by teleconsultation, each one aggregate per scope like the others."""
from sql import Null
from sql.aggregate import Count, Sum
from sql.conditionals import Case

from trytond.pool import PoolMeta

from .slot import ONLINE_CHANNELS


class Indicator(metaclass=PoolMeta):
    __name__ = 'spsti.indicator'

    @classmethod
    def _online(cls, slot):
        return slot.channel.in_(ONLINE_CHANNELS)

    @classmethod
    def _query_booked_online(cls, period, portfolio, indicator):
        from_, where, slot = cls._visit_slots(
            period, portfolio, ['booked', 'done', 'no_show'])
        return from_.select(
            portfolio.key,
            Sum(Case((cls._online(slot), 1), else_=0)),
            Count(slot.id),
            where=where, group_by=portfolio.group_by)

    @classmethod
    def _no_show_by_channel(cls, period, portfolio, online):
        def channel(slot):
            # Bookings made before the channel was recorded were the
            # staff's: the portal could not book.
            return cls._online(slot) if online else (
                (slot.channel == Null) | ~cls._online(slot))
        return cls._no_show_rate(period, portfolio, channel)

    @classmethod
    def _query_no_show_online(cls, period, portfolio, indicator):
        return cls._no_show_by_channel(period, portfolio, True)

    @classmethod
    def _query_no_show_staff(cls, period, portfolio, indicator):
        return cls._no_show_by_channel(period, portfolio, False)

    @classmethod
    def _query_teleconsultation(cls, period, portfolio, indicator):
        from_, where, slot = cls._visit_slots(period, portfolio, ['done'])
        return from_.select(
            portfolio.key,
            Sum(Case((slot.teleconsultation == True, 1),  # noqa: E712
                    else_=0)),
            Count(slot.id),
            where=where, group_by=portfolio.group_by)
