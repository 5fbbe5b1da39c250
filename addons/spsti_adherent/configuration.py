"Paramètres de la gestion des adhérents."
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Id


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Configuration of the member management"
    __name__ = 'spsti.adherent.configuration'
    __string__ = "Member Management Configuration"
    member_sequence = fields.Many2One(
        'ir.sequence', "Member Number Sequence", required=True,
        domain=[('sequence_type', '=', Id(
                    'spsti_adherent', 'sequence_type_member'))])
    max_employee_age = fields.Integer(
        "Maximum Plausible Age", required=True,
        help="A declared employee older than this is reported as an "
        "inconsistency of the workforce declaration.")

    declaration_delay = fields.Integer(
        "Declaration Delay (days)", required=True,
        domain=[('declaration_delay', '>=', 0)],
        help="Days after the reference date within which the employer must "
        "validate the workforce declaration.")

    @classmethod
    def default_declaration_delay(cls):
        return 60

    @classmethod
    def default_member_sequence(cls):
        return Pool().get('ir.model.data').get_id(
            'spsti_adherent', 'sequence_member')

    @classmethod
    def default_max_employee_age(cls):
        return 70
