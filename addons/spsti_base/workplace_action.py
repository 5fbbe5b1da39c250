"Types d'actions en milieu de travail (AMT)."
from trytond.model import ModelSQL, ModelView, fields

from .csv_import import BooleanColumn
from .thesaurus import ThesaurusMixin


class WorkplaceActionType(ThesaurusMixin, ModelSQL, ModelView):
    """Type d'action en milieu de travail (visite de lieux, étude de poste,
    métrologie, sensibilisation…)."""
    __name__ = 'spsti.workplace_action.type'
    __string__ = "Workplace Action Type"
    _csv_file = 'workplace_action_type.csv'
    parent = fields.Many2One('spsti.workplace_action.type', "Parent")
    childs = fields.One2Many(
        'spsti.workplace_action.type', 'parent', "Children")
    primary_prevention = fields.Boolean(
        "Primary Prevention",
        help="Counts as the primary-prevention action due to every member.")
    awareness = fields.Boolean(
        "Awareness Action",
        help="Counts in the awareness indicators (sensibilisation).")

    @classmethod
    def _csv_columns(cls):
        return super()._csv_columns() | {
            'primary_prevention': BooleanColumn('primary_prevention'),
            'awareness': BooleanColumn('awareness'),
            }
