"Helpers for the tests of the modules that use members and employees."
import datetime as dt

from stdnum import luhn

from trytond.modules.spsti_base.tests.tools import (
    create_organisation, load_lists)
from trytond.pool import Pool


def siren(seed):
    number = f'{seed:08d}'
    return number + luhn.calc_check_digit(number)


def siret(siren_, index=1):
    number = siren_ + f'{index:04d}'
    return number + luhn.calc_check_digit(number)


def nir(sex, birth, seed=1):
    body = ('1' if sex == 'M' else '2') + f'{birth.year % 100:02d}' \
        + f'{birth.month:02d}' + '75' + f'{seed % 1000:03d}' \
        + f'{seed // 1000 % 1000 + 1:03d}'
    return body + f'{97 - int(body) % 97:02d}'


def setup_referentials():
    "Thésaurus, rules and a small organisation (company, teams, users)."
    load_lists()
    return create_organisation()


def create_member(name, seed, state='member', team=None):
    """A member with one establishment (head office); accepted through the
    workflow when state is 'member'."""
    pool = Pool()
    Party = pool.get('party.party')
    Member = pool.get('spsti.member')
    Establishment = pool.get('spsti.establishment')
    Team = pool.get('spsti.team')
    Activity = pool.get('spsti.activity')
    team = team or Team.search([], order=[('code', 'ASC')], limit=1)[0]
    party, = Party.create([{
                'name': name,
                'addresses': [('create', [{'city': "Tours"}])],
                }])
    member, = Member.create([{
                'party': party.id,
                'siren': siren(seed),
                'sector': team.sector.id,
                'team': team.id,
                }])
    activity, = Activity.search([('code', '=', '43.22A')])
    establishment, = Establishment.create([{
                'member': member.id,
                'name': "Siège",
                'address': party.addresses[0].id,
                'siret': siret(siren(seed)),
                'activity': activity.id,
                }])
    if state in {'requested', 'member'}:
        Member.request([member])
    if state == 'member':
        Member.accept([member])
    return member, establishment


def create_employee(last_name, first_name, birth, sex='M', seed=1):
    Employee = Pool().get('spsti.employee')
    employee, = Employee.create([{
                'last_name': last_name,
                'first_name': first_name,
                'birth_date': birth,
                'sex': sex,
                'nir': nir(sex, birth, seed),
                }])
    return employee


def create_assignment(employee, establishment, risks=(), job='431f',
        start=dt.date(2020, 1, 1), **values):
    pool = Pool()
    Assignment = pool.get('spsti.assignment')
    Risk = pool.get('spsti.risk')
    Job = pool.get('spsti.job')
    job = Job.search([('code', '=', job)])[0] if job else None
    exposures = [{'risk': r.id} for r in Risk.search(
            [('code', 'in', list(risks))])]
    assignment, = Assignment.create([{
                'employee': employee.id,
                'member': establishment.member.id,
                'establishment': establishment.id,
                'job': job.id if job else None,
                'start_date': start,
                'exposures': [('create', exposures)],
                **values,
                }])
    return assignment
