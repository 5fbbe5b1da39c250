import datetime as dt
from decimal import Decimal

import facturx
from lxml import etree

from trytond.model.exceptions import (
    AccessError, DomainValidationError, RequiredValidationError)
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.tests.tools import (
    SMTPSink, as_user, untranslated_strings)
from trytond.modules.spsti_facturation.exceptions import (
    BillingRunError, FacturXError, QuoteValidationError, ScaleWarning)
from trytond.modules.spsti_facturation.tests.tools import (
    YEAR, billing_run, member_with_workers, setup_billing,
    validated_declarations, validated_mandate)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.tools import find_path
from trytond.transaction import Transaction

CII_RAM = ('{urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100}')


def posted_call(organisation, workers):
    """Members with the given number of workers, their validated
    declarations and the yearly call posted; returns members and run."""
    Invoice = Pool().get('account.invoice')
    members = [member_with_workers(f"Adhérent {i}", i, n)[0]
        for i, n in enumerate(workers, 1)]
    validated_declarations(members)
    run = billing_run(organisation['scale'])
    with Transaction().set_context(_skip_warnings=True):
        Invoice.post(list(run.invoices))
    return members, run


def lines_of(invoice):
    "(heading, category, share, quantity, unit price) of each line, sorted"
    return sorted(
        (l.contribution_heading or '',
            l.contribution_category.code if l.contribution_category else '',
            l.contribution_share or 0, l.quantity, l.unit_price)
        for l in invoice.lines)


class SpstiFacturationTestCase(ModuleTestCase):
    "Test spsti_facturation module"
    module = 'spsti_facturation'

    @with_transaction()
    def test_scale_national_range(self):
        "A scale outside 80-120 % of the national cost needs a derogation"
        pool = Pool()
        Scale = pool.get('spsti.contribution.scale')
        organisation = setup_billing()
        scale = organisation['scale']
        self.assertEqual(scale.national_cost, Decimal('116.00'))
        self.assertEqual(scale.national_ratio, Decimal('1.0000'))
        with Transaction().set_context(
                company=organisation['company'].id):
            # 2025: 115.50 € -> 92.40 € to 138.60 €
            scale_2025, = Scale.create([{
                        'year': 2025,
                        'amount_per_worker': Decimal('138.61'),
                        'approval_date': dt.date(2024, 6, 1),
                        }])
            with self.assertRaisesRegex(ScaleWarning, '92.40 – 138.60'):
                Scale.approve([scale_2025])
            Scale.write([scale_2025], {'amount_per_worker': Decimal('92.39')})
            with self.assertRaises(ScaleWarning):
                Scale.approve([scale_2025])
            for amount in ['92.40', '138.60']:
                Scale.write([scale_2025], {
                        'amount_per_worker': Decimal(amount)})
                Scale.approve([scale_2025])
                self.assertEqual(scale_2025.state, 'approved')
                Scale.draft([scale_2025])
            # A derogation: the staff confirms the warning.
            Scale.write([scale_2025], {'amount_per_worker': Decimal('150')})
            with Transaction().set_context(_skip_warnings=True):
                Scale.approve([scale_2025])
            # No national cost published: a warning too.
            scale_2030, = Scale.create([{
                        'year': 2030,
                        'amount_per_worker': Decimal('120'),
                        'approval_date': dt.date(2029, 6, 1),
                        }])
            with self.assertRaisesRegex(ScaleWarning, '2030'):
                Scale.approve([scale_2030])

    @with_transaction()
    def test_scale_category_amount(self):
        "A SIR surcharge replaces the amount per worker for SIR workers"
        pool = Pool()
        Scale = pool.get('spsti.contribution.scale')
        Category = pool.get('spsti.follow_up.category')
        organisation = setup_billing()
        scale = organisation['scale']
        sir, = Category.search([('code', '=', 'SIR')])
        sig, = Category.search([('code', '=', 'SIG')])
        Scale.draft([scale])
        Scale.write([scale], {'category_amounts': [('create', [{
                            'category': sir.id,
                            'amount': Decimal('140.00')}])]})
        self.assertEqual(scale.amount_for(sir.id), Decimal('140.00'))
        self.assertEqual(scale.amount_for(sig.id), Decimal('116.00'))
        self.assertEqual(scale.amount_for(None), Decimal('116.00'))

    @with_transaction()
    def test_yearly_call(self):
        """One invoice per member with readable headings; pro rata for a
        member joining in the year, membership fee and minimum"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        organisation = setup_billing(minimum='150.00', fee='30.00')
        scale = organisation['scale']
        with Transaction().set_context(company=organisation['company'].id):
            old, _, _ = member_with_workers(
                "Garage Dupont", 1, 3, joined=dt.date(2010, 1, 1))
            # Joined on 10 April: 9 months of 12 billed.
            new, _, _ = member_with_workers(
                "Boulangerie Martin", 2, 2, joined=dt.date(YEAR, 4, 10))
            small, _, _ = member_with_workers(
                "Cabinet Leroy", 3, 1, joined=dt.date(2015, 1, 1))
            # No validated declaration: not billed.
            member_with_workers("Fleuriste Petit", 4, 2)
            validated_declarations([old, new, small])
            run = billing_run(scale)

            self.assertEqual(run.state, 'done')
            invoices = {i.spsti_member: i for i in run.invoices}
            self.assertEqual(set(invoices), {old, new, small})
            self.assertEqual(lines_of(invoices[old]), [
                    ('contribution', 'SIG', 1, 3.0, Decimal('116.00'))])
            self.assertEqual(invoices[old].untaxed_amount, Decimal('348.00'))
            # 116 x 9/12 = 87.00; minimum 150 x 9/12 = 112.50 < 174.
            self.assertEqual(lines_of(invoices[new]), [
                    ('contribution', 'SIG', 1, 2.0, Decimal('87.00')),
                    ('membership_fee', '', 0, 1.0, Decimal('30.00'))])
            contribution = next(l for l in invoices[new].lines
                if l.contribution_heading == 'contribution')
            self.assertIn('9/12', contribution.description)
            self.assertIn('SIG', contribution.description)
            # One worker: 116 raised to the 150 minimum.
            self.assertEqual(lines_of(invoices[small]), [
                    ('contribution', 'SIG', 1, 1.0, Decimal('116.00')),
                    ('minimum', '', 0, 1.0, Decimal('34.00'))])
            self.assertEqual(invoices[small].total_amount, Decimal('150.00'))
            for invoice in run.invoices:
                self.assertEqual(invoice.total_amount, sum(
                        (l.amount for l in invoice.lines), Decimal(0)))
                self.assertEqual(invoice.description,
                    f"Contributions {YEAR}, call of January")
            self.assertEqual(run.total_amount, Decimal('348.00')
                + Decimal('204.00') + Decimal('150.00'))
            # Written set-wise, they pass every check of create() and
            # carry the taxes account computes (the exempt contribution
            # tax).
            Invoice._validate(list(run.invoices))
            pool.get('account.invoice.line')._validate(
                [l for i in run.invoices for l in i.lines])
            Invoice.update_taxes(list(run.invoices), exception=True)
            self.assertTrue(all(i.taxes for i in run.invoices))

            # Posted invoices are numbered and show on the member.
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post(list(run.invoices))
            self.assertTrue(all(i.number for i in run.invoices))
            # Transfers quote the ISO 11649 reference of the invoice.
            self.assertTrue(all(i.customer_payment_reference.startswith('RF')
                    for i in run.invoices))
            self.assertEqual(old.receivable, Decimal('348.00'))
            self.assertEqual(old.open_invoices, (invoices[old],))

    @with_transaction()
    def test_invoice_header_values(self):
        """The header values of many invoices at once equal those of
        spsti_customer_invoice, for parties with and without a payment
        term or receivable account of their own"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        PaymentTerm = pool.get('account.invoice.payment_term')
        Address = pool.get('party.address')
        organisation = setup_billing()
        company = organisation['company']
        with Transaction().set_context(company=company.id):
            members = [member_with_workers(name, seed, 1)[0]
                for seed, name in enumerate(
                    ["Garage Dupont", "Boulangerie Martin", "Cabinet Leroy"])]
            parties = [m.party for m in members]
            term, = PaymentTerm.create([{'name': "A réception",
                        'lines': [('create', [{'type': 'remainder'}])]}])
            parties[1].customer_payment_term = term
            parties[1].save()
            # A second address, for invoices, on the last party.
            Address.create([{'party': parties[2].id, 'invoice': True,
                        'street': "1 rue de la Paix", 'city': "Lyon"}])
            values = Invoice.spsti_customer_invoice_values(
                company, [p.id for p in parties], description="Appel")
            for party in parties:
                expected = Invoice.spsti_customer_invoice(
                    company, party, description="Appel")._save_values()
                self.assertEqual(values[party.id], expected)
            self.assertEqual(values[parties[1].id]['payment_term'], term.id)
            self.assertTrue(
                Address(values[parties[2].id]['invoice_address']).invoice)

    @with_transaction()
    def test_multi_employer_shared(self):
        "A worker followed once for two employers: each pays half"
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        organisation = setup_billing()
        with Transaction().set_context(company=organisation['company'].id):
            first, _, shared = member_with_workers("Hôtel du Lac", 1, 2)
            second, establishment, _ = member_with_workers(
                "Restaurant du Port", 2, 1)
            Assignment.create([{
                        'employee': shared[0].id,
                        'member': second.id,
                        'establishment': establishment.id,
                        'job': shared[0].assignments[0].job.id,
                        'start_date': dt.date(YEAR - 1, 6, 1),
                        }])
            validated_declarations([first, second])
            run = billing_run(organisation['scale'])
            invoices = {i.spsti_member: i for i in run.invoices}
            self.assertEqual(lines_of(invoices[first]), [
                    ('contribution', 'SIG', 1, 1.0, Decimal('116.00')),
                    ('contribution', 'SIG', 2, 1.0, Decimal('58.00'))])
            self.assertEqual(lines_of(invoices[second]), [
                    ('contribution', 'SIG', 1, 1.0, Decimal('116.00')),
                    ('contribution', 'SIG', 2, 1.0, Decimal('58.00'))])
            shared_line = next(l for l in invoices[first].lines
                if l.contribution_share == 2)
            self.assertIn('2', shared_line.description)

    @with_transaction()
    def test_rerun_after_interruption(self):
        "A run stopped mid-way resumes and never bills a member twice"
        pool = Pool()
        Run = pool.get('spsti.billing.run')
        Invoice = pool.get('account.invoice')
        Queue = pool.get('ir.queue')
        organisation = setup_billing()
        with Transaction().set_context(company=organisation['company'].id):
            members = [member_with_workers(f"Adhérent {i}", i, 1)[0]
                for i in range(1, 6)]
            validated_declarations(members)
            # The stop: only two members billed, the run stays open.
            run = billing_run(organisation['scale'], limit=2)
            self.assertEqual(run.state, 'processing')
            self.assertEqual(len(run.invoices), 2)
            # The scheduled task queues the open run again; the worker
            # processes it (here without committing the test transaction).
            Run.resume_all()
            task, = Queue.browse(Transaction().tasks)
            self.assertEqual(task.data['method'], 'bill_members')
            self.assertEqual(list(task.data['instances']), [run.id])
            Run.process([run])
            run = Run(run.id)
            self.assertEqual(run.state, 'done')
            self.assertEqual(
                sorted(i.spsti_member.id for i in run.invoices),
                sorted(m.id for m in members))
            # Processing again creates nothing.
            Run.write([run], {'state': 'processing'})
            Run.process([run])
            self.assertEqual(Invoice.search_count(
                    [('spsti_billing_run', '=', run.id)]), 5)
            # A second yearly call of the same year is refused.
            with self.assertRaises(BillingRunError):
                billing_run(organisation['scale'], process=False)

    @with_transaction()
    def test_regularisation(self):
        """Entries and exits during the year give an invoice or a credit
        note for the difference only; a second regularisation is empty"""
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Line = pool.get('spsti.declaration.line')
        Invoice = pool.get('account.invoice')
        organisation = setup_billing()
        scale = organisation['scale']
        with Transaction().set_context(company=organisation['company'].id):
            growing, establishment, _ = member_with_workers(
                "Menuiserie Blanc", 1, 2)
            shrinking, _, _ = member_with_workers("Imprimerie Roux", 2, 3)
            stable, _, _ = member_with_workers("Pharmacie Noir", 3, 1)
            declarations = validated_declarations(
                [growing, shrinking, stable])
            annual = billing_run(scale)
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post(list(annual.invoices))

            # Amended declarations: 3 hires, 1 exit.
            by_member = {d.member: d for d in declarations}
            grown, = Declaration.amend([by_member[growing]])
            newcomer = member_with_workers("Menuiserie Blanc bis", 9, 3)[2]
            Line.create([{
                        'declaration': grown.id,
                        'employee': e.id,
                        'assignment': e.assignments[0].id,
                        'establishment': e.assignments[0].establishment.id,
                        'job': e.assignments[0].job.id,
                        'category': e.assignments[0].category.id,
                        } for e in newcomer])
            shrunk, = Declaration.amend([by_member[shrinking]])
            Line.write([shrunk.lines[0]], {'included': False})
            with Transaction().set_context(_skip_warnings=True):
                Declaration.validate_declaration([grown, shrunk])

            regularisation = billing_run(scale, kind='regularisation')
            invoices = {i.spsti_member: i for i in regularisation.invoices}
            self.assertEqual(set(invoices), {growing, shrinking})
            self.assertEqual(lines_of(invoices[growing]), [
                    ('contribution', 'SIG', 1, 3.0, Decimal('116.00'))])
            self.assertEqual(
                invoices[growing].total_amount, Decimal('348.00'))
            self.assertEqual(lines_of(invoices[shrinking]), [
                    ('contribution', 'SIG', 1, -1.0, Decimal('116.00'))])
            self.assertEqual(
                invoices[shrinking].total_amount, Decimal('-116.00'))
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post(list(regularisation.invoices))
            self.assertEqual(invoices[shrinking].sequence_type, 'credit_note')
            self.assertTrue(all(
                    l.description.startswith("Regularisation")
                    for l in invoices[growing].lines))

            again = billing_run(scale, kind='regularisation')
            self.assertEqual(again.state, 'done')
            self.assertEqual(len(again.invoices), 0)

    @with_transaction()
    def test_instalments(self):
        """Members called by instalments pay the yearly contribution
        exactly, the last instalment taking the rounding remainder; a call
        bills each instalment once and adjusts the earlier ones to the
        current declaration"""
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Line = pool.get('spsti.declaration.line')
        MemberBilling = pool.get('spsti.member.billing')
        Configuration = pool.get('spsti.billing.configuration')
        Run = pool.get('spsti.billing.run')
        organisation = setup_billing(minimum='150.00')
        scale = organisation['scale']
        with Transaction().set_context(company=organisation['company'].id):
            quarterly, _, _ = member_with_workers("Scierie Morel", 1, 3)
            yearly, _, _ = member_with_workers("Cave Roche", 2, 2)
            # Joined on 10 May: 8/12 of 116 = 77.33 and of the 150
            # minimum 100.00, called in the quarters left (2 to 4).
            late, _, _ = member_with_workers(
                "Atelier Faure", 3, 1, joined=dt.date(YEAR, 5, 10))
            MemberBilling.create([{
                        'member': m.id,
                        'frequency': 'quarterly',
                        } for m in [quarterly, late]])
            declarations = validated_declarations([quarterly, yearly, late])

            def call(period):
                run = billing_run(scale, period=period)
                return {i.spsti_member: lines_of(i) for i in run.invoices}

            self.assertEqual(call('01'), {
                    quarterly: [
                        ('contribution', 'SIG', 1, 3.0, Decimal('29.00'))],
                    yearly: [
                        ('contribution', 'SIG', 1, 2.0, Decimal('116.00'))],
                    })
            # The year's first call fixed the frequency of the year.
            MemberBilling.write(list(quarterly.billing_terms), {
                    'frequency': 'half_yearly'})
            self.assertEqual(call('04'), {
                    quarterly: [
                        ('contribution', 'SIG', 1, 3.0, Decimal('29.00'))],
                    late: [
                        ('contribution', 'SIG', 1, 1.0, Decimal('25.78')),
                        ('minimum', '', 0, 1.0, Decimal('7.56'))],
                    })
            with self.assertRaises(BillingRunError):
                billing_run(scale, period='04', process=False)

            # A hire: July bills the third quarter of four workers and
            # the first two quarters of the newcomer.
            grown, = Declaration.amend(
                [d for d in declarations if d.member == quarterly])
            newcomer, = member_with_workers("Scierie Morel bis", 9, 1)[2]
            assignment = newcomer.assignments[0]
            Line.create([{
                        'declaration': grown.id,
                        'employee': newcomer.id,
                        'assignment': assignment.id,
                        'establishment': assignment.establishment.id,
                        'job': assignment.job.id,
                        'category': assignment.category.id,
                        }])
            with Transaction().set_context(_skip_warnings=True):
                Declaration.validate_declaration([grown])
            july = {i.spsti_member: i
                for i in billing_run(scale, period='07').invoices}
            self.assertEqual(lines_of(july[late]), [
                    ('contribution', 'SIG', 1, 1.0, Decimal('25.78')),
                    ('minimum', '', 0, 1.0, Decimal('7.56'))])
            invoice = july[quarterly]
            self.assertEqual(lines_of(invoice), [
                    ('contribution', 'SIG', 1, 1.0, Decimal('58.00')),
                    ('contribution', 'SIG', 1, 4.0, Decimal('29.00'))])
            descriptions = sorted(l.description for l in invoice.lines)
            self.assertIn('instalment 3/4', descriptions[0])
            self.assertIn('Regularisation', descriptions[1])
            self.assertIn('instalments 1 to 2/4', descriptions[1])

            # The scheduled task creates the call of October, the fourth
            # quarter, once; no instalment starts in November.
            config = Configuration(1)
            config.automatic_calls = True
            config.save()
            october, = Run.create_calls(dt.date(YEAR, 10, 1))
            self.assertEqual(Run.create_calls(dt.date(YEAR, 10, 2)), [])
            self.assertEqual(Run.create_calls(dt.date(YEAR, 11, 1)), [])
            Run.process([october])
            self.assertEqual({i.spsti_member: lines_of(i)
                    for i in Run(october.id).invoices}, {
                    quarterly: [
                        ('contribution', 'SIG', 1, 4.0, Decimal('29.00'))],
                    late: [
                        ('contribution', 'SIG', 1, 1.0, Decimal('25.77')),
                        ('minimum', '', 0, 1.0, Decimal('7.55'))],
                    })
            # The instalments add up to the yearly amounts to the cent:
            # the regularisation of the year has nothing left to bill.
            for member, total in [(quarterly, Decimal('464.00')),
                    (yearly, Decimal('232.00')), (late, Decimal('100.00'))]:
                self.assertEqual(sum((i.untaxed_amount
                            for i in member.invoices), Decimal(0)), total)
            self.assertEqual(
                billing_run(scale, kind='regularisation').invoices, ())

    @with_transaction()
    def test_quote_to_invoice(self):
        """Complementary services are for members; a non-member client
        may order specific services; an accepted quote is invoiced"""
        pool = Pool()
        Quote = pool.get('spsti.quote')
        Service = pool.get('spsti.service')
        Party = pool.get('party.party')
        Demo = pool.get('spsti.demo')
        organisation = setup_billing()
        company = organisation['company']
        with Transaction().set_context(company=company.id):
            Demo.generate_services(None)
            duerp, = Service.search([('kind', '=', 'complementary')])
            sst, = Service.search([('name', 'like', '%SST%')])
            member, _, _ = member_with_workers("Transports Girard", 1, 60)
            self.assertEqual(duerp.unit_price(60), Decimal('720.00'))
            self.assertEqual(duerp.unit_price(10), Decimal('480.00'))
            client, = Party.create([{'name': "Association Sportive",
                        'addresses': [('create', [{'city': "Blois"}])]}])
            with self.assertRaisesRegex(QuoteValidationError, 'DUERP'):
                Quote.create([{
                            'party': client.id,
                            'lines': [('create', [{
                                            'service': duerp.id,
                                            'unit_price': Decimal('480'),
                                            }])],
                            }])
            quote, = Quote.create([{
                        'party': client.id,
                        'lines': [('create', [{
                                        'service': sst.id,
                                        'quantity': Decimal(4),
                                        'unit_price': Decimal('250.00'),
                                        }])],
                        }])
            member_quote = Quote(party=member.party)
            member_quote.on_change_party()
            self.assertEqual(member_quote.member, member)
            Quote.send([quote])
            self.assertTrue(quote.number.startswith('DEV-'))
            Quote.accept([quote])
            Quote.create_invoice([quote])
            self.assertEqual(quote.state, 'invoiced')
            self.assertEqual(quote.invoice.party, client)
            # Specific services bear VAT at the normal rate.
            self.assertEqual(quote.invoice.untaxed_amount, Decimal('1000.00'))
            self.assertEqual(quote.invoice.total_amount, Decimal('1200.00'))

    @with_transaction()
    def test_account_fields_hidden_from_planning(self):
        "Planning staff do not read a member's account situation"
        pool = Pool()
        Member = pool.get('spsti.member')
        organisation = setup_billing()
        with Transaction().set_context(company=organisation['company'].id):
            member, _, _ = member_with_workers("Garage Dupont", 1, 1)
            with as_user(organisation['users']['planification']):
                with self.assertRaises(AccessError):
                    Member.read([member.id], ['receivable'])
                Member.read([member.id], ['name'])
            with as_user(organisation['users']['facturation']):
                Member.read([member.id], ['receivable', 'open_invoices'])

    @with_transaction()
    def test_sepa_direct_debit(self):
        """Members paying by direct debit under a validated mandate are
        debited, not those paying otherwise: one payment per unpaid term,
        never twice, in a pain.008 file valid against its schema"""
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Run = pool.get('spsti.billing.run')
        Mandate = pool.get('account.payment.sepa.mandate')
        MemberBilling = pool.get('spsti.member.billing')
        Reception = pool.get('party.party.reception_direct_debit')
        PaymentGroup = pool.get('account.payment.group')
        ProcessPayment = pool.get('account.payment.process', type='wizard')
        organisation = setup_billing()
        company = organisation['company']
        with Transaction().set_context(company=company.id):
            members, run = posted_call(organisation, [1, 2, 3, 4, 5, 6])
            ctx = DemoContext(0, 0, seed=5)
            ctx.company = company
            Demo.generate_sepa(ctx)
            mandated = {m.party for m in Mandate.search([])}
            self.assertTrue(0 < len(mandated) < len(members))
            Demo.generate_billing_terms(ctx)
            # The terms set account_payment's reception direct debits.
            self.assertEqual(
                {r.party for r in Reception.search([])}, mandated)
            # Members who signed a mandate but pay by transfer now are not
            # debited.
            terms = MemberBilling.search(
                [('payment_method', '=', 'direct_debit')])
            MemberBilling.write(terms, {'payment_method': 'transfer'})
            self.assertEqual(Run.create_direct_debits([run]), [])
            MemberBilling.write(terms, {'payment_method': 'direct_debit'})

            payments = Run.create_direct_debits([run])
            self.assertEqual({p.party for p in payments}, mandated)
            self.assertEqual(
                sum(p.amount for p in payments),
                sum(i.total_amount for i in run.invoices
                    if i.party in mandated))
            self.assertTrue(all(p.state == 'submitted' for p in payments))
            self.assertEqual(Run.create_direct_debits([run]), [])

            # Direct debit needs a validated mandate of the member.
            newcomers = [member_with_workers(f"Adhérent {i}", i, 0)[0]
                for i in [7, 8]]
            with self.assertRaisesRegex(RequiredValidationError,
                    'SEPA Mandate.*' + newcomers[0].rec_name):
                MemberBilling.create([{
                            'member': newcomers[0].id,
                            'payment_method': 'direct_debit',
                            }])
            with self.assertRaises(DomainValidationError):
                MemberBilling.create([{
                            'member': newcomers[1].id,
                            'payment_method': 'direct_debit',
                            'sepa_mandate': Mandate.search([])[0].id,
                            }])

            session_id, _, _ = ProcessPayment.create()
            process = ProcessPayment(session_id)
            with Transaction().set_context(
                    active_model='account.payment',
                    active_ids=[p.id for p in payments]):
                _, data = process.do_process(None)
            group, = PaymentGroup.browse(data['res_id'])
            message, = group.sepa_messages
            schema = etree.XMLSchema(etree.parse(find_path(
                        'account_payment_sepa/tests/pain.008.001.02.xsd',
                        subdir='modules')))
            schema.assertValid(etree.fromstring(bytes(message.message)))

            # A member going back to transfers loses its direct debit.
            transfer = next(t for t in MemberBilling.search([])
                if t.payment_method == 'direct_debit')
            MemberBilling.write([transfer], {'payment_method': 'transfer'})
            mandated.remove(transfer.member.party)
            self.assertEqual(
                {r.party for r in Reception.search([])}, mandated)

    @with_transaction()
    def test_facturx(self):
        """A posted invoice gives its Factur-X EN 16931 XML, valid against
        the schema, with the member's direct debit; the members who
        receive e-invoices are emailed, once, the PDF that embeds it"""
        # The end of the test's transaction connects to the SMTP server the
        # e-invoices were queued for (rolled back, they are not sent).
        SMTPSink().serve(self)
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Address = pool.get('party.address')
        Demo = pool.get('spsti.demo')
        MemberBilling = pool.get('spsti.member.billing')
        Run = pool.get('spsti.billing.run')
        Email = pool.get('ir.email')
        Attachment = pool.get('ir.attachment')
        organisation = setup_billing()
        company = organisation['company']
        with Transaction().set_context(company=company.id):
            # The service's creditor identifier and SEPA journal.
            ctx = DemoContext(0, 0, seed=5)
            ctx.company = company
            Demo.generate_sepa(ctx)
            member = member_with_workers("Garage Dupont", 1, 3)[0]
            paper = member_with_workers("Garage Martin", 2, 1)[0]
            # EN 16931 needs the buyer's country.
            Address.write(list(member.party.addresses), {
                    'country': company.party.addresses[0].country.id})
            MemberBilling.create([{
                        'member': member.id,
                        'payment_method': 'direct_debit',
                        'sepa_mandate': validated_mandate(member.party).id,
                        'delivery': 'email',
                        'invoice_email': 'compta@garage-dupont.fr',
                        }, {
                        'member': paper.id,
                        'delivery': 'paper',
                        }])
            validated_declarations([member, paper])
            run = billing_run(organisation['scale'])
            invoice, = [i for i in run.invoices if i.spsti_member == member]
            with self.assertRaises(FacturXError):
                invoice.get_facturx_xml()
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post(list(run.invoices))

            xml = invoice.get_facturx_xml()
            root = etree.fromstring(xml)
            self.assertEqual(
                root.findtext(f'.//{CII_RAM}ID'), 'urn:cen.eu:en16931:2017')
            self.assertEqual(
                root.findtext(f'.//{CII_RAM}GrandTotalAmount'), '348.00')
            # Paid by SEPA direct debit (UNTDID 4461: 59) from the account
            # of the mandate.
            means = root.find(
                f'.//{CII_RAM}SpecifiedTradeSettlementPaymentMeans')
            self.assertEqual(means.findtext(f'{CII_RAM}TypeCode'), '59')
            self.assertEqual(means.findtext(
                    f'.//{CII_RAM}PayerPartyDebtorFinancialAccount'
                    f'/{CII_RAM}IBANID'), 'FR7630006000011234567890189')
            self.assertEqual(root.findtext(
                    f'.//{CII_RAM}DirectDebitMandateID'),
                f'RUM-{member.party.id}')
            self.assertEqual(
                root.findtext(f'.//{CII_RAM}CreditorReferenceID'),
                'FR72ZZZ123456')

            self.assertEqual(Run.deliver_invoices([run]), [invoice])
            email, = Email.search([])
            self.assertIn('compta@garage-dupont.fr', email.recipients)
            self.assertIn(invoice.number, email.subject)
            attachment, = Attachment.search(
                [('resource', '=', str(email))])
            filename, embedded = facturx.get_xml_from_pdf(
                bytes(attachment.data))
            self.assertEqual(filename, 'factur-x.xml')
            self.assertEqual(embedded, xml)
            self.assertTrue(invoice.spsti_sent_at)
            # Sent once; the paper invoice is left to print.
            self.assertEqual(Run.deliver_invoices([run]), [])

    @with_transaction()
    def test_dunning_strike_off(self):
        """An unpaid contribution climbs the dunning levels (a reminder by
        email to the member's email for invoices, formal notices by
        letter) up to the strike-off proposal"""
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Dunning = pool.get('account.dunning')
        Member = pool.get('spsti.member')
        MemberBilling = pool.get('spsti.member.billing')
        ProcessDunning = pool.get('account.dunning.process', type='wizard')
        Letter = pool.get('account.dunning.letter', type='report')
        Email = pool.get('ir.email')
        ModelData = pool.get('ir.model.data')
        organisation = setup_billing()
        with Transaction().set_context(
                company=organisation['company'].id):
            Demo.generate_dunning(None)
            members, run = posted_call(organisation, [2, 1])
            MemberBilling.create([{
                        'member': members[0].id,
                        'invoice_email': 'compta@adherent-1.fr',
                        }])
            # Due on 3 March (30 days after the 1 February invoices).
            expected = [(dt.date(YEAR, 3, 10), []),
                (dt.date(YEAR, 3, 20), [1, 1]),
                (dt.date(YEAR, 4, 20), [2, 2]),
                (dt.date(YEAR, 6, 5), [3, 3])]
            for date, levels in expected:
                Dunning.generate_dunnings(date)
                dunnings = Dunning.search([], order=[('id', 'ASC')])
                # What the staff's "Process Dunning" does.
                with Transaction().set_context(
                        active_model=Dunning.__name__,
                        active_ids=[d.id for d in dunnings]):
                    session_id, _, _ = ProcessDunning.create()
                    process = ProcessDunning(session_id)
                    process.transition_process()
                    process.transition_send_email()
                self.assertEqual(
                    [d.level.sequence for d in dunnings], levels, msg=date)
                self.assertEqual(
                    Member.search([('strike_off_proposed', '=', True)]),
                    members if levels == [3, 3] else [])
                if levels == [1, 1]:
                    # The member without an email gets no reminder email.
                    email, = Email.search([])
                    self.assertIn('compta@adherent-1.fr', email.recipients)
                elif levels == [2, 2]:
                    ext, letter, _, _ = Letter.execute(
                        [d.id for d in dunnings], {
                            'action_id': ModelData.get_id(
                                'account_dunning_letter', 'report_letter'),
                            })
                    self.assertEqual(ext, 'odt')
                    self.assertTrue(letter)

    @with_transaction()
    def test_french_translation_complete(self):
        "Every string of the module has its French translation"
        self.assertEqual(untranslated_strings('spsti_facturation'), [])


del ModuleTestCase
