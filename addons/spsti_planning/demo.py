"Demo visit history and the échéancier computed for the demo workforce."
import datetime as dt
from collections import defaultdict

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .slot import timezone, to_utc

INITIAL = {'SIG': 'VIP-I', 'SIA': 'VIP-I', 'SIR': 'SIR-I'}
OUTCOME = {'VIP-I': 'attestation', 'SIR-I': 'fit'}


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_visits(ctx)
            cls.generate_agendas(ctx)

    @classmethod
    def generate_visits(cls, ctx):
        """Most posts older than a year had their initial visit a month
        after the start; then the engine computes what is due."""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Assignment = pool.get('spsti.assignment')
        VisitType = pool.get('spsti.visit.type')
        if VisitRequest.search([], limit=1):
            return
        types = {t.code: t for t in VisitType.search([])}
        year_ago = dt.date.today() - dt.timedelta(days=365)
        history = []
        for assignment in Assignment.search([('start_date', '<', year_ago)]):
            if ctx.rng.random() > 0.8:
                continue
            code = INITIAL[assignment.effective_category.code]
            date = assignment.start_date + dt.timedelta(days=30)
            history.append({
                    'employee': assignment.employee.id,
                    'assignment': assignment.id,
                    'member': assignment.member.id,
                    'visit_type': types[code].id,
                    'origin': 'engine',
                    'request_date': assignment.start_date,
                    'due_date': date,
                    'state': 'done',
                    'done_date': date,
                    'outcome': OUTCOME[code],
                    })
        VisitRequest.create(history)
        count = VisitRequest.compute_all_due_visits()
        ctx.report.append(f"visits: {len(history)} done in the history, "
            f"échéancier computed for {count} assignments")

    @classmethod
    def generate_agendas(cls, ctx, weeks=3):
        """The doctors and nurses of the teams receive at their centre on
        weekday mornings (nurses also Thursday afternoon); their slots of
        the next weeks are generated and each day is planned from the
        backlog."""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        WorkTime = pool.get('spsti.professional.work_time')
        Professional = pool.get('spsti.professional')
        if WorkTime.search([], limit=1):
            return
        professionals = Professional.search([
                ('profession.code', 'in', ['MDT', 'IDEST']),
                ('centre', '!=', None),
                ('team_members', '!=', None),
                ])
        rooms = defaultdict(list)
        for professional in professionals:
            rooms[professional.centre].append(professional)
        values = []
        for centre, staff in rooms.items():
            consultation = [r for r in centre.rooms
                if r.kind == 'consultation']
            for i, professional in enumerate(staff):
                room = consultation[i % len(consultation)]
                # Beyond the rooms, the professional consults remotely.
                remote = i >= len(consultation)
                days = range(5) if professional.doctor else [0, 1, 3]
                for day in days:
                    values.append({
                            'professional': professional.id,
                            'weekday': str(day),
                            'start_time': dt.time(8, 30),
                            'end_time': dt.time(12),
                            'centre': centre.id,
                            'room': None if remote else room.id,
                            'teleconsultation': remote,
                            })
                if not professional.doctor:
                    values.append({
                            'professional': professional.id,
                            'weekday': '3',
                            'start_time': dt.time(14),
                            'end_time': dt.time(17),
                            'centre': centre.id,
                            'room': None if remote else room.id,
                            'teleconsultation': remote,
                            'slot_duration': 20,
                            })
        WorkTime.create(values)
        today = dt.date.today()
        slots = Slot.generate(professionals, today,
            today + dt.timedelta(weeks=weeks))
        booked = 0
        for day in sorted({s.start.date() for s in slots}):
            for professional in professionals:
                booked += len(Slot.plan_day(professional, day))
        actions = cls.generate_workplace_actions(ctx, professionals, today)
        ctx.report.append(f"agendas: {len(slots)} slots, {booked} booked, "
            f"{actions} workplace actions")

    @classmethod
    def generate_workplace_actions(cls, ctx, professionals, today):
        """Each team's doctor and a nurse (the one with a login first) visit
        a member's site on Tuesday afternoons, from three weeks ago (done,
        with their report) to the next weeks (planned)."""
        pool = Pool()
        WorkplaceAction = pool.get('spsti.workplace_action')
        Type = pool.get('spsti.workplace_action.type')
        Member = pool.get('spsti.member')
        tz = timezone()
        types = Type.search([('code', 'in', ['VISITE', 'ETUDE', 'METRO.BRUIT',
                        'SENSIB'])])
        by_team = defaultdict(list)
        for professional in professionals:
            for team_member in professional.team_members:
                by_team[team_member.team].append(professional)
        tuesday = today + dt.timedelta(days=1 - today.weekday())
        values = []
        for team, staff in by_team.items():
            doctors = [p for p in staff if p.doctor]
            nurses = sorted((p for p in staff if not p.doctor),
                key=lambda p: (p.user is None, p.id))
            members = Member.search([('team', '=', team.id),
                    ('state', '=', 'member')], limit=6)
            for week, member in zip([0, -1, 1, -2, 2, -3], members):
                day = tuesday + dt.timedelta(weeks=week)
                type_ = ctx.rng.choice(types)
                start = dt.datetime.combine(day, dt.time(14))
                values.append({
                        'type': type_.id,
                        'member': member.id,
                        'establishment': (member.establishments[0].id
                            if member.establishments else None),
                        'team': team.id,
                        'theme': type_.name,
                        'start': to_utc(start, tz),
                        'end': to_utc(start + dt.timedelta(hours=2), tz),
                        'participants': [('add',
                                [p.id for p in doctors[:1] + nurses[:1]])],
                        })
        actions = WorkplaceAction.create(values)
        WorkplaceAction.plan(actions)
        past = [a for a in actions if a.start.date() < today]
        WorkplaceAction.write(past, {'report': "Visite réalisée avec le "
                "responsable sécurité ; recommandations remises à "
                "l'employeur."})
        WorkplaceAction.do(past)
        return len(actions)
