"The employee's confirmation of a convocation, given on the portal."
import datetime as dt

from trytond.model import fields
from trytond.pool import PoolMeta


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
