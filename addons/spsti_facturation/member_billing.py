"""Conditions de facturation de l'adhérent: how often a member is called,
how it pays, where and how its invoices go. A member without terms of its
own follows the billing configuration."""
from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import MemberBillingValidationError

FREQUENCIES = [
    ('yearly', "Yearly"),
    ('half_yearly', "Half-yearly"),
    ('quarterly', "Quarterly"),
    ('monthly', "Monthly"),
    ]
# Instalments of the yearly contribution per frequency.
INSTALMENTS = {
    'yearly': 1,
    'half_yearly': 2,
    'quarterly': 4,
    'monthly': 12,
    }
PAYMENT_METHODS = [
    ('transfer', "Bank Transfer"),
    ('direct_debit', "SEPA Direct Debit"),
    ('cheque', "Cheque"),
    ]
DELIVERIES = [
    ('email', "E-invoice by Email (Factur-X)"),
    ('paper', "Paper, by Post"),
    ]


class MemberBilling(ModelSQL, ModelView):
    """Conditions de facturation d'un adhérent: the frequency of its
    contribution calls, its payment method (a SEPA direct debit under a
    validated mandate, through account_payment's reception direct debit),
    the delivery of its invoices and their recipient."""
    __name__ = 'spsti.member.billing'
    __string__ = "Member Billing Terms"
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')
    party = fields.Function(
        fields.Many2One('party.party', "Company"), 'on_change_with_party')
    frequency = fields.Selection(
        FREQUENCIES, "Call Frequency", required=True,
        help="How the yearly contribution is called: at once or in "
        "instalments. A change applies from the next year once the "
        "year's first call is billed.")
    payment_method = fields.Selection(
        PAYMENT_METHODS, "Payment Method", required=True)
    sepa_mandate = fields.Many2One(
        'account.payment.sepa.mandate', "SEPA Mandate",
        domain=[
            ('party', '=', Eval('party', -1)),
            ('state', '=', 'validated'),
            ],
        states={
            'invisible': Eval('payment_method') != 'direct_debit',
            'required': Eval('payment_method') == 'direct_debit',
            },
        help="The validated mandate (RUM) the contributions are debited "
        "under.")
    delivery = fields.Selection(
        DELIVERIES, "Invoice Delivery", required=True)
    invoice_email = fields.Function(fields.Char(
            "Invoice Email",
            help="Where e-invoices and reminders are sent, e.g. the "
            "accounts department: the company's email for invoices, else "
            "its first email."),
        'get_invoice_email', setter='set_invoice_email')
    invoice_address = fields.Many2One(
        'party.address', "Invoice Address", ondelete='RESTRICT',
        domain=[('party', '=', Eval('party', -1))],
        help="The recipient of the invoices; by default the invoice "
        "address of the company.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('member_unique', Unique(t, t.member),
                'spsti_facturation.msg_member_billing_unique'),
            ]

    @classmethod
    def _configuration(cls):
        return Pool().get('spsti.billing.configuration')(1)

    @classmethod
    def default_frequency(cls):
        return cls._configuration().billing_frequency

    @classmethod
    def default_payment_method(cls):
        return 'transfer'

    @classmethod
    def default_delivery(cls):
        return cls._configuration().invoice_delivery

    @fields.depends('member', '_parent_member.party')
    def on_change_with_party(self, name=None):
        return self.member.party if self.member else None

    def get_rec_name(self, name):
        return self.member.rec_name

    def get_invoice_email(self, name):
        mechanism = self.member.party.contact_mechanism_get(
            'email', usage='invoice')
        return mechanism.value if mechanism else None

    @classmethod
    def set_invoice_email(cls, terms, name, value):
        """Make value the company's email for invoices (a contact mechanism
        of party used for invoices, which dunning emails can use too)."""
        ContactMechanism = Pool().get('party.contact_mechanism')
        to_save = []
        for party in {t.member.party for t in terms}:
            emails = [m for m in party.contact_mechanisms
                if m.type == 'email']
            chosen = None
            if value:
                chosen = (next((m for m in emails if m.value == value), None)
                    or next((m for m in emails if m.invoice), None))
                if chosen is None:
                    chosen = ContactMechanism(party=party, type='email')
                    emails.append(chosen)
                chosen.value = value
            for mechanism in emails:
                if mechanism is chosen or mechanism.invoice:
                    mechanism.invoice = mechanism is chosen
                    to_save.append(mechanism)
        ContactMechanism.save(to_save)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('member.rec_name',) + tuple(clause[1:])]

    @classmethod
    def on_modification(cls, mode, terms, field_names=None):
        super().on_modification(mode, terms, field_names=field_names)
        if mode != 'delete':
            cls.set_direct_debits(terms)

    @classmethod
    def on_delete(cls, terms):
        callback = super().on_delete(terms)
        parties = [t.member.party for t in terms]
        return callback + [lambda: cls._remove_direct_debits(parties)]

    @classmethod
    def set_direct_debits(cls, terms):
        """Keep the reception direct debits of account_payment in line
        with the terms: one for the SEPA journal of the billing
        configuration, under the mandate, for the members paying by
        direct debit; none for the others. Posting an invoice then gives
        it the direct debit as payment mean, which its Factur-X shows."""
        pool = Pool()
        Reception = pool.get('party.party.reception_direct_debit')
        journal = cls._configuration().direct_debit_journal
        debited = [t for t in terms if t.payment_method == 'direct_debit']
        if debited and not journal:
            raise MemberBillingValidationError(gettext(
                    'spsti_facturation.msg_member_billing_no_journal',
                    member=debited[0].member.rec_name))
        cls._remove_direct_debits(
            [t.member.party for t in terms], keep=debited)
        existing = {(r.party, r.sepa_mandate) for r in Reception.search([
                    ('party', 'in', [t.member.party.id for t in debited]),
                    ('journal', '=', journal.id if journal else None),
                    ])}
        Reception.save([Reception(
                    party=t.member.party, journal=journal,
                    sepa_mandate=t.sepa_mandate, type='line')
                for t in debited
                if (t.member.party, t.sepa_mandate) not in existing])

    @classmethod
    def _remove_direct_debits(cls, parties, keep=()):
        "Delete the receptions of the SEPA journal no terms ask for."
        pool = Pool()
        Reception = pool.get('party.party.reception_direct_debit')
        journal = cls._configuration().direct_debit_journal
        if not journal:
            return
        wanted = {(t.member.party, t.sepa_mandate) for t in keep}
        obsolete = []
        for sub in grouped_slice([p.id for p in parties], MAX_QUERY_PARAMS):
            obsolete += [r for r in Reception.search([
                        ('party', 'in', list(sub)),
                        ('journal', '=', journal.id),
                        ])
                if (r.party, r.sepa_mandate) not in wanted]
        Reception.delete(obsolete)

    @classmethod
    def of_members(cls, member_ids):
        """{member id: (frequency, invoice address id)} of the members,
        with the configuration's frequency for those without terms."""
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        default = cls._configuration().billing_frequency
        result = {m: (default, None) for m in member_ids}
        for sub in grouped_slice(member_ids, MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.member, table.frequency, table.invoice_address,
                    where=SQL_OPERATORS['in'](table.member, list(sub))))
            for member, frequency, address in cursor:
                result[member] = (frequency, address)
        return result

    @classmethod
    def recipients(cls, members):
        """{member id: the email its e-invoices go to} of the members who
        receive them by email (the configuration's delivery for members
        without terms): the company's email for invoices, else its first
        email."""
        delivery = {t.member: t.delivery for t in cls.search([
                    ('member', 'in', [m.id for m in members]),
                    ])}
        default = cls._configuration().invoice_delivery
        result = {}
        for member in set(members):
            if delivery.get(member, default) != 'email':
                continue
            mechanism = member.party.contact_mechanism_get(
                'email', usage='invoice')
            if mechanism and mechanism.value:
                result[member.id] = mechanism.value
        return result
