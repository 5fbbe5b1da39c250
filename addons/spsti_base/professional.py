"Professionnels du service."
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .identifiers import check_identifier

SPECIALITIES = [
    (None, ""),
    ('ergonomist', "Ergonomist"),
    ('toxicologist', "Toxicologist"),
    ('psychologist', "Work psychologist"),
    ('prevention_engineer', "Prevention engineer"),
    ('prevention_technician', "Prevention technician (TSST)"),
    ('hygienist', "Industrial hygienist"),
    ('epidemiologist', "Epidemiologist"),
    ]


class Professional(DeactivableMixin, ModelSQL, ModelView):
    """Professionnel de l'équipe pluridisciplinaire ou du service.

    An employee of the service's company, with a profession, optionally a
    login; health professionals are identified by their RPPS number."""
    __name__ = 'spsti.professional'
    __string__ = "Professional"
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='RESTRICT')
    user = fields.Many2One(
        'res.user', "User", ondelete='SET NULL',
        help="The login this professional works with.")
    profession = fields.Many2One(
        'spsti.profession', "Profession", required=True, ondelete='RESTRICT')
    speciality = fields.Selection(
        SPECIALITIES, "Speciality",
        states={
            'invisible': ~Eval('has_speciality'),
            'required': Eval('has_speciality', False),
            })
    has_speciality = fields.Function(
        fields.Boolean("Has Speciality"), 'on_change_with_has_speciality')
    rpps = fields.Char(
        "RPPS Number", strip=True,
        help="Répertoire partagé des professionnels de santé (11 digits).")
    centre = fields.Many2One(
        'spsti.centre', "Main Centre", ondelete='SET NULL')
    team_members = fields.One2Many(
        'spsti.team.member', 'professional', "Teams")
    health_professional = fields.Function(
        fields.Boolean("Health Professional"),
        'on_change_with_health_professional',
        searcher='search_profession_flag')
    doctor = fields.Function(
        fields.Boolean("Doctor"), 'on_change_with_doctor',
        searcher='search_profession_flag')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('user_unique', Unique(t, t.user),
                'spsti_base.msg_professional_user_unique'),
            ('rpps_unique', Unique(t, t.rpps),
                'spsti_base.msg_professional_rpps_unique'),
            ]

    def get_rec_name(self, name):
        return self.employee.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('employee.rec_name',) + tuple(clause[1:])]

    @fields.depends('profession', '_parent_profession.has_speciality')
    def on_change_with_has_speciality(self, name=None):
        return bool(self.profession and self.profession.has_speciality)

    @fields.depends('profession', '_parent_profession.health_professional')
    def on_change_with_health_professional(self, name=None):
        return bool(self.profession and self.profession.health_professional)

    @fields.depends('profession', '_parent_profession.doctor')
    def on_change_with_doctor(self, name=None):
        return bool(self.profession and self.profession.doctor)

    @classmethod
    def search_profession_flag(cls, name, clause):
        return [('profession.' + name,) + tuple(clause[1:])]

    @classmethod
    def validate_fields(cls, professionals, field_names):
        super().validate_fields(professionals, field_names)
        if 'rpps' in field_names:
            for professional in professionals:
                professional.check_rpps()

    def check_rpps(self):
        check_identifier('rpps', self, 'rpps')

    @classmethod
    def get_current(cls):
        "The professional record of the user of the transaction, if any."
        user = Transaction().user
        professionals = cls.search([('user', '=', user)], limit=1)
        return professionals[0] if professionals else None
