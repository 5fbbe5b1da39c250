"Validity periods of referential and regulatory records."
from trytond.i18n import gettext
from trytond.model import Model, fields
from trytond.pyson import Eval, If

from .exceptions import RuleValidationError


class ValidityMixin(Model):
    """Valid from / until dates: a rule or a code applies on a date when the
    date lies within them (both inclusive, either may be open)."""
    __slots__ = ()
    start_date = fields.Date(
        "Valid From",
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('start_date', '<=', Eval('end_date', None)),
                ()),
            ],
        help="First day on which it applies; empty means since ever.")
    end_date = fields.Date(
        "Valid Until",
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('end_date', '>=', Eval('start_date', None)),
                ()),
            ],
        help="Last day on which it applies; empty means still in force.")

    @classmethod
    def validity_domain(cls, date, prefix=''):
        "Domain of the records in force on date."
        return [
            ['OR',
                (prefix + 'start_date', '=', None),
                (prefix + 'start_date', '<=', date)],
            ['OR',
                (prefix + 'end_date', '=', None),
                (prefix + 'end_date', '>=', date)],
            ]

    def is_valid_at(self, date):
        return ((not self.start_date or self.start_date <= date)
            and (not self.end_date or date <= self.end_date))

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names & {'start_date', 'end_date'}:
            for record in records:
                if (record.start_date and record.end_date
                        and record.end_date < record.start_date):
                    raise RuleValidationError(gettext(
                            'spsti_base.msg_validity_dates',
                            record=record.rec_name))
