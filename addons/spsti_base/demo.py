"""Demo and benchmark data: a realistic SPSTI of a given size.

Each module extends Demo.generate with its own objects; every step keeps
what already exists, so the generator can run again after a module is
activated."""
import math
import random
from decimal import Decimal
from dataclasses import dataclass, field

from faker import Faker
from stdnum import luhn

from trytond.model import Model
from trytond.pool import Pool
from trytond.transaction import Transaction

DEMO_PASSWORD = 'spsti-demo'
# Demo logins, one per role, and the groups each one gets.
DEMO_USERS = [
    ('medecin', "Médecin du travail", ['group_spsti_doctor']),
    ('infirmier', "Infirmier en santé au travail", ['group_spsti_health']),
    ('planification', "Assistante de planification", ['group_spsti_planning']),
    ('facturation', "Comptable", ['group_spsti_billing']),
    ('relation', "Chargée de relation adhérents", ['group_spsti_crm']),
    ('pilotage', "Direction", ['group_spsti_management']),
    ]


@dataclass
class DemoContext:
    "Sizes, random sources and what the steps created, shared by the steps."
    members: int
    employees: int
    seed: int
    fake: Faker = None
    rng: random.Random = None
    company: object = None
    report: list = field(default_factory=list)

    def __post_init__(self):
        self.fake = Faker('fr_FR')
        self.fake.seed_instance(self.seed)
        self.rng = random.Random(self.seed)

    def rpps(self):
        "A well-formed RPPS number (11 digits, Luhn key)."
        number = '10' + ''.join(str(self.rng.randrange(10)) for _ in range(8))
        return number + luhn.calc_check_digit(number)


class Demo(Model):
    "Demo data generator"
    __name__ = 'spsti.demo'
    __string__ = "Demo Data"

    @classmethod
    def generate(cls, ctx):
        "Create what is missing of the demo SPSTI; ctx is a DemoContext."
        ctx.company = cls.generate_company(ctx)
        cls.skip_configuration_wizard()
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_organisation(ctx)
            cls.generate_users(ctx)

    @classmethod
    def generate_company(cls, ctx):
        pool = Pool()
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        Country = pool.get('country.country')
        Party = pool.get('party.party')
        User = pool.get('res.user')

        companies = Company.search([], limit=1)
        if companies:
            return companies[0]
        euro, = (Currency.search([('code', '=', 'EUR')])
            or Currency.create([{
                        'code': 'EUR', 'name': "Euro", 'symbol': '€',
                        'numeric_code': '978', 'digits': 2,
                        'rounding': Decimal('0.01')}]))
        france, = (Country.search([('code', '=', 'FR')])
            or Country.create([{
                        'code': 'FR', 'code3': 'FRA', 'code_numeric': '250',
                        'name': "France"}]))
        party, = Party.create([{
                    'name': "Santé au Travail Val de Loire (démo)",
                    'addresses': [('create', [{
                                    'street': "12 rue de la Prévention",
                                    'postal_code': '37000',
                                    'city': "Tours",
                                    'country': france.id,
                                    }])],
                    }])
        company, = Company.create([{
                    'party': party.id,
                    'currency': euro.id,
                    'timezone': 'Europe/Paris',
                    }])
        admins = User.search([('login', '=', 'admin')])
        User.write(admins, {
                'companies': [('add', [company.id])],
                'company': company.id,
                })
        ctx.report.append(f"company: {party.name}")
        return company

    @classmethod
    def skip_configuration_wizard(cls):
        "The demo is configured: the first login goes straight to the menu."
        Item = Pool().get('ir.module.config_wizard.item')
        Item.write(Item.search([('state', '!=', 'done')]), {'state': 'done'})

    @classmethod
    def generate_organisation(cls, ctx):
        "Sectors, centres with rooms, professionals and their teams."
        pool = Pool()
        Team = pool.get('spsti.team')
        if Team.search([], limit=1):
            return
        Sector = pool.get('spsti.sector')
        Centre = pool.get('spsti.centre')
        Address = pool.get('party.address')
        fake = ctx.fake

        n_centres = max(1, math.ceil(ctx.employees / 25000))
        n_teams = max(2, math.ceil(ctx.employees / 3000))
        country = ctx.company.party.addresses[0].country
        cities = [fake.unique.city() for _ in range(n_centres)]
        sectors = Sector.create([{
                    'code': f'S{i + 1:02d}', 'name': f"Secteur {city}"}
                for i, city in enumerate(cities)])
        addresses = Address.create([{
                    'party': ctx.company.party.id,
                    'street': fake.street_address(),
                    'postal_code': fake.postcode(),
                    'city': city,
                    'country': country.id if country else None,
                    } for city in cities])
        centres = Centre.create([{
                    'code': f'C{i + 1:02d}',
                    'name': f"Centre de {city}",
                    'sector': sector.id,
                    'address': address.id,
                    'phone': fake.phone_number(),
                    'rooms': [('create', cls._demo_rooms())],
                    } for i, (city, sector, address)
                in enumerate(zip(cities, sectors, addresses))])

        staff = []  # (profession code, centre index, team index or None)
        for t in range(n_teams):
            c = t % n_centres
            staff.append(('MDT', c, t))
            staff += [('IDEST', c, t)] * (2 if t % 2 else 1)
            staff.append(('ASST', c, t))
            if t % 3 == 0:
                staff.append(('CM', c, t))
            if t % 5 == 0:
                staff.append(('INT', c, t))
            if t % 2 == 0:
                staff.append(('IPRP', c, t))
        for c in range(n_centres):
            staff += [('AS', c, None), ('ADM', c, None), ('ADM', c, None)]
        professionals = cls._demo_professionals(ctx, staff, centres)

        teams = []
        for t in range(n_teams):
            members = [p for p, (_, _, team) in zip(professionals, staff)
                if team == t]
            lead = members[0]
            teams.append({
                    'code': f'E{t + 1:02d}',
                    'name': f"Équipe {lead.employee.party.name}",
                    'lead': lead.id,
                    'sector': sectors[t % n_centres].id,
                    'centre': centres[t % n_centres].id,
                    'members': [('create', [{
                                    'professional': m.id,
                                    'start_date': fake.date_between(
                                        '-10y', '-1y'),
                                    } for m in members])],
                    })
        Team.create(teams)
        ctx.report.append(
            f"organisation: {n_centres} centres, {n_teams} teams, "
            f"{len(professionals)} professionals")

    @classmethod
    def _demo_rooms(cls):
        rooms = [{'name': f"Cabinet {i}", 'kind': 'consultation'}
            for i in range(1, 5)]
        rooms += [
            {'name': "Salle d'examens", 'kind': 'examination'},
            {'name': "Salle de réunion", 'kind': 'meeting', 'capacity': 20},
            {'name': "Cabine de téléconsultation",
                'kind': 'teleconsultation'},
            ]
        return rooms

    @classmethod
    def _demo_professionals(cls, ctx, staff, centres):
        pool = Pool()
        Party = pool.get('party.party')
        Employee = pool.get('company.employee')
        Profession = pool.get('spsti.profession')
        Professional = pool.get('spsti.professional')
        fake = ctx.fake
        professions = {p.code: p for p in Profession.search([])}
        specialities = [s for s, _ in Professional.speciality.selection if s]

        parties = Party.create([{
                    'name': fake.name(),
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': fake.unique.email(),
                                    }])],
                    } for _ in staff])
        employees = Employee.create([{
                    'party': party.id,
                    'company': ctx.company.id,
                    'start_date': fake.date_between('-20y', '-1y'),
                    } for party in parties])
        values = []
        for i, ((code, c, _), employee) in enumerate(zip(staff, employees)):
            profession = professions[code]
            values.append({
                    'employee': employee.id,
                    'profession': profession.id,
                    'speciality': (specialities[i % len(specialities)]
                        if profession.has_speciality else None),
                    'rpps': ctx.rpps() if code in {
                        'MDT', 'CM', 'INT', 'IDEST'} else None,
                    'centre': centres[c].id,
                    })
        return Professional.create(values)

    @classmethod
    def generate_users(cls, ctx):
        "One login per role, linked to a professional where it fits."
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Professional = pool.get('spsti.professional')
        Team = pool.get('spsti.team')
        if User.search([('login', '=', DEMO_USERS[0][0])]):
            return
        team = Team.search([], order=[('code', 'ASC')], limit=1)[0]
        by_profession = {}
        for member in team.members:
            by_profession.setdefault(
                member.professional.profession.code, member.professional)
        links = {
            'medecin': team.lead,
            'infirmier': by_profession.get('IDEST'),
            'planification': by_profession.get('ASST'),
            }
        users = User.create([{
                    'login': login,
                    'name': (links[login].rec_name if links.get(login)
                        else name),
                    'password': DEMO_PASSWORD,
                    'groups': [('add', [ModelData.get_id('spsti_base', g)
                                for g in groups])],
                    'companies': [('add', [ctx.company.id])],
                    'company': ctx.company.id,
                    } for login, name, groups in DEMO_USERS])
        Professional.write(*[x for user in users if links.get(user.login)
                for x in ([links[user.login]], {'user': user.id})])
        ctx.report.append("users: " + ", ".join(
                f"{u.login}/{DEMO_PASSWORD}" for u in users))
