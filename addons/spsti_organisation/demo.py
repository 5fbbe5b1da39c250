"""Demo organisation: the coverage history with a reassignment, absences
and the load of the teams, the certification campaign with its quarterly
reviews, filed documents and the professionals' dashboards."""
import datetime as dt

from dateutil.relativedelta import relativedelta

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_coverages(ctx)
            cls.generate_team_loads(ctx)
            cls.generate_certification(ctx)
            cls.generate_documents(ctx)
            cls.generate_dashboards(ctx)

    @classmethod
    def generate_coverages(cls, ctx):
        """The history of the teams since the members joined; three months
        ago a third of the first team's members passed to the second."""
        pool = Pool()
        Coverage = pool.get('spsti.team.coverage')
        Reassignment = pool.get('spsti.team.reassignment')
        Team = pool.get('spsti.team')
        Member = pool.get('spsti.member')
        Date = pool.get('ir.date')
        if Reassignment.search([], limit=1):
            return
        # The demo members joined before: their history starts then.
        Coverage.write(Coverage.search([('opened_by', '=', None)]), {
                'start_date': Date.today() - relativedelta(years=3)})
        Coverage.initialise()
        teams = Team.search([], order=[('code', 'ASC')], limit=2)
        if len(teams) < 2:
            return
        members = Member.search([('team', '=', teams[0].id)],
            order=[('id', 'ASC')])
        if not members:
            return
        reassignment, = Reassignment.create([{
                    'date': Date.today() - relativedelta(months=3),
                    'from_team': teams[0].id,
                    'to_team': teams[1].id,
                    'members': [('add', [m.id for m in members[::3]])],
                    'reason': "Départ en retraite d'un médecin : "
                    "rééquilibrage des portefeuilles.",
                    }])
        Reassignment.apply([reassignment])
        ctx.report.append(
            f"coverages: {reassignment.moved} members reassigned")

    @classmethod
    def generate_team_loads(cls, ctx):
        """A few weeks of leave for some professionals, part-time for
        others, then the load of every team today."""
        pool = Pool()
        TeamLoad = pool.get('spsti.team.load')
        TeamMember = pool.get('spsti.team.member')
        Absence = pool.get('spsti.professional.absence')
        Date = pool.get('ir.date')
        if TeamLoad.search([], limit=1):
            return
        today = Date.today()
        members = TeamMember.search([
                ('professional.profession.health_professional', '=', True),
                ], order=[('id', 'ASC')])
        absences = []
        for i, member in enumerate(members):
            if i % 4 == 0:
                start = today + dt.timedelta(days=ctx.rng.randrange(30, 300))
                absences.append({
                        'professional': member.professional.id,
                        'start_date': start,
                        'end_date': start + dt.timedelta(days=20),
                        'reason': "Congés annuels",
                        })
        Absence.create(absences)
        part_time = [m for i, m in enumerate(members) if i % 5 == 1]
        if part_time:
            TeamMember.write(part_time, {'time_share': 0.5})
        loads = TeamLoad.compute(today)
        ctx.report.append(f"team loads: {len(loads)} teams, "
            f"{sum(1 for l in loads if l.status == 'overloaded')} "
            "overloaded")

    @classmethod
    def generate_certification(cls, ctx):
        """The certification campaign started four months ago from the
        template: the first review recorded, the early tasks done."""
        pool = Pool()
        Work = pool.get('project.work')
        Status = pool.get('project.work.status')
        Review = pool.get('spsti.project.review')
        Employee = pool.get('company.employee')
        Date = pool.get('ir.date')
        if Work.search([('spsti_kind', '=', 'certification'),
                    ('is_template', '=', False)], limit=1):
            return
        today = Date.today()
        template = Work.certification_template()
        owners = Employee.search([], order=[('id', 'ASC')], limit=3)
        start = today - relativedelta(months=4)
        project = Work.instantiate(template,
            "Certification du service", start,
            start + relativedelta(months=12),
            owners[0] if owners else None)
        tasks = project.tasks()
        for i, task in enumerate(tasks):
            if owners:
                task.owner = owners[i % len(owners)]
        done, = Status.search([('progress', '=', 1)], limit=1)
        for task in tasks:
            if task.deadline and task.deadline <= today - dt.timedelta(
                    days=30):
                task.status = done
                task.progress = 1
        Work.save(tasks)
        Review.record([r for r in project.reviews if r.date <= today])
        ctx.report.append(f"certification: {len(tasks)} tasks")

    @classmethod
    def generate_documents(cls, ctx):
        """Filed documents: a membership form for each of the first
        members (shared with them) and a letter (kept internal)."""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Member = pool.get('spsti.member')
        ModelData = pool.get('ir.model.data')
        Date = pool.get('ir.date')
        if Attachment.search([('spsti_type', '!=', None)], limit=1):
            return
        contract = ModelData.get_id(
            'spsti_organisation', 'document_type_member_contract')
        letter = ModelData.get_id(
            'spsti_organisation', 'document_type_member_letter')
        values = []
        for member in Member.search([('state', '=', 'member')],
                order=[('id', 'ASC')], limit=10):
            date = member.membership_date or Date.today()
            values.append({
                    'name': f"Bulletin d'adhésion {member.number}.txt",
                    'resource': str(member),
                    'data': (f"Bulletin d'adhésion de {member.party.name} "
                        f"au service, le {date:%d/%m/%Y}.\n").encode(),
                    'spsti_type': contract,
                    'document_date': date,
                    })
            values.append({
                    'name': f"Courrier {member.number}.txt",
                    'resource': str(member),
                    'data': "Relance de la déclaration annuelle.\n".encode(),
                    'spsti_type': letter,
                    'document_date': date,
                    })
        Attachment.create(values)
        ctx.report.append(f"documents: {len(values)} filed")

    @classmethod
    def generate_dashboards(cls, ctx):
        "The dashboard of every professional with a login."
        Professional = Pool().get('spsti.professional')
        Professional.setup_dashboard(
            Professional.search([('user', '!=', None)]))
