"""Factures de cotisation: the billing-run links of stock invoices, the
headings of their lines, and the Factur-X e-invoice."""
import datetime as dt
import types
from collections import defaultdict

import facturx
from lxml import etree
from sql import Cast, Literal, Null, Select
from sql.functions import CurrentTimestamp, Function
from sql.operators import Equal

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Exclude, Index, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.account.tax import TaxableMixin, _TaxableLine
from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import FacturXError

HEADINGS = [
    (None, ""),
    ('contribution', "Per-capita contribution"),
    ('membership_fee', "Membership fee"),
    ('minimum', "Minimum contribution"),
    ]
CII_RAM = ('urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100')
CII_RSM = 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'
CII_UDT = 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100'
# Factur-X profile EN 16931 (the European semantic standard).
FACTURX_GUIDELINE = 'urn:cen.eu:en16931:2017'


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'
    spsti_billing_run = fields.Many2One(
        'spsti.billing.run', "Billing Run", readonly=True,
        ondelete='RESTRICT')
    spsti_member = fields.Many2One(
        'spsti.member', "Member", readonly=True, ondelete='RESTRICT')
    spsti_sent_at = fields.DateTime(
        "E-invoice Sent at", readonly=True,
        help="When the Factur-X e-invoice was emailed to the member.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.spsti_billing_run, Index.Equality()),
                    (t.spsti_member, Index.Equality())),
                Index(t, (t.spsti_member, Index.Equality())),
                })
        # However many workers share a run, a member is billed once by it.
        cls._sql_constraints.append(('spsti_billing_run_member_exclude',
                Exclude(t,
                    (t.spsti_billing_run, Equal),
                    (t.spsti_member, Equal),
                    where=(t.spsti_billing_run != Null)
                    & (t.spsti_member != Null)
                    & (t.state != 'cancelled')),
                'spsti_facturation.msg_invoice_billing_run_member_unique'))
        cls._check_modify_exclude.add('spsti_sent_at')

    @classmethod
    def spsti_customer_invoice(cls, company, party, **values):
        """A draft customer invoice of party: its invoice address and
        receivable account, its payment term or the billing configuration's,
        the journal of customer invoices."""
        Configuration = Pool().get('spsti.billing.configuration')
        invoice = cls(
            company=company,
            type='out',
            party=party,
            invoice_address=party.address_get(type='invoice'),
            account=party.account_receivable_used,
            payment_term=(party.customer_payment_term
                or Configuration(1).payment_term),
            currency=company.currency,
            **values)
        invoice.set_journal()
        return invoice

    @classmethod
    def spsti_customer_invoice_values(cls, company, party_ids, **values):
        """{party id: the values of spsti_customer_invoice(company, party,
        **values)} for many parties in a few queries: the parties with a
        receivable account or payment term of their own go through
        spsti_customer_invoice, the others share the defaults of the
        first of them and get their own invoice address."""
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        PartyAccount = pool.get('party.party.account')
        PartyPaymentTerm = pool.get('party.party.payment_term')
        cursor = Transaction().connection.cursor()
        account = PartyAccount.__table__()
        term = PartyPaymentTerm.__table__()
        address = Address.__table__()
        in_ = SQL_OPERATORS['in']
        own, addresses = set(), defaultdict(list)
        # Plain queries: instances or search_read of long lists cost more.
        for sub in grouped_slice(party_ids, MAX_QUERY_PARAMS):
            sub = list(sub)
            for table, column in [
                    (account, account.account_receivable),
                    (term, term.customer_payment_term)]:
                cursor.execute(*table.select(table.party,
                        where=in_(table.party, sub) & (column != Null)))
                own.update(p for p, in cursor)
            cursor.execute(*address.select(address.party, address.sequence,
                    address.id, address.invoice,
                    where=in_(address.party, sub)
                    & (address.active == True)))  # noqa: E712
            for party, sequence, id_, invoice in cursor:
                addresses[party].append(
                    (sequence is not None, sequence or 0, id_, invoice))
        result, shared = {}, None
        for party_id in party_ids:
            if party_id in own or shared is None:
                invoice = cls.spsti_customer_invoice(
                    company, Party(party_id), **values)
                result[party_id] = invoice._save_values()
                if party_id not in own:
                    shared = result[party_id]
            else:
                # party.address_get(type='invoice'): the first invoice
                # address in the order of the addresses (sequence, nulls
                # first, then id), else the first address.
                ordered = sorted(addresses.get(party_id, []))
                invoice = next((a[2] for a in ordered if a[3]),
                    ordered[0][2] if ordered else None)
                result[party_id] = dict(shared,
                    party=party_id, invoice_address=invoice)
        return result

    @classmethod
    def spsti_create_drafts(cls, vlist, tax_memo=None):
        """Create draft customer invoices from values with their 'lines'
        (values with 'taxes' as ids) and their computed taxes, set-wise:
        one INSERT per table for the lot. For the invoices a billing run
        builds from its own checked data: what create() validates holds by
        construction, and posting checks the taxes again. tax_memo (a
        DraftTaxMemo) keeps the taxes computed for a set of lines between
        calls. Returns the ids.
        """
        pool = Pool()
        Line = pool.get('account.invoice.line')
        LineTax = pool.get('account.invoice.line-account.tax')
        InvoiceTax = pool.get('account.invoice.tax')
        Date = pool.get('ir.date')
        today = Date.today()
        tax_memo = tax_memo if tax_memo is not None else DraftTaxMemo()
        invoice_ids = _insert(cls,
            [{k: v for k, v in i.items() if k != 'lines'} for i in vlist])
        lines, taxes, invoice_taxes = [], [], []
        for invoice_id, values in zip(invoice_ids, vlist):
            for line in values['lines']:
                line = line.copy()
                taxes.append(line.pop('taxes', ()))
                line['invoice'] = invoice_id
                lines.append(line)
            # Invoice.tax_date
            tax_date = (values.get('accounting_date')
                or values.get('invoice_date') or today)
            invoice_taxes.extend(dict(t, invoice=invoice_id)
                for t in tax_memo.invoice_taxes(values['company'], tax_date,
                    tuple((tuple(l['taxes']), l['unit_price'], l['quantity'])
                        for l in values['lines']
                        if l.get('type') == 'line')))
        line_ids = _insert(Line, lines)
        _insert(LineTax, [{'line': line_id, 'tax': tax}
                for line_id, line_taxes in zip(line_ids, taxes)
                for tax in line_taxes])
        _insert(InvoiceTax, invoice_taxes)
        return invoice_ids

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('spsti_billing_run')
        default.setdefault('spsti_sent_at')
        return super().copy(invoices, default=default)

    @classmethod
    def direct_debit(cls, invoices):
        """Prélèvement: a submitted SEPA payment, on the direct debit
        journal of the billing configuration, for every unpaid term of the
        posted invoices whose party signed a validated mandate; terms
        already in a payment are skipped, so it can be run again. Returns
        the payments."""
        pool = Pool()
        Payment = pool.get('account.payment')
        Configuration = pool.get('spsti.billing.configuration')
        journal = Configuration(1).direct_debit_journal
        payments = []
        for invoice in invoices:
            if invoice.state != 'posted' or not journal or not any(
                    m.state == 'validated' and m.company == journal.company
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

    def get_facturx_xml(self):
        """The UN/CEFACT CII XML of the posted invoice under the Factur-X
        EN 16931 profile, checked against the Factur-X XSD."""
        pool = Pool()
        EInvoice = pool.get('edocument.uncefact.invoice')
        if self.state not in {'posted', 'paid'}:
            raise FacturXError(gettext(
                    'spsti_facturation.msg_facturx_not_posted',
                    invoice=self.rec_name))
        root = etree.fromstring(EInvoice(self).render('16B-CII'))
        self._restrict_to_en16931(root)
        self._add_direct_debit(root)
        context = root.find(f'{{{CII_RSM}}}ExchangedDocumentContext')
        guideline = etree.SubElement(context,
            f'{{{CII_RAM}}}GuidelineSpecifiedDocumentContextParameter')
        etree.SubElement(guideline, f'{{{CII_RAM}}}ID').text = (
            FACTURX_GUIDELINE)
        xml = etree.tostring(
            root, xml_declaration=True, encoding='UTF-8')
        try:
            facturx.xml_check_xsd(xml, flavor='factur-x', level='en16931')
        except Exception as exception:
            raise FacturXError(gettext(
                    'spsti_facturation.msg_facturx_invalid',
                    invoice=self.rec_name, error=str(exception))
                ) from exception
        return xml

    def _add_direct_debit(self, root):
        """The creditor identifier (BT-90) and the mandate reference
        (BT-89) EN 16931 asks of an invoice paid by SEPA direct debit,
        which the CII template leaves out."""
        Reception = Pool().get('party.party.reception_direct_debit')
        mandates = [m.instrument.sepa_mandate for m in self.payment_means
            if isinstance(m.instrument, Reception)
            and m.instrument.sepa_mandate]
        creditor = self.company.party.sepa_creditor_identifier_used
        if not mandates or not creditor:
            return
        settlement = root.find(
            f'.//{{{CII_RAM}}}ApplicableHeaderTradeSettlement')
        element = etree.Element(f'{{{CII_RAM}}}CreditorReferenceID')
        element.text = creditor
        settlement.insert(0, element)
        for terms in settlement.findall(
                f'{{{CII_RAM}}}SpecifiedTradePaymentTerms'):
            etree.SubElement(terms, f'{{{CII_RAM}}}DirectDebitMandateID'
                ).text = mandates[0].identification

    @staticmethod
    def _restrict_to_en16931(root):
        """Drop what the full CII 16B template writes but the EN 16931
        subset of Factur-X does not allow: country names, the invoice date
        repeated in the settlement, partial payment amounts, the payment
        reference repeated in the payment means, the debtor's bank and empty
        references; and put the IBAN and BIC in their namespace."""
        def drop(element):
            element.getparent().remove(element)
        for path in [
                f'.//{{{CII_RAM}}}CountryName',
                f'.//{{{CII_RAM}}}ApplicableHeaderTradeSettlement'
                f'/{{{CII_RAM}}}InvoiceDateTime',
                f'.//{{{CII_RAM}}}PartialPaymentAmount',
                f'.//{{{CII_RAM}}}SpecifiedTradeSettlementPaymentMeans'
                f'/{{{CII_RAM}}}ID',
                f'.//{{{CII_RAM}}}PayerSpecifiedDebtorFinancialInstitution',
                ]:
            for element in root.findall(path):
                drop(element)
        # The template writes the IBAN and BIC of the financial accounts
        # in the unqualified data type namespace, not where CII puts them,
        # and the IBAN of a mandate formatted with spaces.
        for tag in ['IBANID', 'BICID']:
            for element in root.findall(f'.//{{{CII_UDT}}}{tag}'):
                element.tag = f'{{{CII_RAM}}}{tag}'
                element.text = element.text.replace(' ', '')
        for tag in ['SpecifiedLegalOrganization',
                'BuyerOrderReferencedDocument']:
            for element in root.findall(f'.//{{{CII_RAM}}}{tag}'):
                if not ''.join(element.itertext()).strip():
                    drop(element)

    @classmethod
    def spsti_send(cls, invoices):
        """Email its Factur-X e-invoice to the member of every posted
        invoice not sent yet whose billing terms (or the configuration)
        ask for e-invoices, at the company's email for invoices (which the
        terms set). The others are left to print. Returns the invoices
        sent."""
        pool = Pool()
        Email = pool.get('ir.email')
        MemberBilling = pool.get('spsti.member.billing')
        ModelData = pool.get('ir.model.data')
        report = ModelData.get_id('spsti_facturation', 'report_facturx')
        invoices = [i for i in invoices
            if i.state in {'posted', 'paid'} and i.type == 'out'
            and i.spsti_member and not i.spsti_sent_at]
        recipients = MemberBilling.recipients(
            [i.spsti_member for i in invoices])
        sent = []
        for invoice in invoices:
            to = recipients.get(invoice.spsti_member.id)
            if not to:
                continue
            Email.send(to=to,
                subject=gettext(
                    'spsti_facturation.msg_invoice_email_subject',
                    invoice=invoice.number),
                body=gettext('spsti_facturation.msg_invoice_email_body',
                    invoice=invoice.number,
                    member=invoice.spsti_member.rec_name),
                record=[cls.__name__, invoice.id], reports=[report])
            sent.append(invoice)
        cls.write(sent, {'spsti_sent_at': dt.datetime.now()})
        return sent


class DraftTaxMemo:
    """The taxes of the sets of lines of draft invoices, computed once per
    set (many invoices have the same lines), with the company and the tax
    records read once."""
    __slots__ = ('records', 'taxes', 'roundings', 'computed')

    def __init__(self):
        self.records = {}
        self.taxes = {}
        self.roundings = {}
        self.computed = {}

    def invoice_taxes(self, company, tax_date, lines):
        """The values of the invoice taxes of lines, (tax ids, unit price,
        quantity) each."""
        key = (company, tax_date, lines)
        if key not in self.taxes:
            pool = Pool()
            Company = pool.get('company.company')
            Tax = pool.get('account.tax')
            self.taxes[key] = _DraftTaxes(self,
                self.record(Company, company), tax_date,
                [([self.record(Tax, t) for t in tax_ids], unit_price,
                        quantity, None)
                    for tax_ids, unit_price, quantity in lines]
                ).invoice_taxes()
        return self.taxes[key]

    def record(self, Model, id_):
        "The instance of Model kept for id_: what it read is kept too."
        key = (Model.__name__, id_)
        if key not in self.records:
            self.records[key] = Model(id_)
        return self.records[key]

    def compute(self, taxes, unit_price, quantity, date):
        "Tax.compute of a line, once per distinct line."
        key = (tuple(taxes), unit_price, quantity, date)
        if key not in self.computed:
            Tax = Pool().get('account.tax')
            self.computed[key] = Tax.compute(
                taxes, unit_price, quantity, date)
        return self.computed[key]

    def tax_rounding(self, company):
        if company.id not in self.roundings:
            Configuration = Pool().get('account.configuration')
            self.roundings[company.id] = Configuration(1).get_multivalue(
                'tax_rounding', company=company.id)
        return self.roundings[company.id]


class _DraftTaxes(TaxableMixin):
    """The tax computation of account (TaxableMixin._get_taxes, as invoices
    use it) on the plain values of a draft invoice."""
    __slots__ = ('memo', 'company', 'currency', 'tax_date', 'taxable_lines')

    def __init__(self, memo, company, tax_date, taxable_lines):
        self.memo = memo
        self.company = company
        self.currency = company.currency
        self.tax_date = tax_date
        self.taxable_lines = taxable_lines

    def _get_tax_context(self):
        return {'company': self.company.id}

    def _get_taxes(self):
        """TaxableMixin._get_taxes of account 8.0, step for step (the same
        grouping of the lines, computation and rounding), but with the
        Tax.compute of each distinct line done once, on the tax records
        the memo keeps: the stock method browses the taxes of every line
        again, which reads their children from the database for each set
        of lines."""
        all_taxes = {}
        with Transaction().set_context(self._get_tax_context()):
            tax_rounding = self.memo.tax_rounding(self.company)
            taxable_lines = defaultdict(list)
            for params in self.taxable_lines:
                taxable_line = _TaxableLine(*params)
                taxable_lines[taxable_line._key].append(taxable_line)
            for grouped_taxable_lines in taxable_lines.values():
                taxes = {}
                for line in grouped_taxable_lines:
                    l_taxes = self.memo.compute(line.taxes, line.unit_price,
                        line.quantity, line.tax_date or self.tax_date)
                    current_taxes = {}
                    for tax in l_taxes:
                        taxline = self._compute_tax_line(**tax)
                        key = taxline._key
                        # As written in account, to compute the same.
                        if taxline not in current_taxes:
                            current_taxes[key] = taxline
                        else:
                            current_taxes[key] += taxline
                    if tax_rounding == 'line':
                        self._round_taxes(current_taxes)
                    for key, taxline in current_taxes.items():
                        if key not in taxes:
                            taxes[key] = taxline
                        else:
                            taxes[key] += taxline
                if tax_rounding == 'document':
                    self._round_taxes(taxes)
                for key, taxline in taxes.items():
                    if key not in all_taxes:
                        all_taxes[key] = taxline
                    else:
                        all_taxes[key] += taxline
        return all_taxes

    def invoice_taxes(self):
        "The values of the invoice taxes, as Invoice._compute_taxes gives."
        taxes = []
        for tax_line in self._get_taxes().values():
            taxes.append({
                    'base': tax_line.base,
                    'amount': tax_line.amount,
                    'tax': tax_line.tax.id,
                    'account': tax_line.account.id,
                    'manual': False,
                    'description': tax_line.tax.description,
                    'legal_notice': tax_line.tax.legal_notice,
                    })
        return taxes


def _insert(Model, vlist):
    """Insert rows of Model as create() does (defaults, create_uid and
    create_date, SQL formats) but without its per-record checks and
    computations; returns the new ids in order."""
    transaction = Transaction()
    database = transaction.database
    cursor = transaction.connection.cursor()
    table = Model.__table__()
    if not vlist:
        return []
    # The columns of the stored fields; those without a value or a default
    # stay NULL, as with create().
    names = sorted(n for n, f in Model._fields.items()
        if not hasattr(f, 'set') and n not in {
            'id', 'create_uid', 'create_date', 'write_uid', 'write_date'})
    defaults, rows = {}, []
    for values in vlist:
        schema = tuple(sorted(values))
        if schema not in defaults:
            defaults[schema] = Model._clean_defaults(Model.default_get(
                    [n for n in names if n not in values],
                    with_rec_name=False))
        rows.append({**defaults[schema], **values})
    # The values shared by all rows are sent once, the others by column.
    constant, varying = {}, []
    for name in names:
        value = rows[0].get(name)
        if all(r.get(name) == value for r in rows):
            if value is not None:
                constant[name] = Model._fields[name].sql_format(value)
        else:
            varying.append(name)
    columns = {name: [Model._fields[name].sql_format(r.get(name))
            for r in rows]
        for name in varying}
    new_ids = database.nextid(
        transaction.connection, Model._table, count=len(rows))
    if new_ids is None:
        # No sequence to draw ids from (SQLite): one row at a time.
        insert_columns = [table.create_uid, table.create_date] + [
            getattr(table, n) for n in [*constant, *varying]]
        ids = []
        for i in range(len(rows)):
            cursor.execute(*table.insert(insert_columns,
                    [[transaction.user, CurrentTimestamp(),
                            *constant.values(),
                            *(columns[n][i] for n in varying)]]))
            ids.append(database.lastid(cursor))
        return ids
    if not isinstance(new_ids, list):
        new_ids = [new_ids]
    # One array per varying column, unnested together (PostgreSQL).
    cursor.execute(*table.insert(
            [table.id, table.create_uid, table.create_date]
            + [getattr(table, n) for n in [*constant, *varying]],
            Select([_Unnest(Cast(Literal(new_ids), 'INTEGER[]')),
                    Literal(transaction.user), CurrentTimestamp(),
                    *(Literal(v) for v in constant.values()),
                    *(_Unnest(Cast(Literal(columns[n]),
                                _sql_type(Model, n) + '[]'))
                        for n in varying)])))
    return new_ids


def _sql_type(Model, name):
    return Model._fields[name].sql_type().base


class _Unnest(Function):
    __slots__ = ()
    _function = 'UNNEST'


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'
    contribution_year = fields.Integer("Contribution Year", readonly=True)
    contribution_heading = fields.Selection(
        HEADINGS, "Heading", readonly=True)
    contribution_category = fields.Many2One(
        'spsti.follow_up.category', "Follow-up Category", readonly=True,
        ondelete='RESTRICT')
    contribution_share = fields.Integer(
        "Shared Between", readonly=True,
        help="Number of employers sharing the contribution of these "
        "multi-employer workers.")
    contribution_instalment = fields.Integer(
        "Instalment", readonly=True,
        help="The instalment of the year's contribution billed up to.")
    contribution_instalments = fields.Integer(
        "Instalments", readonly=True,
        help="The number of instalments the year's contribution is "
        "called in.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.contribution_year, Index.Range()),
                where=t.contribution_year != None))  # noqa: E711


    @classmethod
    def spsti_product_line(cls, company, product, quantity, unit_price,
            **values):
        "A customer invoice line of product with its revenue account, taxes."
        return cls(
            invoice_type='out',
            type='line',
            company=company,
            currency=company.currency,
            product=product,
            unit=product.default_uom,
            quantity=float(quantity),
            unit_price=unit_price,
            account=product.account_revenue_used,
            taxes=product.customer_taxes_used,
            **values)


class FacturX(Report):
    """Facture électronique Factur-X: the invoice PDF with its CII XML
    embedded (PDF/A-3), as members must receive e-invoices."""
    __name__ = 'spsti.invoice.facturx'

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceReport = pool.get('account.invoice', type='report')
        invoice, = Invoice.browse(ids[:1])
        xml = invoice.get_facturx_xml()
        ext, content, direct_print, name = InvoiceReport.execute(
            [invoice.id], {'model': Invoice.__name__, 'id': invoice.id,
                'ids': [invoice.id]})
        if ext != 'pdf':
            action = types.SimpleNamespace(
                report_name=cls.__name__, extension='pdf',
                template_extension=ext)
            ext, content = Report.convert(action, bytes(content))
        pdf = facturx.generate_from_binary(
            bytes(content), xml, flavor='factur-x', level='en16931',
            check_xsd=True, lang='fr-FR')
        return 'pdf', pdf, direct_print, name
