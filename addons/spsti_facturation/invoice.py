"""Factures de cotisation: the billing-run links of stock invoices, the
headings of their lines, and the Factur-X e-invoice."""
import types

import facturx
from lxml import etree
from sql import Column, Literal, Null, Values
from sql.functions import CurrentTimestamp
from sql.operators import Equal

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Exclude, Index, fields
from trytond.modules.account.tax import TaxableMixin
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
# Factur-X profile EN 16931 (the European semantic standard).
FACTURX_GUIDELINE = 'urn:cen.eu:en16931:2017'


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'
    spsti_billing_run = fields.Many2One(
        'spsti.billing.run', "Billing Run", readonly=True,
        ondelete='RESTRICT')
    spsti_member = fields.Many2One(
        'spsti.member', "Member", readonly=True, ondelete='RESTRICT')

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
        own, addresses = set(), {}
        # Read as values: instances of long lists cost more than the
        # queries.
        for sub in grouped_slice(party_ids, MAX_QUERY_PARAMS):
            sub = list(sub)
            for Model, field in [
                    (PartyAccount, 'account_receivable'),
                    (PartyPaymentTerm, 'customer_payment_term')]:
                own.update(r['party'] for r in Model.search_read([
                            ('party', 'in', sub),
                            (field, '!=', None),
                            ], fields_names=['party']))
            # party.address_get(type='invoice'): the first invoice address
            # in the order of the addresses, else the first address.
            for address in Address.search_read([('party', 'in', sub)],
                    fields_names=['party', 'invoice']):
                first, invoice = addresses.get(address['party'], (None, None))
                addresses[address['party']] = (first or address['id'],
                    invoice or (address['id'] if address['invoice'] else None))
        result, shared = {}, None
        for party_id in party_ids:
            if party_id in own or shared is None:
                invoice = cls.spsti_customer_invoice(
                    company, Party(party_id), **values)
                result[party_id] = invoice._save_values()
                if party_id not in own:
                    shared = result[party_id]
            else:
                first, invoice = addresses.get(party_id, (None, None))
                result[party_id] = dict(shared,
                    party=party_id, invoice_address=invoice or first)
        return result

    @classmethod
    def spsti_create_drafts(cls, vlist, tax_memo=None):
        """Create draft customer invoices from values with their 'lines'
        (values with 'taxes' as ids) and their computed taxes, set-wise:
        one INSERT per table for the lot. For the invoices a billing run
        builds from its own checked data: what create() validates holds by
        construction, and posting checks the taxes again. tax_memo keeps
        the taxes computed for a set of lines between calls. Returns the
        ids.
        """
        pool = Pool()
        Line = pool.get('account.invoice.line')
        LineTax = pool.get('account.invoice.line-account.tax')
        InvoiceTax = pool.get('account.invoice.tax')
        Company = pool.get('company.company')
        Tax = pool.get('account.tax')
        Date = pool.get('ir.date')
        today = Date.today()
        invoice_ids = _insert(cls,
            [{k: v for k, v in i.items() if k != 'lines'} for i in vlist])
        lines, line_taxes, invoice_taxes = [], [], []
        tax_memo = tax_memo if tax_memo is not None else {}
        for invoice_id, values in zip(invoice_ids, vlist):
            lines.extend(dict({k: v for k, v in l.items() if k != 'taxes'},
                    invoice=invoice_id) for l in values['lines'])
            # Invoice.tax_date
            tax_date = (values.get('accounting_date')
                or values.get('invoice_date') or today)
            # Many invoices have the same lines: compute their taxes once.
            key = (values['company'], tax_date,
                tuple((tuple(l['taxes']), l['unit_price'], l['quantity'])
                    for l in values['lines'] if l.get('type') == 'line'))
            if key not in tax_memo:
                tax_memo[key] = _DraftTaxes(Company(values['company']),
                    tax_date,
                    [(Tax.browse(t), p, q, None) for t, p, q in key[2]]
                    ).invoice_taxes()
            invoice_taxes.extend(
                dict(t, invoice=invoice_id) for t in tax_memo[key])
        line_ids = _insert(Line, lines)
        for line_id, line in zip(line_ids,
                (l for i in vlist for l in i['lines'])):
            line_taxes.extend(
                {'line': line_id, 'tax': t} for t in line.get('taxes', []))
        _insert(LineTax, line_taxes)
        _insert(InvoiceTax, invoice_taxes)
        return invoice_ids

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('spsti_billing_run')
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
        context = root.find(f'{{{CII_RSM}}}ExchangedDocumentContext')
        guideline = etree.SubElement(
            context, f'{{{CII_RAM}}}GuidelineSpecifiedDocumentContextParameter')
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


    @staticmethod
    def _restrict_to_en16931(root):
        """Drop what the full CII 16B template writes but the EN 16931
        subset of Factur-X does not allow: country names, the invoice date
        repeated in the settlement, partial payment amounts and empty
        references."""
        def drop(element):
            element.getparent().remove(element)
        for path in [
                f'.//{{{CII_RAM}}}CountryName',
                f'.//{{{CII_RAM}}}ApplicableHeaderTradeSettlement'
                f'/{{{CII_RAM}}}InvoiceDateTime',
                f'.//{{{CII_RAM}}}PartialPaymentAmount',
                ]:
            for element in root.findall(path):
                drop(element)
        for tag in ['SpecifiedLegalOrganization',
                'BuyerOrderReferencedDocument']:
            for element in root.findall(f'.//{{{CII_RAM}}}{tag}'):
                if not ''.join(element.itertext()).strip():
                    drop(element)


class _DraftTaxes(TaxableMixin):
    """The tax computation of account (TaxableMixin._get_taxes, as invoices
    use it) on the plain values of a draft invoice."""
    __slots__ = ('company', 'currency', 'tax_date', 'taxable_lines')

    def __init__(self, company, tax_date, taxable_lines):
        self.company = company
        self.currency = company.currency
        self.tax_date = tax_date
        self.taxable_lines = taxable_lines

    def _get_tax_context(self):
        return {'company': self.company.id}

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
        values = {**defaults[schema], **values}
        rows.append([Model._fields[n].sql_format(values.get(n))
                for n in names])
    if not rows:
        return []
    new_ids = database.nextid(
        transaction.connection, Model._table, count=len(rows))
    if new_ids is None:
        # No sequence to draw ids from (SQLite): one row at a time.
        columns = [table.create_uid, table.create_date] + [
            getattr(table, n) for n in names]
        ids = []
        for row in rows:
            cursor.execute(*table.insert(columns,
                    [[transaction.user, CurrentTimestamp()] + row]))
            ids.append(database.lastid(cursor))
        return ids
    if not isinstance(new_ids, list):
        new_ids = [new_ids]
    # The values shared by all rows are sent once: only the others go
    # in the VALUES list the rows are selected from.
    constant = [i for i, n in enumerate(names)
        if all(r[i] == rows[0][i] for r in rows)]
    varying = [i for i in range(len(names)) if i not in constant]
    columns = [table.create_uid, table.create_date, table.id]
    columns += [getattr(table, names[i]) for i in constant
        if rows[0][i] is not None]
    columns += [getattr(table, names[i]) for i in varying]
    width = len(varying) + 1
    for chunk in grouped_slice(
            list(zip(new_ids, rows)), MAX_QUERY_PARAMS // width):
        values = Values([[id_] + [row[i] for i in varying]
                for id_, row in chunk])
        # VALUES names its columns column1, column2...
        cursor.execute(*table.insert(columns, values.select(
                    Literal(transaction.user), CurrentTimestamp(),
                    Column(values, 'column1'),
                    *[Literal(rows[0][i]) for i in constant
                        if rows[0][i] is not None],
                    *[Column(values, f'column{i}')
                        for i in range(2, width + 1)])))
    return new_ids


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
