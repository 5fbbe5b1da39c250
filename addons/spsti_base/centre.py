"Secteurs, centres et salles du service."
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields

from .code import CodedMixin


class Sector(CodedMixin, DeactivableMixin, ModelSQL, ModelView):
    """Secteur géographique: a portfolio of members served by the teams
    attached to it, from one or more centres."""
    __name__ = 'spsti.sector'
    __string__ = "Sector"
    name = fields.Char("Name", required=True)
    centres = fields.One2Many('spsti.centre', 'sector', "Centres")
    teams = fields.One2Many('spsti.team', 'sector', "Teams")


class Centre(CodedMixin, DeactivableMixin, ModelSQL, ModelView):
    "Centre médical: where employees are seen, with its rooms."
    __name__ = 'spsti.centre'
    __string__ = "Centre"
    name = fields.Char("Name", required=True)
    sector = fields.Many2One(
        'spsti.sector', "Sector", required=True, ondelete='RESTRICT')
    address = fields.Many2One(
        'party.address', "Address", required=True, ondelete='RESTRICT')
    phone = fields.Char("Phone")
    rooms = fields.One2Many('spsti.centre.room', 'centre', "Rooms")


class Room(DeactivableMixin, ModelSQL, ModelView):
    "Salle: a consultation, examination or meeting room of a centre."
    __name__ = 'spsti.centre.room'
    __string__ = "Room"
    centre = fields.Many2One(
        'spsti.centre', "Centre", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    kind = fields.Selection([
            ('consultation', "Consultation"),
            ('examination', "Examination (hearing, vision, spirometry)"),
            ('meeting', "Meeting"),
            ('teleconsultation', "Teleconsultation booth"),
            ], "Kind", required=True)
    capacity = fields.Integer(
        "Capacity", domain=[('capacity', '>', 0)],
        help="People the room holds (meetings and workshops).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('centre_name_unique', Unique(t, t.centre, t.name),
                'spsti_base.msg_room_name_unique'),
            ]

    @classmethod
    def default_kind(cls):
        return 'consultation'

    @classmethod
    def default_capacity(cls):
        return 1

    def get_rec_name(self, name):
        return f'{self.centre.code} / {self.name}'
