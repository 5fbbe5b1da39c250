"Établissements des adhérents et postes types."
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pyson import Eval

from .exceptions import MemberValidationError
from .identifier import set_identifiers


class Establishment(DeactivableMixin, ModelSQL, ModelView):
    """Établissement: a site of a member, identified by its SIRET (kept as
    an identifier of its address, as party_siret does), coded with a NAF
    sub-class, followed by a team."""
    __name__ = 'spsti.establishment'
    __string__ = "Establishment"
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    address = fields.Many2One(
        'party.address', "Address", required=True, ondelete='RESTRICT',
        domain=[('party', '=', Eval('party', -1))])
    party = fields.Function(
        fields.Many2One('party.party', "Company"), 'on_change_with_party')
    siret = fields.Function(fields.Char("SIRET"),
        'get_siret', setter='set_siret', searcher='search_siret')
    activity = fields.Many2One(
        'spsti.activity', "Activity (NAF)", ondelete='RESTRICT',
        domain=[('level', '=', 'subclass')])
    sector = fields.Many2One(
        'spsti.sector', "Sector", ondelete='RESTRICT',
        help="Empty: the member's sector.")
    team = fields.Many2One(
        'spsti.team', "Team", ondelete='RESTRICT',
        help="Empty: the member's team.")
    positions = fields.One2Many(
        'spsti.position', 'establishment', "Job Positions")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')

    @fields.depends('member', '_parent_member.party')
    def on_change_with_party(self, name=None):
        if self.member:
            return self.member.party

    def get_rec_name(self, name):
        return f'{self.name} ({self.member.rec_name})'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('siret', operator, operand, *extra),
            ('member.rec_name', operator, operand, *extra),
            ]

    @property
    def effective_team(self):
        return self.team or self.member.team

    @classmethod
    def get_siret(cls, establishments, name):
        return {e.id: e.address.siret.code if e.address.siret else None
            for e in establishments}

    @classmethod
    def set_siret(cls, establishments, name, value):
        set_identifiers([(e.address.party, e.address, e.address.siret)
                for e in establishments], 'fr_siret', value)

    @classmethod
    def search_siret(cls, name, clause):
        _, operator, value = clause[:3]
        return [('address.identifiers', 'where', [
                    ('type', '=', 'fr_siret'),
                    ('code_compact', operator, value),
                    ])]

    @classmethod
    def validate_fields(cls, establishments, field_names):
        super().validate_fields(establishments, field_names)
        for establishment in establishments:
            establishment.check_siret_siren()

    def check_siret_siren(self):
        "A SIRET starts with the SIREN of its company."
        siret, siren = self.address.siret, self.member.party.siren
        if siret and siren and not siret.code_compact.startswith(
                siren.code_compact):
            raise MemberValidationError(gettext(
                    'spsti_adherent.msg_siret_not_siren',
                    siret=siret.code, siren=siren.code,
                    establishment=self.rec_name))


class Position(ModelSQL, ModelView):
    """Poste type: a job of an establishment with its usual exposures, to
    copy onto the employees who hold it."""
    __name__ = 'spsti.position'
    __string__ = "Job Position"
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    job = fields.Many2One(
        'spsti.job', "Job (PCS-ESE)", ondelete='RESTRICT',
        domain=[('level', '=', 'profession')])
    night_work = fields.Boolean("Night Work")
    exposures = fields.One2Many(
        'spsti.position.exposure', 'position', "Exposures")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('establishment')


class PositionExposure(ModelSQL, ModelView):
    "Exposition d'un poste type"
    __name__ = 'spsti.position.exposure'
    __string__ = "Job Position Exposure"
    position = fields.Many2One(
        'spsti.position', "Position", required=True, ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='RESTRICT')
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('position')
