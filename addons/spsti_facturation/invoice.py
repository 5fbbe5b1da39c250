"""Factures de cotisation: the billing-run links of stock invoices, the
headings of their lines, and the Factur-X e-invoice."""
import types

import facturx
from lxml import etree

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.report import Report

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
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('spsti_billing_run')
        return super().copy(invoices, default=default)

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
