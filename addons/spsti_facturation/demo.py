"""Demo billing: French chart of accounts, the year's scale, declarations,
the yearly call, SEPA direct debit, dunning and the service catalogue."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Stock groups the demo accountant needs besides the SPSTI billing group.
ACCOUNTANT_GROUPS = [
    ('account', 'group_account'),
    ('account', 'group_account_admin'),
    ('account_payment', 'group_payment'),
    ('account_payment', 'group_payment_approval'),
    ('account_dunning', 'group_dunning'),
    ]
SERVICES = [
    ('specific', "Formation sauveteur secouriste du travail (SST)",
        [(0, '250.00')]),
    ('complementary', "Accompagnement à l'évaluation des risques (DUERP)",
        [(0, '480.00'), (50, '720.00'), (250, '1200.00')]),
    ('specific', "Métrologie du bruit (sonométrie)", [(0, '650.00')]),
    ]


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_accounting(ctx)
            cls.generate_billing(ctx)

    @classmethod
    def generate_accounting(cls, ctx):
        """The French chart of accounts, the fiscal years with invoice
        sequences, a payment term and the accounts of the billing
        products; kept when the company has a chart already."""
        pool = Pool()
        Account = pool.get('account.account')
        if Account.search([('company', '=', ctx.company.id)], limit=1):
            return
        cls._create_chart(ctx.company)
        today = pool.get('ir.date').today()
        for year in (today.year - 1, today.year, today.year + 1):
            cls._create_fiscalyear(ctx.company, year)
        cls._configure_billing(ctx.company)
        ctx.report.append("accounting: plan comptable français, "
            f"exercices {today.year - 1}-{today.year + 1}")

    @classmethod
    def _create_chart(cls, company):
        pool = Pool()
        AccountTemplate = pool.get('account.account.template')
        ModelData = pool.get('ir.model.data')
        CreateChart = pool.get('account.create_chart', type='wizard')
        Account = pool.get('account.account')
        template = AccountTemplate(ModelData.get_id('account_fr', 'root'))
        session_id, _, _ = CreateChart.create()
        create_chart = CreateChart(session_id)
        create_chart.account.account_template = template
        create_chart.account.company = company
        create_chart.transition_create_account()
        receivable, = Account.search([
                ('company', '=', company.id), ('code', '=', '4111')])
        payable, = Account.search([
                ('company', '=', company.id), ('code', '=', '4011')])
        create_chart.properties.company = company
        create_chart.properties.account_receivable = receivable
        create_chart.properties.account_payable = payable
        create_chart.transition_create_properties()
        CreateChart.delete(session_id)

    @classmethod
    def _create_fiscalyear(cls, company, year):
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        Sequence = pool.get('ir.sequence.strict')
        InvoiceSequence = pool.get('account.fiscalyear.invoice_sequence')
        ModelData = pool.get('ir.model.data')
        move_sequence, invoice_sequence, credit_sequence = Sequence.create([{
                    'name': f"Pièces {year}",
                    'sequence_type': ModelData.get_id(
                        'account', 'sequence_type_account_move'),
                    'company': company.id,
                    }, {
                    'name': f"Factures {year}",
                    'prefix': f'F{year}-',
                    'padding': 6,
                    'sequence_type': ModelData.get_id(
                        'account_invoice', 'sequence_type_account_invoice'),
                    'company': company.id,
                    }, {
                    'name': f"Avoirs {year}",
                    'prefix': f'AV{year}-',
                    'padding': 6,
                    'sequence_type': ModelData.get_id(
                        'account_invoice', 'sequence_type_account_invoice'),
                    'company': company.id,
                    }])
        fiscalyear = FiscalYear(
            name=str(year), company=company,
            start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31),
            move_sequence=move_sequence)
        fiscalyear.invoice_sequences = [InvoiceSequence(
                company=company,
                in_invoice_sequence=invoice_sequence,
                in_credit_note_sequence=credit_sequence,
                out_invoice_sequence=invoice_sequence,
                out_credit_note_sequence=credit_sequence)]
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])

    @classmethod
    def _configure_billing(cls, company):
        "Accounts and taxes of the billing products, the payment term."
        pool = Pool()
        Account = pool.get('account.account')
        Tax = pool.get('account.tax')
        Category = pool.get('product.category')
        ModelData = pool.get('ir.model.data')
        PaymentTerm = pool.get('account.invoice.payment_term')
        Configuration = pool.get('spsti.billing.configuration')

        def account(code):
            return Account.search([
                    ('company', '=', company.id), ('code', '=', code)])[0]
        exempt, = Tax.search([
                ('company', '=', company.id),
                ('template', '=', ModelData.get_id(
                        'spsti_facturation', 'tax_contribution_exempt')),
                ])
        service_tax, = Tax.search([
                ('company', '=', company.id),
                ('template', '=', ModelData.get_id(
                        'account_fr', 'tva_vente_services_taux_normal')),
                ])
        contribution = Category(ModelData.get_id(
                'spsti_facturation', 'category_contribution'))
        contribution.account_revenue = account('756')
        contribution.customer_taxes = [exempt]
        service = Category(ModelData.get_id(
                'spsti_facturation', 'category_service'))
        service.account_revenue = account('706')
        service.customer_taxes = [service_tax]
        Category.save([contribution, service])
        term, = PaymentTerm.create([{
                    'name': "30 jours",
                    'lines': [('create', [{
                                    'type': 'remainder',
                                    'relativedeltas': [('create', [{
                                                    'days': 30}])],
                                    }])],
                    }])
        config = Configuration(1)
        config.payment_term = term
        config.save()

    @classmethod
    def generate_billing(cls, ctx):
        """The scale of the year, validated declarations, the yearly call
        (invoices posted), the service catalogue and the dunning
        procedure; skipped when a scale exists."""
        pool = Pool()
        Scale = pool.get('spsti.contribution.scale')
        Declaration = pool.get('spsti.declaration')
        Run = pool.get('spsti.billing.run')
        if Scale.search([], limit=1):
            return
        year = pool.get('ir.date').today().year
        scale, = Scale.create([{
                    'company': ctx.company.id,
                    'year': year,
                    'amount_per_worker': Decimal('112.00'),
                    'membership_fee': Decimal('30.00'),
                    'minimum_amount': Decimal('150.00'),
                    'approval_date': dt.date(year - 1, 6, 20),
                    }])
        with Transaction().set_context(_skip_warnings=True):
            Scale.approve([scale])
        declarations = Declaration.open_year(year)
        with Transaction().set_context(_skip_warnings=True):
            Declaration.validate_declaration(declarations)
        cls.generate_sepa(ctx)
        cls.generate_billing_terms(ctx)
        run, = Run.create([{
                    'company': ctx.company.id,
                    'year': year,
                    'kind': 'call',
                    'period': '01',
                    'invoice_date': dt.date(year, 2, 1),
                    'scale': scale.id,
                    }])
        Run.prepare([run])
        Run.write([run], {'state': 'processing'})
        Run.process([run])
        # The call is dated February: its terms are past.
        with Transaction().set_context(_skip_warnings=True):
            Run.post_drafts([run])
        Run.create_direct_debits([run])
        cls.generate_services(ctx)
        cls.generate_dunning(ctx)
        cls.grant_accountant(ctx)
        ctx.report.append(
            f"billing: {len(run.invoices)} invoices of the {year} call")

    @classmethod
    def generate_sepa(cls, ctx):
        """The service's SEPA creditor identifier (ICS) and bank account,
        the direct debit journal, and a signed mandate (RUM) for two
        members in three."""
        pool = Pool()
        Identifier = pool.get('party.identifier')
        Party = pool.get('party.party')
        Bank = pool.get('bank')
        BankAccount = pool.get('bank.account')
        Journal = pool.get('account.payment.journal')
        Mandate = pool.get('account.payment.sepa.mandate')
        Member = pool.get('spsti.member')
        Configuration = pool.get('spsti.billing.configuration')
        company = ctx.company
        Identifier.create([{
                    'party': company.party.id,
                    'type': 'eu_at_02',
                    'code': 'FR72ZZZ123456',
                    }])
        bank_party, = Party.create([{'name': "Banque Populaire du Val"}])
        bank, = Bank.create([{'party': bank_party.id, 'bic': 'CCBPFRPPTSR'}])
        members = [m for m in Member.search([('state', '=', 'member')])
            if ctx.rng.random() < 2 / 3]
        accounts = BankAccount.create([{
                    'bank': bank.id,
                    'owners': [('add', [party.id])],
                    'currency': company.currency.id,
                    'numbers': [('create', [{
                                    'type': 'iban',
                                    'number': ctx.fake.iban(),
                                    }])],
                    } for party in [company.party] + [
                    m.party for m in members]])
        journal, = Journal.create([{
                    'name': "Prélèvements SEPA",
                    'company': company.id,
                    'currency': company.currency.id,
                    'process_method': 'sepa',
                    'sepa_bank_account_number': accounts[0].numbers[0].id,
                    'sepa_receivable_flavor': 'pain.008.001.02',
                    'sepa_payable_flavor': 'pain.001.001.03',
                    }])
        Mandate.create([{
                    'company': company.id,
                    'party': member.party.id,
                    'address': member.party.address_get().id,
                    'account_number': account.numbers[0].id,
                    'identification': f'RUM-{member.party.code}',
                    'type': 'recurrent',
                    'signature_date': dt.date(2020, 1, 15),
                    'state': 'validated',
                    } for member, account in zip(members, accounts[1:])])
        config = Configuration(1)
        config.direct_debit_journal = journal
        config.save()

    @classmethod
    def generate_billing_terms(cls, ctx):
        """Billing terms for the members with a validated mandate (direct
        debit; one in five called quarterly) and for a few others
        (half-yearly calls, invoices on paper)."""
        pool = Pool()
        Mandate = pool.get('account.payment.sepa.mandate')
        Member = pool.get('spsti.member')
        MemberBilling = pool.get('spsti.member.billing')
        mandates = {m.party: m for m in Mandate.search([
                    ('state', '=', 'validated'),
                    ('company', '=', ctx.company.id),
                    ])}
        terms = []
        for member in Member.search([('state', '=', 'member')],
                order=[('id', 'ASC')]):
            email = member.party.contact_mechanism_get('email')
            mandate = mandates.get(member.party)
            if mandate:
                terms.append(MemberBilling(member=member,
                        payment_method='direct_debit', sepa_mandate=mandate,
                        frequency=('quarterly' if ctx.rng.random() < 0.2
                            else 'yearly'),
                        delivery='email' if email else 'paper'))
            elif ctx.rng.random() < 0.3:
                terms.append(MemberBilling(member=member,
                        payment_method='transfer', frequency='half_yearly',
                        delivery='paper'))
        MemberBilling.save(terms)

    @classmethod
    def generate_services(cls, ctx):
        pool = Pool()
        Template = pool.get('product.template')
        Service = pool.get('spsti.service')
        ModelData = pool.get('ir.model.data')
        Uom = pool.get('product.uom')
        unit = Uom(ModelData.get_id('product', 'uom_unit'))
        category = ModelData.get_id('spsti_facturation', 'category_service')
        templates = Template.create([{
                    'name': name,
                    'type': 'service',
                    'list_price': Decimal(prices[0][1]),
                    'default_uom': unit.id,
                    'account_category': category,
                    'products': [('create', [{}])],
                    } for _, name, prices in SERVICES])
        Service.create([{
                    'name': name,
                    'kind': kind,
                    'product': template.products[0].id,
                    'prices': [('create', [{
                                    'min_workforce': size,
                                    'unit_price': Decimal(price),
                                    } for size, price in prices])],
                    } for template, (kind, name, prices)
                in zip(templates, SERVICES)])

    @classmethod
    def generate_dunning(cls, ctx):
        "Reminder by email, formal notice by letter, then strike-off."
        pool = Pool()
        Procedure = pool.get('account.dunning.procedure')
        Configuration = pool.get('account.configuration')
        Party = pool.get('party.party')
        procedure, = Procedure.create([{
                    'name': "Relance des cotisations",
                    'levels': [('create', [{
                                    'sequence': 1,
                                    'overdue': dt.timedelta(days=15),
                                    'send_email': True,
                                    'email_contact_mechanism': 'invoice',
                                    }, {
                                    'sequence': 2,
                                    'overdue': dt.timedelta(days=45),
                                    'print_on_letter': True,
                                    }, {
                                    'sequence': 3,
                                    'overdue': dt.timedelta(days=90),
                                    'print_on_letter': True,
                                    'propose_strike_off': True,
                                    }])],
                    }])
        config = Configuration(1)
        config.default_dunning_procedure = procedure
        config.save()
        Party.write(Party.search([]), {'dunning_procedure': procedure.id})

    @classmethod
    def grant_accountant(cls, ctx):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        User.write(User.search([('login', '=', 'facturation')]), {
                'groups': [('add', [ModelData.get_id(module, xml_id)
                            for module, xml_id in ACCOUNTANT_GROUPS])],
                })
