"Demo members, establishments, employees and job assignments."
import datetime as dt

from stdnum import luhn

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Share of assignments exposed to each risk, roughly as in a service of
# mixed activities (building, industry, care, services).
RISK_RATES = {
    'ERGO.MANUT': 0.30, 'ERGO.POSTURE': 0.20, 'ERGO.ECRAN': 0.30,
    'PHYS.BRUIT': 0.12, 'PHYS.VIBR': 0.05, 'CHIM.ACD': 0.10,
    'CHIM.CMR': 0.04, 'CHIM.CMR.SILICE': 0.02, 'CHIM.AMIANTE': 0.01,
    'BIO.G2': 0.04, 'BIO.G3': 0.01, 'PHYS.RI.B': 0.005,
    'SECU.CONDUITE': 0.06, 'SECU.HABELEC': 0.05, 'SECU.HAUTEUR': 0.05,
    'SECU.ROUTIER': 0.10, 'PSY.CHARGE': 0.10, 'ORGA.EQUIPES': 0.04,
    }
CONTRACTS = [('cdi', 70), ('cdd', 14), ('interim', 6), ('apprentice', 4),
    ('professionalisation', 2), ('seasonal', 3), ('intern', 1)]
BATCH = 2000


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_members(ctx)
            cls.generate_workforce(ctx)

    @classmethod
    def generate_members(cls, ctx):
        "Members in membership, each with one to three establishments."
        pool = Pool()
        Member = pool.get('spsti.member')
        Party = pool.get('party.party')
        Establishment = pool.get('spsti.establishment')
        Activity = pool.get('spsti.activity')
        Team = pool.get('spsti.team')
        Configuration = pool.get('spsti.adherent.configuration')
        Identifier = pool.get('party.identifier')
        History = pool.get('spsti.member.history')
        if Member.search([], limit=1):
            return
        fake, rng = ctx.fake, ctx.rng
        teams = Team.search([])
        activities = Activity.search([('level', '=', 'subclass')])
        sequence = Configuration(1).member_sequence
        # French companies: their invoices (Factur-X) need the country.
        country = ctx.company.party.addresses[0].country
        today = dt.date.today()
        drawn = set()
        for start in range(0, ctx.members, BATCH):
            size = min(BATCH, ctx.members - start)
            sirens = [_siren(rng, drawn) for _ in range(size)]
            parties = Party.create([{
                        'name': fake.unique.company(),
                        'identifiers': [('create', [{
                                        'type': 'fr_siren', 'code': siren}])],
                        'addresses': [('create', [{
                                        'street': fake.street_address(),
                                        'postal_code': fake.postcode(),
                                        'city': fake.city(),
                                        'country': (country.id if country
                                            else None),
                                        } for _ in range(rng.choice(
                                                [1, 1, 1, 2, 3]))])],
                        } for siren in sirens])
            members = Member.create([{
                        'party': party.id,
                        'number': sequence.get(),
                        'state': 'member',
                        'request_date': (d := fake.date_between(
                                '-25y', '-1m')),
                        'membership_date': d,
                        'sector': (team := rng.choice(teams)).sector.id,
                        'team': team.id,
                        } for party in parties])
            values = []
            for member, siren in zip(members, sirens):
                for i, address in enumerate(member.party.addresses):
                    values.append({
                            'member': member.id,
                            'name': ("Siège" if i == 0
                                else f"Site de {address.city}"),
                            'address': address.id,
                            'activity': rng.choice(activities).id,
                            })
                    values[-1]['_siret'] = _siret(siren, i + 1)
            sirets = [v.pop('_siret') for v in values]
            establishments = Establishment.create(values)
            Identifier.create([{
                        'party': e.address.party.id,
                        'address': e.address.id,
                        'type': 'fr_siret',
                        'code': siret,
                        } for e, siret in zip(establishments, sirets)])
            History.create([{
                        'member': m.id,
                        'date': m.membership_date,
                        'from_state': 'requested',
                        'to_state': 'member',
                        } for m in members])
        ctx.report.append(f"members: {ctx.members} (as of {today})")

    @classmethod
    def generate_workforce(cls, ctx):
        """Employees with their assignments and exposures, in batches; a few
        hold posts at two members (multi-employer)."""
        pool = Pool()
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        Establishment = pool.get('spsti.establishment')
        Job = pool.get('spsti.job')
        Risk = pool.get('spsti.risk')
        if Employee.search([], limit=1):
            return
        fake, rng = ctx.fake, ctx.rng
        # Plain values read once: records of a large search would be read
        # and instantiated again for every batch.
        establishments = [(e.id, e.member.id)
            for e in Establishment.search([])]
        if not establishments:
            return
        jobs = [(j.id, j.name[:60])
            for j in Job.search([('level', '=', 'profession')])]
        risks = {r.code: r.id for r in Risk.search(
                [('code', 'in', list(RISK_RATES))])}
        contracts = [c for c, w in CONTRACTS for _ in range(w)]
        # A few large establishments employ most people (Pareto-like).
        weights = [1 / (i + 1) ** 0.8 for i in range(len(establishments))]
        today = dt.date.today()
        created = 0
        for start in range(0, ctx.employees, BATCH):
            size = min(BATCH, ctx.employees - start)
            people = [cls._demo_person(ctx) for _ in range(size)]
            employees = Employee.create(people)
            picks = rng.choices(establishments, weights=weights, k=size)
            values, exposures = [], []
            for employee, establishment in zip(employees, picks):
                job, job_title = rng.choice(jobs)
                posts = [establishment]
                if rng.random() < 0.01:
                    posts.append(rng.choice(establishments))
                for post, member in posts:
                    contract = rng.choice(contracts)
                    begin = fake.date_between('-15y', '-1m')
                    end = None
                    if contract in {'cdd', 'interim', 'seasonal', 'intern'}:
                        end = begin + dt.timedelta(days=rng.randint(30, 720))
                    values.append({
                            'employee': employee.id,
                            'member': member,
                            'establishment': post,
                            'job': job,
                            'job_title': job_title,
                            'contract_type': contract,
                            'start_date': begin,
                            'end_date': end,
                            'night_work': rng.random() < 0.08,
                            'disabled_worker': rng.random() < 0.03,
                            'source': 'dsn',
                            })
                    exposures.append([{
                                'risk': risks[code],
                                'source': 'employer',
                                'start_date': begin,
                                } for code, rate in RISK_RATES.items()
                            if code in risks and rng.random() < rate])
            for value, exposure in zip(values, exposures):
                if exposure:
                    value['exposures'] = [('create', exposure)]
            Assignment.create(values)
            created += size
        ctx.report.append(f"workforce: {created} employees "
            f"(as of {today})")

    @classmethod
    def _demo_person(cls, ctx):
        fake, rng = ctx.fake, ctx.rng
        sex = rng.choice('FM')
        birth = fake.date_of_birth(minimum_age=17, maximum_age=66)
        first = (fake.first_name_female() if sex == 'F'
            else fake.first_name_male())
        return {
            'last_name': fake.last_name(),
            'first_name': first,
            'sex': sex,
            'birth_date': birth,
            'nir': _nir(rng, sex, birth),
            'identity_status': rng.choice(
                ['provisional', 'recovered', 'qualified', 'qualified']),
            'email': f'{first.lower()}.{rng.randrange(10**6)}@example.fr',
            'postal_code': fake.postcode(),
            'city': fake.city(),
            'consent_email': rng.random() < 0.7,
            }


def _siren(rng, drawn):
    "A SIREN not in drawn: a member's SIREN is unique."
    while (number := str(rng.randrange(10**7, 10**8))) in drawn:
        pass
    drawn.add(number)
    return number + luhn.calc_check_digit(number)


def _siret(siren, index):
    number = siren + f'{index:04d}'
    return number + luhn.calc_check_digit(number)


def _nir(rng, sex, birth):
    body = ('1' if sex == 'M' else '2') + f'{birth.year % 100:02d}' \
        + f'{birth.month:02d}' + f'{rng.randint(1, 95):02d}' \
        + f'{rng.randint(1, 990):03d}' + f'{rng.randint(1, 999):03d}'
    return body + f'{97 - int(body) % 97:02d}'
