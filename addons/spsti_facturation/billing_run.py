"""Campagne de facturation des cotisations (appel annuel, régularisation).

A run bills, from the validated workforce declarations of a year, one
invoice per member. Members are processed in chunks: the due quantities of
a chunk come from one SQL aggregation, the invoices are saved in one call.
A member already invoiced by the run is never billed again, so a run
interrupted at any point resumes where it stopped."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Null
from sql.aggregate import Count, Sum
from sql.conditionals import Coalesce
from sql.functions import Round

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import BillingRunError
from .invoice import DraftTaxMemo
from .scale import round_cents

KINDS = [
    ('annual', "Yearly call"),
    ('regularisation', "Regularisation"),
    ]
_draft = {'readonly': Eval('state') != 'draft'}


class DueLine:
    """What a member owes under one heading: a quantity of workers at a
    unit price (contributions) or an amount (fee, minimum)."""
    __slots__ = ('heading', 'category', 'share', 'quantity', 'unit_price')

    def __init__(self, heading, category, share, quantity, unit_price):
        self.heading = heading
        self.category = category
        self.share = share
        self.quantity = quantity
        self.unit_price = unit_price

    @property
    def key(self):
        return (self.heading, self.category, self.share)

    @property
    def amount(self):
        return self.unit_price * self.quantity


class BillingRun(Workflow, ModelSQL, ModelView):
    """Campagne de facturation: the yearly call of contributions or a
    regularisation of a year (invoices or credit notes for the difference
    between what is due now and what was billed)."""
    __name__ = 'spsti.billing.run'
    __string__ = "Billing Run"
    # Members billed per transaction when a run commits as it goes.
    chunk_size = 1000
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    year = fields.Integer("Year", required=True, states=_draft)
    kind = fields.Selection(KINDS, "Kind", required=True, states=_draft)
    invoice_date = fields.Date("Invoice Date", required=True, states=_draft)
    scale = fields.Many2One(
        'spsti.contribution.scale', "Scale", required=True, states=_draft,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('year', '=', Eval('year', -1)),
            ('state', '=', 'approved'),
            ])
    state = fields.Selection([
            ('draft', "Draft"),
            ('processing', "Processing"),
            ('done', "Done"),
            ], "State", readonly=True, required=True)
    started_at = fields.DateTime("Started at", readonly=True)
    ended_at = fields.DateTime("Ended at", readonly=True)
    invoices = fields.One2Many(
        'account.invoice', 'spsti_billing_run', "Invoices", readonly=True)
    invoice_count = fields.Function(
        fields.Integer("Invoices Created"), 'get_figures')
    draft_count = fields.Function(
        fields.Integer("Invoices to Post"), 'get_figures')
    total_amount = fields.Function(fields.Numeric(
            "Total Untaxed", digits=(16, 2)), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('year', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'processing'),
            ('processing', 'done'),
            }
        cls._buttons.update({
                'start': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-launch',
                    },
                'resume': {
                    'invisible': Eval('state') != 'processing',
                    'icon': 'tryton-refresh',
                    },
                'post_invoices': {
                    'invisible': (Eval('state') != 'done')
                    | ~Eval('draft_count', 0),
                    'icon': 'tryton-ok',
                    },
                'create_direct_debits': {
                    'invisible': Eval('state') != 'done',
                    'depends': ['state'],
                    'icon': 'tryton-forward',
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_kind(cls):
        return 'annual'

    @classmethod
    def default_invoice_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year

    @fields.depends('company', 'year')
    def on_change_year(self):
        Scale = Pool().get('spsti.contribution.scale')
        if self.year and self.company:
            self.scale = Scale.get_approved(self.year, self.company.id)

    def get_rec_name(self, name):
        kinds = dict(self.fields_get(['kind'])['kind']['selection'])
        return f'{kinds[self.kind]} {self.year}'

    @classmethod
    def get_figures(cls, runs, names):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        invoice = Invoice.__table__()
        line = InvoiceLine.__table__()
        cursor = Transaction().connection.cursor()
        counts = {r.id: [0, 0, Decimal(0)] for r in runs}
        for sub in grouped_slice([r.id for r in runs], MAX_QUERY_PARAMS):
            where = (SQL_OPERATORS['in'](invoice.spsti_billing_run, list(sub))
                & (invoice.state != 'cancelled'))
            cursor.execute(*invoice.select(
                    invoice.spsti_billing_run,
                    Count(invoice.id),
                    Sum(Coalesce(invoice.untaxed_amount_cache, 0)),
                    where=where & (invoice.state != 'draft'),
                    group_by=[invoice.spsti_billing_run]))
            for run, count, total in cursor:
                counts[run][0] += count
                counts[run][2] += Decimal(str(total or 0))
            # Draft invoices keep no cached amount: the sum of their lines'
            # amounts, rounded to the cent each.
            cursor.execute(*invoice.join(line, type_='LEFT',
                    condition=line.invoice == invoice.id
                    ).select(
                    invoice.spsti_billing_run,
                    Count(invoice.id, distinct=True),
                    Sum(Coalesce(Round(Cast(line.quantity, 'NUMERIC')
                                * line.unit_price, 2), 0)),
                    where=where & (invoice.state == 'draft'),
                    group_by=[invoice.spsti_billing_run]))
            for run, count, total in cursor:
                counts[run][0] += count
                counts[run][1] += count
                counts[run][2] += round_cents(Decimal(str(total or 0)))
        result = {}
        for index, name in enumerate(
                ['invoice_count', 'draft_count', 'total_amount']):
            if name in names:
                result[name] = {r: c[index] for r, c in counts.items()}
        return result

    @classmethod
    def validate_fields(cls, runs, field_names):
        super().validate_fields(runs, field_names)
        for run in runs:
            if run.kind != 'annual':
                continue
            others = cls.search([
                    ('id', '!=', run.id),
                    ('company', '=', run.company.id),
                    ('year', '=', run.year),
                    ('kind', '=', 'annual'),
                    ], limit=1)
            if others:
                raise BillingRunError(gettext(
                        'spsti_facturation.msg_billing_run_annual_unique',
                        run=run.rec_name))

    @classmethod
    def check_modification(cls, mode, runs, values=None, external=False):
        super().check_modification(
            mode, runs, values=values, external=external)
        if mode == 'delete':
            for run in runs:
                if run.state != 'draft':
                    raise BillingRunError(gettext(
                            'spsti_facturation.msg_billing_run_delete',
                            run=run.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('processing')
    def start(cls, runs):
        cls.prepare(runs)
        cls.__queue__.process(runs, commit=True)

    @classmethod
    def prepare(cls, runs):
        "What processing needs before the first member is billed."
        MultiEmployer = Pool().get('spsti.multi_employer')
        for year in {r.year for r in runs}:
            # Shared contributions need the year's multi-employer list.
            if not MultiEmployer.search([('year', '=', year)], limit=1):
                MultiEmployer.detect(year)
        cls.write(runs, {'started_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    def resume(cls, runs):
        cls.__queue__.process(
            [r for r in runs if r.state == 'processing'], commit=True)

    @classmethod
    def resume_all(cls):
        "Scheduled task: queue again the runs a stop interrupted."
        runs = cls.search([('state', '=', 'processing')])
        if runs:
            cls.__queue__.process(runs, commit=True)

    @classmethod
    def process(cls, runs, commit=False, limit=None):
        """Bill the members each run has not invoiced yet, chunk by chunk;
        commit after each chunk when asked (a stop loses one chunk at
        most). limit caps the members billed in this call."""
        transaction = Transaction()
        for run in runs:
            run = cls(run.id)
            if run.state != 'processing':
                continue
            todo = run.members_to_bill()
            if limit is not None:
                todo, rest = todo[:limit], todo[limit:]
            else:
                rest = []
            # Members with the same lines have the same taxes.
            tax_memo = DraftTaxMemo()
            with transaction.set_context(company=run.company.id):
                for chunk in grouped_slice(todo, cls.chunk_size):
                    run.bill(list(chunk), tax_memo=tax_memo)
                    if commit:
                        transaction.commit()
            if not rest:
                cls.finish([run])
                if commit:
                    transaction.commit()

    @classmethod
    @Workflow.transition('done')
    def finish(cls, runs):
        cls.write(runs, {'ended_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    def post_invoices(cls, runs):
        "Post the draft invoices of the runs, chunk by chunk."
        Invoice = Pool().get('account.invoice')
        drafts = Invoice.search([
                ('spsti_billing_run', 'in', [r.id for r in runs]),
                ('state', '=', 'draft'),
                ], order=[('id', 'ASC')])
        for chunk in grouped_slice(drafts, cls.chunk_size):
            Invoice.post(list(chunk))

    @classmethod
    @ModelView.button
    def create_direct_debits(cls, runs):
        """Prélèvement: a submitted SEPA payment for every unpaid term of
        the posted invoices whose member signed a validated mandate; terms
        already in a payment are skipped, so it can be run again."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Payment = pool.get('account.payment')
        Configuration = pool.get('spsti.billing.configuration')
        journal = Configuration(1).direct_debit_journal
        if not journal:
            raise BillingRunError(gettext(
                    'spsti_facturation.msg_billing_run_no_debit_journal',
                    run=runs[0].rec_name if runs else ''))
        payments = []
        invoices = Invoice.search([
                ('spsti_billing_run', 'in', [r.id for r in runs]),
                ('state', '=', 'posted'),
                ('type', '=', 'out'),
                ], order=[('id', 'ASC')])
        for invoice in invoices:
            if not any(m.state == 'validated' and m.company == journal.company
                    for m in invoice.party.sepa_mandates):
                continue
            for line in invoice.lines_to_pay:
                if line.reconciliation or line.payment_blocked:
                    continue
                if line.payment_kind != 'receivable' \
                        or not line.payment_amount:
                    continue
                payments.append(Payment(
                        company=journal.company, journal=journal,
                        kind='receivable', party=invoice.party,
                        amount=line.payment_amount, line=line,
                        date=line.maturity_date,
                        reference=invoice.number))
        Payment.save(payments)
        Payment.submit(payments)
        return payments

    def members_to_bill(self):
        """Ids of the members with a validated declaration of the year that
        this run has not invoiced yet, in id order."""
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Invoice = pool.get('account.invoice')
        declaration = Declaration.__table__()
        invoice = Invoice.__table__()
        cursor = Transaction().connection.cursor()
        billed = invoice.select(invoice.spsti_member,
            where=(invoice.spsti_billing_run == self.id)
            & (invoice.spsti_member != Null))
        cursor.execute(*declaration.select(declaration.member,
                where=(declaration.year == self.year)
                & (declaration.state == 'validated')
                & ~declaration.member.in_(billed),
                group_by=[declaration.member],
                order_by=[declaration.member.asc]))
        return [m for m, in cursor]

    def bill(self, member_ids, tax_memo=None):
        """Create the invoices of the members, set-wise; returns their
        ids."""
        pool = Pool()
        Member = pool.get('spsti.member')
        Invoice = pool.get('account.invoice')
        due = self.compute_due(member_ids)
        if self.kind == 'regularisation':
            due = self.subtract_billed(due)
        due = {m: [l for l in lines if l.quantity]
            for m, lines in due.items()}
        # Values, not instances: long lists of instances are slow.
        members = [m for m in Member.read(
                member_ids, ['party', 'membership_date'])
            if due.get(m['id'])]
        headers = Invoice.spsti_customer_invoice_values(
            self.company, [m['party'] for m in members],
            invoice_date=self.invoice_date,
            description=gettext(
                'spsti_facturation.msg_invoice_description_' + self.kind,
                year=self.year),
            spsti_billing_run=self)
        lines = self.invoice_line_templates(
            {l.heading for d in due.values() for l in d})
        invoices = []
        for member in members:
            prorata = self.prorata(member['membership_date'])
            invoices.append(dict(headers[member['party']],
                    spsti_member=member['id'],
                    lines=[dict(lines[l.heading],
                            quantity=float(l.quantity),
                            unit_price=l.unit_price,
                            description=self._line_description(l, prorata),
                            contribution_year=self.year,
                            contribution_heading=l.heading,
                            contribution_category=l.category,
                            contribution_share=l.share)
                        for l in due[member['id']]]))
        return Invoice.spsti_create_drafts(invoices, tax_memo=tax_memo)

    def invoice_line_templates(self, headings):
        """{heading: values of an invoice line of its product}: the
        account and the taxes of each product are read once."""
        pool = Pool()
        Line = pool.get('account.invoice.line')
        Configuration = pool.get('spsti.billing.configuration')
        config = Configuration(1)
        templates = {}
        for heading in headings:
            product = {
                'contribution': config.contribution_product,
                'membership_fee': config.membership_fee_product,
                'minimum': config.minimum_product,
                }[heading]
            if not product:
                raise BillingRunError(gettext(
                        'spsti_facturation.msg_billing_run_no_product',
                        run=self.rec_name))
            values = Line.spsti_product_line(
                self.company, product, 0, Decimal(0))._save_values()
            values['taxes'] = [
                i for action, ids in values.get('taxes', []) for i in ids]
            templates[heading] = values
        return templates

    def prorata(self, membership_date):
        """Share of the year billed to a member joining during it: the
        months left, the month of joining included."""
        if membership_date and membership_date.year == self.year:
            return Decimal(13 - membership_date.month) / 12
        return Decimal(1)

    def compute_due(self, member_ids):
        """{member id: [DueLine]} of what the members owe for the year by
        the current validated declarations and the scale."""
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Line = pool.get('spsti.declaration.line')
        MultiEmployer = pool.get('spsti.multi_employer')
        Member = pool.get('spsti.member')
        declaration = Declaration.__table__()
        line = Line.__table__()
        multi = MultiEmployer.__table__()
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        scale = self.scale
        share = Coalesce(multi.member_count, 1)
        counts = defaultdict(list)
        joined = {}
        for sub in grouped_slice(member_ids, MAX_QUERY_PARAMS):
            sub = list(sub)
            query = line.join(declaration,
                condition=line.declaration == declaration.id
                ).join(multi, type_='LEFT',
                condition=(multi.year == declaration.year)
                & (multi.employee == line.employee)
                & (multi.job == line.job)
                & (multi.category == line.category)
                ).select(declaration.member, line.category, share,
                    Count(line.employee, distinct=True),
                    where=declaration.member.in_(sub)
                    & (declaration.year == self.year)
                    & (declaration.state == 'validated')
                    & (line.included == True),  # noqa: E712
                    # Not the COALESCE: its literal is a distinct query
                    # parameter in GROUP BY, which PostgreSQL refuses.
                    group_by=[declaration.member, line.category,
                        multi.member_count])
            cursor.execute(*query)
            for member_id, category, n, count in cursor:
                counts[member_id].append((category, n, count))
            cursor.execute(*member.select(member.id, member.membership_date,
                    where=member.id.in_(sub)))
            for member_id, date in cursor:
                if isinstance(date, str):
                    date = dt.date.fromisoformat(date)
                joined[member_id] = date
        due = {}
        for member_id in member_ids:
            joined_date = joined.get(member_id)
            prorata = self.prorata(joined_date)
            lines = []
            for category, n, count in sorted(counts[member_id],
                    key=lambda c: (c[0] or 0, c[1])):
                unit_price = round_cents(
                    scale.amount_for(category) / n * prorata)
                lines.append(DueLine(
                        'contribution', category, n, count, unit_price))
            contributions = sum((l.amount for l in lines), Decimal(0))
            if scale.minimum_amount:
                minimum = round_cents(scale.minimum_amount * prorata)
                if contributions < minimum:
                    lines.append(DueLine('minimum', None, None, 1,
                            minimum - contributions))
            if scale.membership_fee and (
                    scale.membership_fee_kind == 'yearly'
                    or (joined_date and joined_date.year == self.year)):
                lines.append(DueLine('membership_fee', None, None, 1,
                        scale.membership_fee))
            due[member_id] = lines
        return due

    def subtract_billed(self, due):
        """What remains due once the invoices and credit notes of the year
        are deducted: worker counts for contributions, amounts for the
        fee and the minimum."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        invoice = Invoice.__table__()
        line = InvoiceLine.__table__()
        cursor = Transaction().connection.cursor()
        billed = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for sub in grouped_slice(list(due), MAX_QUERY_PARAMS):
            cursor.execute(*line.join(invoice,
                    condition=line.invoice == invoice.id
                    ).select(invoice.spsti_member,
                    line.contribution_heading, line.contribution_category,
                    line.contribution_share,
                    Sum(line.quantity), Sum(line.quantity * line.unit_price),
                    where=invoice.spsti_member.in_(list(sub))
                    & (invoice.state != 'cancelled')
                    & (line.contribution_year == self.year),
                    group_by=[invoice.spsti_member,
                        line.contribution_heading, line.contribution_category,
                        line.contribution_share]))
            for member_id, heading, category, share, qty, amount in cursor:
                key = (heading, category, share)
                billed[member_id, key][0] += Decimal(str(qty or 0))
                billed[member_id, key][1] += Decimal(str(amount or 0))
        result = {}
        for member_id, lines in due.items():
            keys = {l.key for l in lines}
            differences = []
            for line in lines:
                quantity, amount = billed.get(
                    (member_id, line.key), (Decimal(0), Decimal(0)))
                if line.heading == 'contribution':
                    differences.append(DueLine(*line.key,
                            int(line.quantity - quantity), line.unit_price))
                else:
                    differences.append(self._amount_difference(
                            line.key, line.amount - round_cents(amount)))
            # Headings billed before and no longer due are credited.
            for (billed_member, key), (quantity, amount) in billed.items():
                if billed_member != member_id or key in keys:
                    continue
                if key[0] == 'contribution' and quantity:
                    differences.append(DueLine(*key, -int(quantity),
                            round_cents(amount / quantity)))
                elif key[0] != 'contribution':
                    differences.append(self._amount_difference(
                            key, -round_cents(amount)))
            result[member_id] = differences
        return result

    @staticmethod
    def _amount_difference(key, amount):
        return DueLine(*key, (amount > 0) - (amount < 0), abs(amount))

    def _line_description(self, due, prorata):
        Category = Pool().get('spsti.follow_up.category')
        if due.heading == 'contribution':
            if due.category:
                text = gettext('spsti_facturation.msg_heading_contribution',
                    category=Category(due.category).code, year=self.year)
            else:
                text = gettext(
                    'spsti_facturation.msg_heading_contribution_no_category',
                    year=self.year)
            if due.share and due.share > 1:
                text += gettext('spsti_facturation.msg_heading_shared',
                    share=due.share)
        else:
            text = gettext(
                'spsti_facturation.msg_heading_' + due.heading,
                year=self.year)
        if prorata != 1 and due.heading != 'membership_fee':
            text += gettext('spsti_facturation.msg_heading_prorata',
                months=int(prorata * 12))
        if self.kind == 'regularisation':
            text = gettext('spsti_facturation.msg_heading_regularisation',
                heading=text)
        return text
