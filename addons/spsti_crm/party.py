"The persons of the members' contacts: their roles, consents, campaigns."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    crm_contacts = fields.One2Many(
        'spsti.crm.contact', 'party', "Member Contacts")
    crm_consents = fields.One2Many(
        'spsti.crm.consent', 'party', "Consents")
    crm_campaigns = fields.Function(fields.Many2Many(
            'spsti.crm.campaign', None, None, "Campaign Recipient",
            help="The email campaigns this person is a recipient of today."),
        'get_crm_campaigns', searcher='search_crm_campaigns')

    @classmethod
    def get_crm_campaigns(cls, parties, name):
        pool = Pool()
        Campaign = pool.get('spsti.crm.campaign')
        result = {p.id: [] for p in parties}
        ids = list(result)
        for campaign in Campaign.search([
                    ('state', '=', 'running'),
                    ('email', '=', True),
                    ]):
            for party in cls.search([
                        ('id', 'in', ids),
                        ('id', 'in', campaign.recipients_query()),
                        ]):
                result[party.id].append(campaign.id)
        return result

    @classmethod
    def search_crm_campaigns(cls, name, clause):
        "The recipients of a campaign, as the domain of its scenario."
        pool = Pool()
        Campaign = pool.get('spsti.crm.campaign')
        _, operator, value = clause[:3]
        ids = value if isinstance(value, (list, tuple)) else [value]
        domain = ['OR'] + [('id', 'in', c.recipients_query())
            for c in Campaign.browse([i for i in ids if i is not None])]
        if operator in {'!=', 'not in'}:
            return ['NOT', domain]
        return domain
