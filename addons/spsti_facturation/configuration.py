"Paramètres de facturation."
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Id

from .member_billing import DELIVERIES, FREQUENCIES

_service = [('type', '=', 'service')]


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Paramètres de facturation des cotisations"
    __name__ = 'spsti.billing.configuration'
    __string__ = "Billing Configuration"
    contribution_product = fields.Many2One(
        'product.product', "Contribution Product", domain=_service,
        help="Product of the per-capita contribution lines.")
    membership_fee_product = fields.Many2One(
        'product.product', "Membership Fee Product", domain=_service)
    minimum_product = fields.Many2One(
        'product.product', "Minimum Contribution Product", domain=_service,
        help="Product of the line raising a contribution to the minimum.")
    payment_term = fields.Many2One(
        'account.invoice.payment_term', "Payment Term",
        help="Used when the member has no payment term of its own.")
    direct_debit_journal = fields.Many2One(
        'account.payment.journal', "Direct Debit Journal",
        domain=[('process_method', '=', 'sepa')],
        help="SEPA journal of the contributions collected by direct debit "
        "(prélèvement) from members who signed a mandate.")
    billing_frequency = fields.Selection(
        FREQUENCIES, "Call Frequency", required=True,
        help="Of the members without billing terms of their own.")
    automatic_calls = fields.Boolean(
        "Automatic Calls",
        help="A scheduled task creates and starts the call of each month "
        "in which an instalment of the members starts (January for the "
        "members called yearly), from the approved scale of the year.")
    invoice_delivery = fields.Selection(
        DELIVERIES, "Invoice Delivery", required=True,
        help="Of the members without billing terms of their own; an "
        "e-invoice goes to the company's email for invoices, else to its "
        "first email.")
    quote_sequence = fields.Many2One(
        'ir.sequence', "Quote Sequence", required=True,
        domain=[('sequence_type', '=', Id(
                    'spsti_facturation', 'sequence_type_quote'))])

    @classmethod
    def _default_record(cls, xml_id):
        ModelData = Pool().get('ir.model.data')
        return ModelData.get_id('spsti_facturation', xml_id)

    @classmethod
    def default_contribution_product(cls):
        return cls._default_record('product_contribution')

    @classmethod
    def default_membership_fee_product(cls):
        return cls._default_record('product_membership_fee')

    @classmethod
    def default_minimum_product(cls):
        return cls._default_record('product_minimum')

    @classmethod
    def default_billing_frequency(cls):
        return 'yearly'

    @classmethod
    def default_invoice_delivery(cls):
        return 'email'

    @classmethod
    def default_quote_sequence(cls):
        return cls._default_record('sequence_quote')
