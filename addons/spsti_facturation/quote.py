"Devis de prestations complémentaires et spécifiques."
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import QuoteError, QuoteValidationError
from .scale import round_cents

STATES = [
    ('draft', "Draft"),
    ('sent', "Sent"),
    ('accepted', "Accepted"),
    ('refused', "Refused"),
    ('invoiced', "Invoiced"),
    ]
_draft = {'readonly': Eval('state') != 'draft'}


class Quote(Workflow, ModelSQL, ModelView):
    """Devis: services of the catalogue offered to a member, or specific
    services to a non-member client; once accepted it becomes an
    invoice."""
    __name__ = 'spsti.quote'
    __string__ = "Quote"
    _rec_name = 'number'
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    number = fields.Char("Number", readonly=True)
    party = fields.Many2One(
        'party.party', "Client", required=True, states=_draft)
    member = fields.Many2One(
        'spsti.member', "Member", states=_draft,
        domain=[('party', '=', Eval('party', -1))],
        help="Empty for a client that is not a member.")
    date = fields.Date("Date", required=True, states=_draft)
    validity_date = fields.Date("Valid until", states=_draft)
    description = fields.Char("Description", states=_draft)
    lines = fields.One2Many(
        'spsti.quote.line', 'quote', "Lines", states=_draft)
    total_amount = fields.Function(
        fields.Numeric("Total Untaxed", digits=(16, 2)), 'get_total_amount')
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    accepted_date = fields.Date("Accepted on", readonly=True)
    invoice = fields.Many2One('account.invoice', "Invoice", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('sent', 'draft'),
            ('sent', 'accepted'),
            ('sent', 'refused'),
            ('accepted', 'invoiced'),
            }
        cls._buttons.update({
                'send': {'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward'},
                'draft': {'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-back'},
                'accept': {'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-ok'},
                'refuse': {'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-cancel'},
                'create_invoice': {'invisible': Eval('state') != 'accepted',
                    'icon': 'tryton-forward'},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('party')
    def on_change_party(self):
        Member = Pool().get('spsti.member')
        members = Member.search(
            [('party', '=', self.party.id)], limit=1) if self.party else []
        self.member = members[0] if members else None

    def get_total_amount(self, name):
        return sum((l.amount or Decimal(0) for l in self.lines), Decimal(0))

    @classmethod
    def validate_fields(cls, quotes, field_names):
        super().validate_fields(quotes, field_names)
        for quote in quotes:
            quote.check_member_services()

    def check_member_services(self):
        "Only specific services may be sold to a client that is no member."
        if self.member and self.member.state == 'member':
            return
        for line in self.lines:
            if line.service.kind != 'specific':
                raise QuoteValidationError(gettext(
                        'spsti_facturation.msg_quote_member_only',
                        quote=self.rec_name or self.party.rec_name,
                        service=line.service.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, quotes):
        pool = Pool()
        Configuration = pool.get('spsti.billing.configuration')
        sequence = Configuration(1).quote_sequence
        for quote in quotes:
            if not quote.lines:
                raise QuoteError(gettext(
                        'spsti_facturation.msg_quote_no_line',
                        quote=quote.rec_name or quote.party.rec_name))
            if not quote.number:
                quote.number = sequence.get()
        cls.save(quotes)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, quotes):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('accepted')
    def accept(cls, quotes):
        cls.write(quotes, {'accepted_date': Pool().get('ir.date').today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('refused')
    def refuse(cls, quotes):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('invoiced')
    def create_invoice(cls, quotes):
        Invoice = Pool().get('account.invoice')
        invoices = [q.get_invoice() for q in quotes]
        Invoice.save(invoices)
        Invoice.update_taxes(invoices)
        for quote, invoice in zip(quotes, invoices):
            quote.invoice = invoice
        cls.save(quotes)

    def get_invoice(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        invoice = Invoice.spsti_customer_invoice(
            self.company, self.party,
            description=gettext('spsti_facturation.msg_quote_invoice',
                quote=self.number),
            reference=self.number,
            spsti_member=self.member)
        invoice.lines = [Line.spsti_product_line(
                self.company, l.service.product, l.quantity, l.unit_price,
                description=l.description or l.service.name)
            for l in self.lines]
        return invoice


class QuoteLine(ModelSQL, ModelView):
    "Ligne de devis"
    __name__ = 'spsti.quote.line'
    __string__ = "Quote Line"
    quote = fields.Many2One(
        'spsti.quote', "Quote", required=True, ondelete='CASCADE')
    service = fields.Many2One(
        'spsti.service', "Service", required=True, ondelete='RESTRICT')
    description = fields.Char("Description")
    quantity = fields.Numeric("Quantity", digits=(16, 2), required=True)
    unit_price = fields.Numeric("Unit Price", digits=(16, 2), required=True)
    amount = fields.Function(
        fields.Numeric("Amount", digits=(16, 2)), 'on_change_with_amount')

    @classmethod
    def default_quantity(cls):
        return Decimal(1)

    @fields.depends('service', 'quote', '_parent_quote.member')
    def on_change_service(self):
        if self.service:
            member = self.quote.member if self.quote else None
            workforce = member.workforce if member else 0
            self.unit_price = self.service.unit_price(workforce)
            self.description = self.service.name

    @fields.depends('quantity', 'unit_price')
    def on_change_with_amount(self, name=None):
        if self.quantity is not None and self.unit_price is not None:
            return round_cents(self.quantity * self.unit_price)
