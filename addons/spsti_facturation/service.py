"Catalogue des prestations et grille tarifaire."
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)

KINDS = [
    ('core', "Core (socle)"),
    ('complementary', "Complementary"),
    ('specific', "Specific"),
    ]


class Service(DeactivableMixin, ModelSQL, ModelView):
    """Prestation du catalogue: core services are paid by the per-capita
    contribution; complementary services are offered to members and
    specific services to members and non-members, from a price grid."""
    __name__ = 'spsti.service'
    __string__ = "Service"
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='RESTRICT',
        domain=[('type', '=', 'service')],
        help="Gives the revenue account and the taxes of the invoices.")
    name = fields.Char("Name", required=True, translate=True)
    kind = fields.Selection(KINDS, "Kind", required=True)
    description = fields.Text("Description", translate=True)
    prices = fields.One2Many(
        'spsti.service.price', 'service', "Price Grid",
        help="Unit price by size of the member's workforce.")

    @classmethod
    def default_kind(cls):
        return 'complementary'

    def unit_price(self, workforce=0):
        """The price of the grid for a workforce: the line with the largest
        minimum workforce not above it, else the product's list price."""
        lines = sorted((p for p in self.prices
                if p.min_workforce <= (workforce or 0)),
            key=lambda p: p.min_workforce)
        if lines:
            return lines[-1].unit_price
        return self.product.list_price


class ServicePrice(ModelSQL, ModelView):
    "Ligne de la grille tarifaire"
    __name__ = 'spsti.service.price'
    __string__ = "Service Price"
    service = fields.Many2One(
        'spsti.service', "Service", required=True, ondelete='CASCADE')
    min_workforce = fields.Integer(
        "From Workforce", required=True,
        help="Applies to members with at least this number of workers.")
    unit_price = fields.Numeric("Unit Price", digits=(16, 2), required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('workforce_unique', Unique(t, t.service, t.min_workforce),
                'spsti_facturation.msg_service_price_unique'),
            ]
        cls._order = [('min_workforce', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_min_workforce(cls):
        return 0
