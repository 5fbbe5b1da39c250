from sql import Null

from trytond.model import Index
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('spsti.crm.campaign|deliver_running',
                "Deliver the Prevention Campaigns"))


class Email(metaclass=PoolMeta):
    __name__ = 'ir.email'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The recipients of a campaign are matched with their email.
        cls._sql_indexes.add(Index(t,
                (t.marketing_automation_record, Index.Equality()),
                where=t.marketing_automation_record != Null))
