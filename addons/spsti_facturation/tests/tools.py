"Helpers of the billing tests: an accounting-ready SPSTI with members."
import datetime as dt
from decimal import Decimal

from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.modules.spsti_base.demo import DemoContext
from trytond.pool import Pool
from trytond.transaction import Transaction

YEAR = 2026


def setup_billing(amount='116.00', minimum=None, fee=None, fee_kind='entry'):
    """Referentials, the French chart with fiscal years around YEAR and an
    approved scale; returns the organisation dict with 'scale'."""
    pool = Pool()
    Demo = pool.get('spsti.demo')
    Scale = pool.get('spsti.contribution.scale')
    organisation = setup_referentials()
    ctx = DemoContext(0, 0, seed=3)
    ctx.company = organisation['company']
    with Transaction().set_context(company=ctx.company.id):
        Demo.generate_accounting(ctx)
        scale, = Scale.create([{
                    'company': ctx.company.id,
                    'year': YEAR,
                    'amount_per_worker': Decimal(amount),
                    'minimum_amount': Decimal(minimum) if minimum else None,
                    'membership_fee': Decimal(fee) if fee else None,
                    'membership_fee_kind': fee_kind,
                    'approval_date': dt.date(YEAR - 1, 6, 1),
                    }])
        Scale.approve([scale])
    organisation['scale'] = scale
    return organisation


def member_with_workers(name, seed, workers, risks=(),
        joined=dt.date(2010, 1, 1), job='431f'):
    """A member, joined on `joined`, whose head office employs `workers`
    people (started before the year) and its employees."""
    pool = Pool()
    Member = pool.get('spsti.member')
    member, establishment = create_member(name, seed)
    Member.write([member], {'membership_date': joined})
    employees = []
    for i in range(workers):
        employee = create_employee(
            f"{name} {i}", "Salarié", dt.date(1980, 1, 1 + i % 28),
            seed=seed * 100 + i)
        create_assignment(employee, establishment, risks=risks, job=job,
            start=dt.date(YEAR - 2, 1, 1))
        employees.append(employee)
    return member, establishment, employees


def validated_declarations(members):
    pool = Pool()
    Declaration = pool.get('spsti.declaration')
    declarations = Declaration.open_year(
        YEAR, members=members, reference_date=dt.date(YEAR, 1, 1))
    with Transaction().set_context(_skip_warnings=True):
        Declaration.validate_declaration(declarations)
    return declarations


def billing_run(scale, kind='call', process=True, limit=None, period=None):
    """A run of YEAR (by default the January call, or the regularisation
    of December) processed in the test transaction."""
    pool = Pool()
    Run = pool.get('spsti.billing.run')
    period = period or ('01' if kind == 'call' else '12')
    run, = Run.create([{
                'company': scale.company.id,
                'year': YEAR,
                'kind': kind,
                'period': period,
                'invoice_date': dt.date(YEAR, 2, 1),
                'scale': scale.id,
                }])
    # What the start button does but queue the processing: the worker's
    # task would commit the test transaction.
    Run.prepare([run])
    Run.write([run], {'state': 'processing'})
    if process:
        Run.process([run], limit=limit)
    return Run(run.id)


def validated_mandate(party, iban='FR7630006000011234567890189'):
    """A validated SEPA mandate of party on a bank account of its own (the
    service's creditor identifier and journal come from
    Demo.generate_sepa)."""
    pool = Pool()
    Party = pool.get('party.party')
    Bank = pool.get('bank')
    BankAccount = pool.get('bank.account')
    Mandate = pool.get('account.payment.sepa.mandate')
    company = Transaction().context['company']
    bank_party, = Party.create([{'name': "Crédit Coopératif"}])
    bank, = Bank.create([{'party': bank_party.id, 'bic': 'CCOPFRPPXXX'}])
    account, = BankAccount.create([{
                'bank': bank.id,
                'owners': [('add', [party.id])],
                'numbers': [('create', [{'type': 'iban', 'number': iban}])],
                }])
    mandate, = Mandate.create([{
                'company': company,
                'party': party.id,
                'address': party.addresses[0].id,
                'account_number': account.numbers[0].id,
                'identification': f'RUM-{party.id}',
                'type': 'recurrent',
                'signature_date': dt.date(YEAR - 1, 1, 15),
                'state': 'validated',
                }])
    return mandate
