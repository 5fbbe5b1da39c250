"""Demo registry: a certification domain with two levels, people
designated by members, their exams and certificates (one renewed)."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_registry(ctx)

    @classmethod
    def generate_registry(cls, ctx):
        pool = Pool()
        Domain = pool.get('spsti.preventeur.domain')
        Person = pool.get('spsti.preventeur.person')
        Exam = pool.get('spsti.preventeur.exam')
        Certificate = pool.get('spsti.preventeur.certificate')
        Member = pool.get('spsti.member')
        Date = pool.get('ir.date')
        if Domain.search([], limit=1):
            return
        today = Date.today()
        domain, = Domain.create([{
                    'code': 'SDC-PRP',
                    'name': "Salarié désigné compétent — prévention des "
                    "risques professionnels",
                    'description': "Article L4644-1 du Code du travail.",
                    'levels': [('create', [{
                                    'name': "Niveau 1 — fondamentaux",
                                    'sequence': 10,
                                    'validity_years': 3,
                                    'pass_score': Decimal(60),
                                    }, {
                                    'name': "Niveau 2 — confirmé",
                                    'sequence': 20,
                                    'validity_years': 5,
                                    'pass_score': Decimal(70),
                                    }])],
                    }])
        level1, level2 = domain.levels
        members = Member.search([('state', '=', 'member')],
            order=[('id', 'ASC')], limit=8)
        people = Person.create([{
                    'first_name': ctx.fake.first_name(),
                    'last_name': ctx.fake.last_name(),
                    'birth_date': ctx.fake.date_of_birth(
                        minimum_age=25, maximum_age=60),
                    'email': ctx.fake.email(),
                    'member': m.id,
                    'employer': m.party.id,
                    'employer_contact': ctx.fake.name(),
                    } for m in members])
        exams = Exam.create([{
                    'person': p.id,
                    'domain': domain.id,
                    'level': (level2 if i % 3 == 0 else level1).id,
                    'date': today - dt.timedelta(days=30 + 90 * i),
                    'score': Decimal(38 + 6 * i),
                    'max_score': Decimal(60),
                    'examiner': "Service de prévention",
                    } for i, p in enumerate(people)])
        certificates = Certificate.create([{
                    'person': e.person.id,
                    'domain': domain.id,
                    'level': e.level.id,
                    'exams': [('add', [e.id])],
                    'issue_date': e.date + dt.timedelta(days=15),
                    } for e in exams if e.passed])
        Certificate.issue(certificates)
        if certificates:
            renewal, = Certificate.renew(certificates[:1])
            renewal.issue_date = today
            Certificate.save([renewal])
            Certificate.issue([renewal])
        ctx.report.append(
            f"préventeur registry: {len(people)} people, "
            f"{len(certificates)} certificates")
