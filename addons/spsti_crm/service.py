"""Offre de services: the catalogue of spsti_facturation (socle,
complémentaire, spécifique) as the service presents it to its members."""
from trytond.model import ModelSQL, fields
from trytond.modules.spsti_facturation.service import KINDS
from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.transaction import Transaction


class Service(metaclass=PoolMeta):
    __name__ = 'spsti.service'
    in_offer = fields.Boolean(
        "In the Service Offer",
        help="Presented to the members in the service offer (document and "
        "portal).")
    offer_sequence = fields.Integer(
        "Rank in the Offer", help="Order of the service in its part.")
    contents = fields.Many2Many(
        'spsti.service-spsti.crm.content', 'service', 'content',
        "Presentation Contents",
        help="Documents, videos or links that present the service.")

    @classmethod
    def default_in_offer(cls):
        return True

    @classmethod
    def offer(cls, services=None):
        """The service offer: [(kind, kind label, services)] in the order
        socle, complémentaire, spécifique, each part by rank and name; of
        services, else of all active services in the offer."""
        if services is None:
            services = cls.search([('in_offer', '=', True)])
        labels = dict(cls.fields_get(['kind'])['kind']['selection'])
        offer = []
        for kind, _ in KINDS:
            part = sorted((s for s in services if s.kind == kind),
                key=lambda s: (s.offer_sequence or 0, s.name))
            if part:
                offer.append((kind, labels[kind], part))
        return offer


class ServiceContent(ModelSQL):
    __name__ = 'spsti.service-spsti.crm.content'
    __string__ = "Service - Content"
    service = fields.Many2One(
        'spsti.service', "Service", required=True, ondelete='CASCADE')
    content = fields.Many2One(
        'spsti.crm.content', "Content", required=True, ondelete='RESTRICT')


class ServiceOffer(Report):
    """Offre de services: the printed catalogue of the service, in three
    parts, with the price grid of the complementary and specific
    services."""
    __name__ = 'spsti.crm.service_offer'

    @classmethod
    def _get_records(cls, ids, model, data):
        "Printed from the menu without selection: the whole offer."
        Service = Pool().get('spsti.service')
        if not ids:
            ids = [s.id for s in Service.search([('in_offer', '=', True)])]
        return super()._get_records(ids, 'spsti.service', data)

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Service = pool.get('spsti.service')
        Company = pool.get('company.company')
        context = super().get_context(records, header, data)
        company_id = Transaction().context.get('company')
        context['company'] = Company(company_id) if company_id else None
        context['offer'] = Service.offer(records)
        context['price'] = lambda value: (
            f'{value:,.2f}'.replace(',', ' ').replace('.', ',') + ' €')
        return context
