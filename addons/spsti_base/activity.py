"Activités: nomenclature NAF rév. 2 de l'INSEE."
from trytond.model import ModelSQL, ModelView, fields

from .csv_import import SelectionColumn
from .thesaurus import ThesaurusMixin


class Activity(ThesaurusMixin, ModelSQL, ModelView):
    """Code NAF (nomenclature d'activités française, rév. 2).

    Establishments are coded with a sub-class (e.g. 86.21Z); sections,
    divisions, groups and classes group them for statistics."""
    __name__ = 'spsti.activity'
    __string__ = "Activity (NAF)"
    _csv_file = 'naf_rev2.csv'
    parent = fields.Many2One('spsti.activity', "Parent")
    childs = fields.One2Many('spsti.activity', 'parent', "Children")
    level = fields.Selection([
            ('section', "Section"),
            ('division', "Division"),
            ('group', "Group"),
            ('class', "Class"),
            ('subclass', "Sub-class"),
            ], "Level", required=True)

    @classmethod
    def _csv_columns(cls):
        return super()._csv_columns() | {
            'level': SelectionColumn('level', required=True),
            }
