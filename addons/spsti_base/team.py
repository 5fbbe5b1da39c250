"Équipes pluridisciplinaires."
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields

from .code import CodedMixin

from .validity import ValidityMixin


class Team(CodedMixin, DeactivableMixin, ModelSQL, ModelView):
    """Équipe pluridisciplinaire, animated and coordinated by a médecin du
    travail, serving the members of a sector."""
    __name__ = 'spsti.team'
    __string__ = "Multidisciplinary Team"
    name = fields.Char("Name", required=True)
    lead = fields.Many2One(
        'spsti.professional', "Lead Doctor", required=True,
        ondelete='RESTRICT', domain=[('doctor', '=', True)])
    sector = fields.Many2One(
        'spsti.sector', "Sector", required=True, ondelete='RESTRICT')
    centre = fields.Many2One(
        'spsti.centre', "Main Centre", ondelete='RESTRICT')
    members = fields.One2Many('spsti.team.member', 'team', "Members")


class TeamMember(ValidityMixin, ModelSQL, ModelView):
    "Membre d'équipe, over a period."
    __name__ = 'spsti.team.member'
    __string__ = "Team Member"
    team = fields.Many2One(
        'spsti.team', "Team", required=True, ondelete='CASCADE')
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='CASCADE')
    profession = fields.Function(
        fields.Many2One('spsti.profession', "Profession"),
        'on_change_with_profession')

    @fields.depends('professional', '_parent_professional.profession')
    def on_change_with_profession(self, name=None):
        if self.professional:
            return self.professional.profession

    def get_rec_name(self, name):
        return f'{self.team.rec_name} / {self.professional.rec_name}'
