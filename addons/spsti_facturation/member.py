"Situation de compte de l'adhérent."
from decimal import Decimal

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Member(metaclass=PoolMeta):
    __name__ = 'spsti.member'
    receivable = fields.Function(fields.Numeric(
            "Balance Due", digits=(16, 2),
            help="What the member owes on its customer account."),
        'get_receivable')
    open_invoices = fields.Function(fields.Many2Many(
            'account.invoice', None, None, "Open Invoices"),
        'get_open_invoices')
    invoices = fields.One2Many(
        'account.invoice', 'spsti_member', "Contribution Invoices",
        readonly=True)
    billing_terms = fields.One2Many(
        'spsti.member.billing', 'member', "Billing Terms", size=1,
        help="Call frequency, payment method and invoice delivery of the "
        "member, when they differ from the billing configuration.")
    strike_off_proposed = fields.Function(fields.Boolean(
            "Strike-off Proposed",
            help="An unpaid invoice reached the last dunning level."),
        'get_strike_off_proposed', searcher='search_strike_off_proposed')

    @classmethod
    def get_receivable(cls, members, name):
        Party = Pool().get('party.party')
        with Transaction().set_context(
                company=Transaction().context.get('company')):
            parties = Party.browse([m.party.id for m in members])
            amounts = {p.id: p.receivable for p in parties}
        return {m.id: amounts.get(m.party.id) or Decimal(0) for m in members}

    @classmethod
    def get_open_invoices(cls, members, name):
        Invoice = Pool().get('account.invoice')
        result = {m.id: [] for m in members}
        by_party = {}
        for member in members:
            by_party.setdefault(member.party.id, []).append(member.id)
        for invoice in Invoice.search([
                    ('party', 'in', list(by_party)),
                    ('type', '=', 'out'),
                    ('state', '=', 'posted'),
                    ], order=[('invoice_date', 'ASC'), ('id', 'ASC')]):
            for member_id in by_party[invoice.party.id]:
                result[member_id].append(invoice.id)
        return result

    @classmethod
    def _parties_to_strike_off(cls):
        "Parties with an unpaid line at a strike-off proposing level."
        Dunning = Pool().get('account.dunning')
        return {d.party.id for d in Dunning.search([
                    ('level.propose_strike_off', '=', True),
                    ('state', 'in', ['waiting', 'final']),
                    ])}

    @classmethod
    def get_strike_off_proposed(cls, members, name):
        parties = cls._parties_to_strike_off()
        return {m.id: m.party.id in parties for m in members}

    @classmethod
    def search_strike_off_proposed(cls, name, clause):
        _, operator, value = clause[:3]
        parties = list(cls._parties_to_strike_off())
        positive = (operator == '=') == bool(value)
        return [('party', 'in' if positive else 'not in', parties)]
