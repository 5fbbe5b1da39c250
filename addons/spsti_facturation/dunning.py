from trytond.model import fields
from trytond.pool import PoolMeta


class DunningLevel(metaclass=PoolMeta):
    __name__ = 'account.dunning.level'
    propose_strike_off = fields.Boolean(
        "Propose Strike-off",
        help="Members with an unpaid invoice at this level are listed for "
        "a strike-off decision by the staff (never automatic).")
