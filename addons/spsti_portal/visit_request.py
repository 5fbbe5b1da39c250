"""The employee's confirmation of a convocation, given on the portal, and
the outcomes the portal offers."""
import datetime as dt

from sql.operators import In

from trytond.backend import MAX_QUERY_PARAMS
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction


class VisitRequest(metaclass=PoolMeta):
    __name__ = 'spsti.visit.request'
    confirmed = fields.DateTime(
        "Confirmed by the Employee", readonly=True,
        help="When the employee confirmed the convocation on the portal; "
        "cleared when the visit is rescheduled.")

    def confirm_convocation(self):
        self.confirmed = dt.datetime.now()
        self.save()

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # A visit moved to another slot is to be confirmed again.
        if mode == 'write' and values.get('reschedule_reason'):
            values.setdefault('confirmed', None)
        return values

    @classmethod
    def to_plan(cls, requests):
        super().to_plan(requests)
        cls.write(requests, {'confirmed': None})

    @classmethod
    def with_issued_outcome(cls, requests):
        """The ids of requests closed by an issued consultation, whose
        outcome document can be printed; read in SQL, no health data
        loaded."""
        Consultation = Pool().get('spsti.dmst.consultation')
        table = Consultation.__table__()
        cursor = Transaction().connection.cursor()
        result = set()
        for sub in grouped_slice([r.id for r in requests], MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.request,
                    where=In(table.request, list(sub))
                    & (table.state == 'issued')))
            result.update(r for r, in cursor)
        return result
