"The members' contacts, interactions and segments."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Member(metaclass=PoolMeta):
    __name__ = 'spsti.member'
    crm_contacts = fields.One2Many(
        'spsti.crm.contact', 'member', "Contacts", readonly=True)
    crm_interactions = fields.One2Many(
        'spsti.crm.interaction', 'member', "Interactions", readonly=True,
        order=[('date', 'DESC'), ('id', 'DESC')])
    crm_segments = fields.Function(fields.Many2Many(
            'spsti.crm.segment', None, None, "Segments",
            help="The active segments the member is in today."),
        'get_crm_segments', searcher='search_crm_segments')

    @classmethod
    def get_crm_segments(cls, members, name):
        Segment = Pool().get('spsti.crm.segment')
        return Segment.segments_of(members)

    @classmethod
    def search_crm_segments(cls, name, clause):
        Segment = Pool().get('spsti.crm.segment')
        _, operator, value = clause[:3]
        ids = value if isinstance(value, (list, tuple)) else [value]
        domain = ['OR'] + [('id', 'in', s.members_query())
            for s in Segment.browse([i for i in ids if i is not None])]
        if operator in {'!=', 'not in'}:
            return ['NOT', domain]
        return domain
