"""Campagne de facturation des cotisations (appels, régularisation).

A run bills, from the validated workforce declarations of a year, one
invoice per member. A call bills the instalments of the yearly
contribution due by its period (all of it for members called yearly); a
regularisation brings what the year's invoices billed in line with the
current declarations. Both bill the difference between what is due by
the run and what the member's invoices of the year already carry, so
that running them again bills nothing. Members are processed in chunks:
the due quantities of a chunk come from one SQL aggregation, the invoices
are written set-wise. A member already invoiced by the run is never
billed again, so a run interrupted at any point resumes where it
stopped."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Null
from sql.aggregate import Count, Sum
from sql.conditionals import Coalesce
from sql.functions import Round

from trytond import config
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
from .member_billing import INSTALMENTS
from .scale import round_cents

KINDS = [
    ('call', "Contribution Call"),
    ('regularisation', "Regularisation"),
    ]
PERIODS = [
    ('01', "January"),
    ('02', "February"),
    ('03', "March"),
    ('04', "April"),
    ('05', "May"),
    ('06', "June"),
    ('07', "July"),
    ('08', "August"),
    ('09', "September"),
    ('10', "October"),
    ('11', "November"),
    ('12', "December"),
    ]
_draft = {'readonly': Eval('state') != 'draft'}


def instalment_of(month, instalments):
    "The instalment (1 to instalments) of the year a month falls in."
    return (month - 1) // (12 // instalments) + 1


def cumulative(amount, instalment, instalments, first=1):
    """What the instalments first to instalment of a yearly amount bill
    together: the instalments from first to the last are equal, rounded to
    the cent, but the last one, which takes the rounding remainder, so that
    all of them bill the amount exactly."""
    count = instalments - first + 1
    done = instalment - first + 1
    if done <= 0:
        return Decimal(0)
    if done >= count:
        return amount
    return done * round_cents(amount / count)


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
    """Campagne de facturation: a call of the contributions of a year, for
    the instalments due by its period, or a regularisation of the year
    (invoices or credit notes for the difference between what is due now
    and what was billed)."""
    __name__ = 'spsti.billing.run'
    __string__ = "Billing Run"
    # Members billed per transaction when a run commits as it goes.
    chunk_size = 1000
    # E-invoices emailed per transaction (each renders its PDF).
    send_chunk_size = 20
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    year = fields.Integer("Year", required=True, states=_draft)
    kind = fields.Selection(KINDS, "Kind", required=True, states=_draft)
    period = fields.Selection(
        PERIODS, "Period", required=True, sort=False, states=_draft,
        help="The month the run bills up to: a call bills the instalments "
        "of the members due by then (the yearly contribution of the "
        "members called yearly, the half-year, quarter or month starting "
        "then of the others) and catches up those not billed yet; a "
        "regularisation corrects what the instalments billed by then.")
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
                'send_invoices': {
                    'invisible': Eval('state') != 'done',
                    'depends': ['state'],
                    'icon': 'tryton-email',
                    },
                })

    @classmethod
    def __register__(cls, module):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        super().__register__(module)
        # Migration from the yearly runs: a yearly call is the call of
        # January (the yearly contribution of the members called yearly),
        # a regularisation the one of December.
        cursor.execute(*table.update([table.kind, table.period],
                ['call', '01'], where=table.kind == 'annual'))
        cursor.execute(*table.update([table.period], ['12'],
                where=(table.kind == 'regularisation')
                & (table.period == Null)))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_kind(cls):
        return 'call'

    @classmethod
    def default_period(cls):
        return '01'

    @fields.depends('kind')
    def on_change_kind(self):
        if self.kind == 'regularisation':
            self.period = '12'

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

    @property
    def month(self):
        return int(self.period)

    def get_rec_name(self, name):
        selection = self.fields_get(['kind', 'period'])
        kinds = dict(selection['kind']['selection'])
        periods = dict(selection['period']['selection'])
        return f'{kinds[self.kind]} {self.year} ({periods[self.period]})'

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
            if run.kind != 'call':
                continue
            others = cls.search([
                    ('id', '!=', run.id),
                    ('company', '=', run.company.id),
                    ('year', '=', run.year),
                    ('kind', '=', 'call'),
                    ('period', '=', run.period),
                    ], limit=1)
            if others:
                raise BillingRunError(gettext(
                        'spsti_facturation.msg_billing_run_call_unique',
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
        cls.queue_members(runs)

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
        cls.queue_members([r for r in runs if r.state == 'processing'])

    @classmethod
    def resume_all(cls):
        "Scheduled task: queue again the runs a stop interrupted."
        cls.queue_members(cls.search([('state', '=', 'processing')]))

    @classmethod
    def queue_members(cls, runs):
        """Queue the members each run has still to bill, in tasks that the
        queue workers share; the run's batch (spsti.batch) shows the
        progress. A run whose tasks are at work is left to them."""
        Batch = Pool().get('spsti.batch')
        size = config.getint('spsti', 'billing_task_members',
            default=cls.chunk_size)
        for run in runs:
            todo = run.members_to_bill()
            batch = Batch.queue(run.rec_name, origin=run, total=len(todo))
            if batch is None:
                continue
            for chunk in grouped_slice(todo, size):
                cls.__queue__.bill_members([run], list(chunk), batch=batch.id)
            if not todo:
                cls.finish([run])
                batch.complete()

    @classmethod
    def bill_members(cls, runs, member_ids, batch):
        """Queued task: bill those of the members that the run has not
        invoiced yet; the task that counts the last members ends the run."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        batch = pool.get('spsti.batch')(batch)
        transaction = Transaction()
        run, = runs
        if run.state != 'processing':
            return
        with batch.task():
            billed = {i.spsti_member.id for i in Invoice.search([
                        ('spsti_billing_run', '=', run.id),
                        ('spsti_member', 'in', member_ids),
                        ])}
            with transaction.set_context(company=run.company.id):
                run.bill([m for m in member_ids if m not in billed])
            transaction.commit()
            batch.hold()
            if batch.advance(len(member_ids)):
                cls.finish([cls(run.id)])
                batch.complete()

    @classmethod
    def create_calls(cls, date=None):
        """Scheduled task: create and start the call of the month, when
        the billing configuration asks for it, for the companies with an
        approved scale of the year, if an instalment of the frequencies
        in use starts that month; never twice for a month."""
        pool = Pool()
        Configuration = pool.get('spsti.billing.configuration')
        MemberBilling = pool.get('spsti.member.billing')
        Company = pool.get('company.company')
        Scale = pool.get('spsti.contribution.scale')
        Date = pool.get('ir.date')
        configuration = Configuration(1)
        if not configuration.automatic_calls:
            return []
        date = date or Date.today()
        terms = MemberBilling.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*terms.select(
                terms.frequency, group_by=[terms.frequency]))
        frequencies = {configuration.billing_frequency} | {f for f, in cursor}
        # An instalment of n a year starts every 12 / n months.
        if not any((date.month - 1) % (12 // INSTALMENTS[f]) == 0
                for f in frequencies):
            return []
        period = f'{date.month:02d}'
        runs = []
        for company in Company.search([]):
            scale = Scale.get_approved(date.year, company.id)
            if not scale or cls.search([
                        ('company', '=', company.id),
                        ('year', '=', date.year),
                        ('kind', '=', 'call'),
                        ('period', '=', period),
                        ], limit=1):
                continue
            runs.append(cls(company=company, year=date.year, kind='call',
                    period=period, invoice_date=date, scale=scale))
        cls.save(runs)
        cls.start(runs)
        return runs

    @classmethod
    def process(cls, runs, commit=False, limit=None):
        """Bill the members each run has not invoiced yet, chunk by chunk;
        commit after each chunk when asked (a stop loses one chunk at
        most). limit caps the members billed in this call."""
        Batch = Pool().get('spsti.batch')
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
            with transaction.set_context(company=run.company.id), \
                    Batch.run(run.rec_name, run, len(todo)) as batch:
                for chunk in map(list, grouped_slice(todo, cls.chunk_size)):
                    run.bill(chunk, tax_memo=tax_memo)
                    if commit:
                        transaction.commit()
                        batch.hold()
                    batch.advance(len(chunk))
                if not rest:
                    cls.finish([run])
                    batch.complete()

    @classmethod
    @Workflow.transition('done')
    def finish(cls, runs):
        cls.write(runs, {'ended_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    def post_invoices(cls, runs):
        "Queue the posting of the draft invoices of the runs."
        cls.__queue__.post_drafts(runs, commit=True)

    @classmethod
    def post_drafts(cls, runs, commit=False):
        """Number and post the draft invoices of the runs, chunk by chunk,
        committing each when asked (a stop loses one chunk at most)."""
        Invoice = Pool().get('account.invoice')
        transaction = Transaction()
        drafts = Invoice.search([
                ('spsti_billing_run', 'in', [r.id for r in runs]),
                ('state', '=', 'draft'),
                ], order=[('id', 'ASC')])
        for chunk in grouped_slice(drafts, cls.chunk_size):
            Invoice.post(list(chunk))
            if commit:
                transaction.commit()

    @classmethod
    @ModelView.button
    def send_invoices(cls, runs):
        "Queue the emailing of the e-invoices of the runs."
        cls.__queue__.deliver_invoices(runs, commit=True)

    @classmethod
    def deliver_invoices(cls, runs, commit=False):
        """Email the Factur-X e-invoices of the posted invoices of the runs
        not sent yet, by small chunks committed as they go (emails leave
        on commit), so that a stop never sends one twice."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        transaction = Transaction()
        invoices = Invoice.search([
                ('spsti_billing_run', 'in', [r.id for r in runs]),
                ('state', 'in', ['posted', 'paid']),
                ('spsti_sent_at', '=', None),
                ], order=[('id', 'ASC')])
        sent = []
        for chunk in grouped_slice(invoices, cls.send_chunk_size):
            sent += Invoice.spsti_send(list(chunk))
            if commit:
                transaction.commit()
        return sent

    @classmethod
    @ModelView.button
    def create_direct_debits(cls, runs):
        """Prélèvement: a submitted SEPA payment for every unpaid term of
        the posted invoices whose member signed a validated mandate; terms
        already in a payment are skipped, so it can be run again."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Configuration = pool.get('spsti.billing.configuration')
        if not Configuration(1).direct_debit_journal:
            raise BillingRunError(gettext(
                    'spsti_facturation.msg_billing_run_no_debit_journal',
                    run=runs[0].rec_name if runs else ''))
        return Invoice.direct_debit(Invoice.search([
                    ('spsti_billing_run', 'in', [r.id for r in runs]),
                    ('state', '=', 'posted'),
                    ('type', '=', 'out'),
                    # Not those whose terms say another way of paying.
                    ['OR',
                        ('spsti_member.billing_terms', '=', None),
                        ('spsti_member.billing_terms.payment_method', '=',
                            'direct_debit'),
                        ],
                    ], order=[('id', 'ASC')]))

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
        Invoice = pool.get('account.invoice')
        MemberBilling = pool.get('spsti.member.billing')
        dues = Dues(self)
        members = self.read_members(member_ids)
        counts = self.count_workers(member_ids)
        billed = self.billed(member_ids)
        terms = MemberBilling.of_members(member_ids)
        lines, descriptions = {}, {}
        for member_id in member_ids:
            frequency, _ = terms[member_id]
            joined = members[member_id][1]
            member_lines = dues.lines(
                dues.yearly(counts.get(member_id, ()), joined),
                billed.get(member_id), INSTALMENTS[frequency], joined)
            for line in member_lines:
                key = line.pop('description')
                if key not in descriptions:
                    descriptions[key] = self._line_description(*key)
                line['description'] = descriptions[key]
            if member_lines:
                lines[member_id] = member_lines
        if not lines:
            return []
        headers = Invoice.spsti_customer_invoice_values(
            self.company, list({members[m][0] for m in lines}),
            invoice_date=self.invoice_date,
            description=gettext(
                'spsti_facturation.msg_invoice_description_' + self.kind,
                year=self.year,
                period=dict(self.fields_get(['period'])['period'][
                        'selection'])[self.period]),
            spsti_billing_run=self.id)
        templates = self.invoice_line_templates(
            {l['contribution_heading'] for v in lines.values() for l in v})
        invoices = []
        for member_id, member_lines in lines.items():
            header = dict(headers[members[member_id][0]],
                spsti_member=member_id)
            _, address = terms[member_id]
            if address:
                header['invoice_address'] = address
            header['lines'] = [
                {**templates[l['contribution_heading']], **l}
                for l in member_lines]
            invoices.append(header)
        return Invoice.spsti_create_drafts(invoices, tax_memo=tax_memo)

    def read_members(self, member_ids):
        "{member id: (party id, membership date)}"
        Member = Pool().get('spsti.member')
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub in grouped_slice(member_ids, MAX_QUERY_PARAMS):
            cursor.execute(*member.select(
                    member.id, member.party, member.membership_date,
                    where=SQL_OPERATORS['in'](member.id, list(sub))))
            for member_id, party, date in cursor:
                if isinstance(date, str):
                    date = dt.date.fromisoformat(date)
                result[member_id] = (party, date)
        return result

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

    def count_workers(self, member_ids):
        """{member id: [(category, share, workers)]}: the workers the
        current validated declarations of the year include, by follow-up
        category and by number of employers sharing them."""
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Line = pool.get('spsti.declaration.line')
        MultiEmployer = pool.get('spsti.multi_employer')
        declaration = Declaration.__table__()
        line = Line.__table__()
        multi = MultiEmployer.__table__()
        cursor = Transaction().connection.cursor()
        share = Coalesce(multi.member_count, 1)
        counts = defaultdict(list)
        for sub in grouped_slice(member_ids, MAX_QUERY_PARAMS):
            query = line.join(declaration,
                condition=line.declaration == declaration.id
                ).join(multi, type_='LEFT',
                condition=(multi.year == declaration.year)
                & (multi.employee == line.employee)
                & (multi.job == line.job)
                & (multi.category == line.category)
                ).select(declaration.member, line.category, share,
                    Count(line.employee, distinct=True),
                    where=SQL_OPERATORS['in'](declaration.member, list(sub))
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
        return counts

    def billed(self, member_ids):
        """{member id: Billed} of what the invoices and credit notes of
        the year carry for the members."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        invoice = Invoice.__table__()
        line = InvoiceLine.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub in grouped_slice(member_ids, MAX_QUERY_PARAMS):
            cursor.execute(*invoice.join(line,
                    condition=line.invoice == invoice.id
                    ).select(invoice.spsti_member,
                    line.contribution_heading, line.contribution_category,
                    line.contribution_share, line.contribution_instalment,
                    line.contribution_instalments,
                    line.quantity, line.unit_price,
                    where=SQL_OPERATORS['in'](invoice.spsti_member, list(sub))
                    & (invoice.state != 'cancelled')
                    & (line.contribution_year == self.year)))
            for (member_id, heading, category, share, instalment,
                    instalments, quantity, unit_price) in cursor:
                if member_id not in result:
                    result[member_id] = Billed()
                result[member_id].add((heading, category, share),
                    instalment, instalments, quantity, unit_price)
        return result

    def _line_description(self, heading, category, share, prorata,
            instalments, span, regularise):
        Category = Pool().get('spsti.follow_up.category')
        if heading == 'contribution':
            if category:
                text = gettext('spsti_facturation.msg_heading_contribution',
                    category=Category(category).code, year=self.year)
            else:
                text = gettext(
                    'spsti_facturation.msg_heading_contribution_no_category',
                    year=self.year)
            if share and share > 1:
                text += gettext('spsti_facturation.msg_heading_shared',
                    share=share)
        else:
            text = gettext(
                'spsti_facturation.msg_heading_' + heading, year=self.year)
        if prorata != 1 and heading != 'membership_fee':
            text += gettext('spsti_facturation.msg_heading_prorata',
                months=int(prorata * 12))
        if instalments > 1 and heading != 'membership_fee':
            first, last = span
            if first == last:
                text += gettext('spsti_facturation.msg_heading_instalment',
                    instalment=last, instalments=instalments)
            else:
                text += gettext('spsti_facturation.msg_heading_instalments',
                    first=first, last=last, instalments=instalments)
        if regularise:
            text = gettext('spsti_facturation.msg_heading_regularisation',
                heading=text)
        return text


class Dues:
    """The arithmetic of a run on plain values read once: what a member
    owes for the year (pro rata, shares, minimum, membership fee) and
    what the run bills of it (instalments, regularisation)."""
    __slots__ = ('year', 'kind', 'month', 'amount_per_worker',
        'category_amounts', 'minimum_amount', 'membership_fee',
        'membership_fee_kind')

    def __init__(self, run):
        scale = run.scale
        self.year = run.year
        self.kind = run.kind
        self.month = run.month
        self.amount_per_worker = scale.amount_per_worker
        self.category_amounts = {
            c.category.id: c.amount for c in scale.category_amounts}
        self.minimum_amount = scale.minimum_amount
        self.membership_fee = scale.membership_fee
        self.membership_fee_kind = scale.membership_fee_kind

    def prorata(self, joined):
        """Share of the year billed to a member joining during it: the
        months left, the month of joining included."""
        if joined and joined.year == self.year:
            return Decimal(13 - joined.month) / 12
        return Decimal(1)

    def unit_price(self, category, share, prorata):
        "The yearly contribution of a worker of category."
        amount = self.category_amounts.get(category, self.amount_per_worker)
        return round_cents(amount / (share or 1) * prorata)

    def yearly(self, counts, joined):
        """[DueLine] of what a member owes for the whole year for counts,
        [(category, share, workers)]."""
        prorata = self.prorata(joined)
        lines = [DueLine('contribution', category, share, workers,
                self.unit_price(category, share, prorata))
            for category, share, workers in sorted(counts,
                key=lambda c: (c[0] or 0, c[1]))]
        contributions = sum((l.amount for l in lines), Decimal(0))
        if self.minimum_amount:
            minimum = round_cents(self.minimum_amount * prorata)
            if contributions < minimum:
                lines.append(DueLine('minimum', None, None, 1,
                        minimum - contributions))
        if self.membership_fee and (
                self.membership_fee_kind == 'yearly'
                or (joined and joined.year == self.year)):
            lines.append(DueLine('membership_fee', None, None, 1,
                    self.membership_fee))
        return lines

    def lines(self, due, billed, instalments, joined):
        """The values of the invoice lines of a member: what is due by the
        run's period less what is billed, heading by heading, or [] when
        the run has nothing to bill the member. Their 'description' is the
        key of _line_description.

        The instalments called (from the last one billed to the one of
        the period) are lines of their own; the correction of the
        instalments billed before, when the declarations changed since,
        is a regularisation line: the change of workers at the amount
        per worker billed so far, or the difference of amounts when the
        scale changed."""
        billed = billed or Billed()
        # The frequency of the year's first call holds for the year.
        instalments = billed.instalments or instalments
        progress = billed.progress
        reached = instalment_of(self.month, instalments)
        if self.kind == 'call' and reached <= progress:
            return []
        target = max(reached, progress)
        first = 1
        if joined and joined.year == self.year:
            first = instalment_of(joined.month, instalments)
        prorata = self.prorata(joined)
        due = list(due)
        keys = {l.key for l in due}
        # Headings billed before and no longer due are credited.
        for key in billed.amounts:
            if key not in keys:
                heading, category, share = key
                unit_price = (self.unit_price(category, share, prorata)
                    if heading == 'contribution' else Decimal(0))
                due.append(DueLine(*key, 0, unit_price))
        lines = []

        def add(line, quantity, unit_price, regularise):
            if not quantity or not unit_price:
                return
            if unit_price < 0:
                quantity, unit_price = -quantity, -unit_price
            span = (1, progress) if regularise else (progress + 1, target)
            lines.append({
                    'quantity': float(quantity),
                    'unit_price': unit_price,
                    'description': (line.heading, line.category,
                        line.share, prorata, instalments, span, regularise),
                    'contribution_year': self.year,
                    'contribution_heading': line.heading,
                    'contribution_category': line.category,
                    'contribution_share': line.share,
                    'contribution_instalment': target,
                    'contribution_instalments': instalments,
                    })

        for line in due:
            amount = billed.amounts.get(line.key, Decimal(0))
            if line.heading == 'contribution':
                before = cumulative(
                    line.unit_price, progress, instalments, first)
                after = cumulative(
                    line.unit_price, target, instalments, first)
                gap = line.quantity * before - amount
                if gap and before and not (amount / before) % 1:
                    add(line, line.quantity - int(amount / before), before,
                        True)
                elif gap:
                    add(line, (gap > 0) - (gap < 0), abs(gap), True)
                add(line, line.quantity, after - before, False)
            else:
                # The minimum is called by instalments, the fee at once.
                if line.heading == 'minimum':
                    before = cumulative(
                        line.amount, progress, instalments, first)
                    after = cumulative(
                        line.amount, target, instalments, first)
                else:
                    before = line.amount if progress else Decimal(0)
                    after = line.amount
                for difference, regularise in [
                        (before - amount, True), (after - before, False)]:
                    add(line, (difference > 0) - (difference < 0),
                        abs(difference), regularise)
        return lines


class Billed:
    """What the invoices of a year carry for a member: the amount per
    heading, and the instalments billed."""
    __slots__ = ('amounts', 'progress', 'instalments')

    def __init__(self):
        self.amounts = defaultdict(Decimal)
        self.progress = 0
        self.instalments = None

    def add(self, key, instalment, instalments, quantity, unit_price):
        # The amount of an invoice line, as account_invoice computes it.
        self.amounts[key] += round_cents(
            Decimal(str(quantity or 0)) * Decimal(str(unit_price or 0)))
        if instalment and instalment >= self.progress:
            self.progress = instalment
            self.instalments = instalments
