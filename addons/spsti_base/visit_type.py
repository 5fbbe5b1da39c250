"Types de visite du suivi individuel de l'état de santé."
from trytond.model import ModelSQL, ModelView, fields

from .csv_import import IntegerColumn, SelectionColumn
from .thesaurus import ThesaurusMixin


class VisitType(ThesaurusMixin, ModelSQL, ModelView):
    """Type de visite (VIP, examen d'aptitude, reprise, mi-carrière…).

    Which professions may perform it and when it is due are given by the
    periodicity rules, by date."""
    __name__ = 'spsti.visit.type'
    __string__ = "Visit Type"
    _csv_file = 'visit_type.csv'
    parent = fields.Many2One('spsti.visit.type', "Parent")
    childs = fields.One2Many('spsti.visit.type', 'parent', "Children")
    outcome = fields.Selection([
            (None, ""),
            ('attestation', "Attestation de suivi"),
            ('aptitude', "Avis d'aptitude / d'inaptitude"),
            ('certificate', "Certificate of no contraindication"),
            ('report', "Visit report only"),
            ], "Outcome",
        help="The document issued to the employee and the employer.")
    duration = fields.Integer(
        "Duration (minutes)", domain=['OR',
            ('duration', '=', None), ('duration', '>', 0)],
        help="Usual length of the appointment.")

    @classmethod
    def _csv_columns(cls):
        return super()._csv_columns() | {
            'outcome': SelectionColumn('outcome'),
            'duration': IntegerColumn('duration'),
            }
