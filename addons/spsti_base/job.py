"Métiers: nomenclature PCS-ESE de l'INSEE."
from trytond.model import ModelSQL, ModelView, fields

from .csv_import import SelectionColumn
from .thesaurus import ThesaurusMixin


class Job(ThesaurusMixin, ModelSQL, ModelView):
    """Profession et catégorie socioprofessionnelle (PCS-ESE).

    Only professions (the finest level) are meant to code a job assignment;
    the upper levels group them."""
    __name__ = 'spsti.job'
    __string__ = "Job (PCS-ESE)"
    _csv_file = 'pcs_ese.csv'
    parent = fields.Many2One('spsti.job', "Parent")
    childs = fields.One2Many('spsti.job', 'parent', "Children")
    level = fields.Selection([
            ('group', "Socio-professional group"),
            ('category', "Socio-professional category"),
            ('subcategory', "Sub-category"),
            ('profession', "Profession"),
            ], "Level", required=True)

    @classmethod
    def _csv_columns(cls):
        return super()._csv_columns() | {
            'level': SelectionColumn('level', required=True),
            }
