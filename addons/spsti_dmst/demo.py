"""Demo medical files (the consultations of part of the visit history) and
company risk sheets."""
import datetime as dt

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .company_sheet import CULTURE_QUESTIONS

ANAMNESES = [
    "Pas de plainte particulière.",
    "Lombalgies intermittentes en fin de journée.",
    "Troubles du sommeil liés au travail de nuit.",
    "Gêne auditive signalée, poste bruyant.",
    ]


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_medical_files(ctx)
            cls.generate_company_sheets(ctx)

    @classmethod
    def generate_medical_files(cls, ctx, limit=200):
        """Up to limit visits done in the history get their medical file
        and the issued consultation, by a nurse of the team for a VIP, by
        the team's doctor for an aptitude exam."""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        MedicalFile = pool.get('spsti.dmst')
        Consultation = pool.get('spsti.dmst.consultation')
        if Consultation.search([], limit=1):
            return
        done = VisitRequest.search([
                ('state', '=', 'done'),
                ('outcome', '!=', None),
                ], order=[('done_date', 'ASC'), ('id', 'ASC')], limit=limit)
        files = MedicalFile.get_or_create([r.employee for r in done])
        values = []
        for request, file in zip(done, files):
            team = request.assignment.team
            if not team or not team.lead:
                continue
            nurse = next((m.professional for m in team.members
                    if m.professional.profession.code == 'IDEST'), None)
            doctor_only = request.outcome != 'attestation'
            professional = team.lead if doctor_only or not nurse else nurse
            height = ctx.rng.randint(155, 195)
            values.append({
                    'file': file.id,
                    'visit_type': request.visit_type.id,
                    'professional': professional.id,
                    'date': request.done_date,
                    'mode': 'centre',
                    'anamnesis': ctx.rng.choice(ANAMNESES),
                    'height': height,
                    'weight': round(ctx.rng.uniform(0.33, 0.5) * height, 1),
                    'systolic': ctx.rng.randint(105, 150),
                    'diastolic': ctx.rng.randint(60, 95),
                    'outcome': request.outcome,
                    'next_visit': ("dans 5 ans au plus tard"
                        if request.outcome == 'attestation'
                        else "dans 4 ans au plus tard"),
                    'state': 'issued',
                    'issued_date': request.done_date,
                    })
        Consultation.create(values)
        ctx.report.append(f"medical files: {len(files)}, "
            f"{len(values)} consultations")

    @classmethod
    def generate_company_sheets(cls, ctx, share=0.6):
        """A validated company risk sheet, written by the team's doctor
        some months after the membership, for a share of the members'
        establishments (the others are due or overdue)."""
        pool = Pool()
        Sheet = pool.get('spsti.company_sheet')
        Establishment = pool.get('spsti.establishment')
        Risk = pool.get('spsti.risk')
        if Sheet.search([], limit=1):
            return
        risks = Risk.search([('parent', '!=', None)], limit=40)
        values = []
        for establishment in Establishment.search([
                    ('member.state', '=', 'member'),
                    ('member.membership_date', '!=', None),
                    ]):
            team = establishment.effective_team
            if not team or not team.lead or ctx.rng.random() > share:
                continue
            answers = [ctx.rng.random() < 0.6 for _ in range(6)]
            values.append({
                    'establishment': establishment.id,
                    'date': establishment.member.membership_date
                    + dt.timedelta(days=ctx.rng.randint(60, 330)),
                    'author': team.lead.id,
                    'synthesis': "Préconisations remises à l'employeur.",
                    'risks': [('create', [{
                                    'risk': r.id,
                                    'source': ctx.rng.choice(
                                        ['declared', 'observed']),
                                    } for r in ctx.rng.sample(
                                    risks, min(3, len(risks)))])],
                    **dict(zip(CULTURE_QUESTIONS, answers)),
                    })
        sheets = Sheet.create(values)
        Sheet.validate_sheet(sheets)
        ctx.report.append(f"company risk sheets: {len(sheets)}")
