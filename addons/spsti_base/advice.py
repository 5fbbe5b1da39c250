"Types de conseils et préconisations."
from trytond.model import ModelSQL, ModelView, fields

from .csv_import import SelectionColumn
from .thesaurus import ThesaurusMixin


class AdviceType(ThesaurusMixin, ModelSQL, ModelView):
    """Type de conseil / préconisation, to the employee or the employer."""
    __name__ = 'spsti.advice.type'
    __string__ = "Advice Type"
    _csv_file = 'advice_type.csv'
    parent = fields.Many2One('spsti.advice.type', "Parent")
    childs = fields.One2Many('spsti.advice.type', 'parent', "Children")
    audience = fields.Selection([
            ('employee', "Employee"),
            ('employer', "Employer"),
            ('both', "Employee and employer"),
            ], "Audience", required=True,
        help="Advice for the employee only is never shown to the employer.")

    @classmethod
    def default_audience(cls):
        return 'both'

    @classmethod
    def _csv_columns(cls):
        return super()._csv_columns() | {
            'audience': SelectionColumn('audience', required=True),
            }
