"Demo visit history and the échéancier computed for the demo workforce."
import datetime as dt
from collections import defaultdict

from sql.conditionals import Coalesce

from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .slot import timezone, to_utc
from .visit_request import CREATE_SLICE

# Declared work stoppages: (kind, weight, lengths in days to pick from).
STOPPAGES = [
    ('sickness', 70, [3, 5, 8, 15, 21, 30, 45, 60, 75, 90, 120, 180]),
    ('work_accident', 15, [4, 10, 20, 30, 45, 60, 90]),
    ('occupational_disease', 5, [30, 60, 120, 200]),
    ]
MATERNITY_DAYS = [112, 126, 182]
# The outcome a visit done gives, by the outcome of its type.
OUTCOMES = {'aptitude': 'fit', 'report': 'report',
    'attestation': 'attestation', 'certificate': 'certificate'}


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
        "The visit history and the declared stoppages, then the échéancier."
        VisitRequest = Pool().get('spsti.visit.request')
        cls.generate_visit_history(ctx)
        count = VisitRequest.compute_all_due_visits()
        ctx.report.append(f"échéancier computed for {count} assignments")

    @classmethod
    def generate_visit_history(cls, ctx):
        """Most posts had their initial visit near its due date and their
        periodic and mid-career visits, some late, some missed from then on;
        a few employees had a work stoppage declared in the last two years,
        most of them back at work and seen for their return visit. The
        dates follow the periodicity rules in force; read and written
        set-wise; nothing is done when visits exist."""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        VisitType = pool.get('spsti.visit.type')
        Stoppage = pool.get('spsti.work_stoppage')
        if VisitRequest.search([], limit=1):
            return
        rng = ctx.rng
        types = {t.code: t for t in VisitType.search([])}
        rules, ages = cls._demo_rules()
        returns = {}
        today = dt.date.today()
        history, stoppages = [], []
        for (assignment, employee, member, start, end, category, sex,
                birth) in cls._demo_posts():
            stop = min(end or today, today)
            visits = cls._demo_visits(ctx, rules.get(category), start, stop)
            visits += cls._demo_mid_career(ctx, ages, start, stop, birth)
            stoppage = cls._demo_stoppage(ctx, sex, start, stop)
            if stoppage:
                stoppages.append({
                        'employee': employee,
                        'member': member,
                        **stoppage,
                        })
                # Most of those due are seen in the days after the return.
                rule = cls._demo_return_rule(returns, stoppage)
                back = (stoppage['end_date']
                    + dt.timedelta(days=rng.randint(2, 9))
                    if rule else None)
                if back and back <= stop and rng.random() < 0.6:
                    visits.append((rule.visit_type.code, back))
            for code, date in visits:
                outcome = OUTCOMES.get(types[code].outcome)
                if outcome == 'fit' and rng.random() < 0.04:
                    outcome = 'fit_with_adjustment'
                history.append({
                        'employee': employee,
                        'assignment': assignment,
                        'member': member,
                        'visit_type': types[code].id,
                        'origin': 'engine',
                        'request_date': date - dt.timedelta(days=30),
                        'due_date': date,
                        'state': 'done',
                        'done_date': date,
                        'outcome': outcome,
                        })
        for sub in grouped_slice(history, CREATE_SLICE):
            VisitRequest.create(list(sub))
        # The stoppages last: their creation computes what is due for
        # their employees, from the history.
        for sub in grouped_slice(stoppages, CREATE_SLICE):
            Stoppage.create(list(sub))
        ctx.report.append(f"visits: {len(history)} done in the history, "
            f"{len(stoppages)} work stoppages")

    @classmethod
    def _demo_rules(cls):
        """The general rules in force today: by category code, the initial
        one and the periodic ones as (visit type code, reference type codes,
        rule); and the age rules."""
        Rule = Pool().get('spsti.periodicity.rule')
        rules = defaultdict(lambda: {'initial': None, 'periodic': []})
        ages = []
        for rule in Rule.rules_at(dt.date.today()):
            if not rule.mandatory or rule.risk or rule.condition:
                continue
            if rule.reference == 'age':
                ages.append(rule)
            elif rule.category and rule.reference == 'assignment_start':
                rules[rule.category.code]['initial'] = rule
            elif rule.category and rule.reference == 'previous_visit':
                rules[rule.category.code]['periodic'].append((
                        rule.visit_type.code,
                        {t.code for t in rule.reference_visit_types}
                        or {rule.visit_type.code}, rule))
        return rules, ages

    @classmethod
    def _demo_posts(cls):
        """The assignments as (id, employee, member, start, end, category
        code, sex and birth date of the employee), in one query."""
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        Category = pool.get('spsti.follow_up.category')
        Employee = pool.get('spsti.employee')
        assignment, category = Assignment.__table__(), Category.__table__()
        employee = Employee.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*assignment.join(category, condition=category.id
                == Coalesce(assignment.category_override, assignment.category)
                ).join(employee,
                condition=employee.id == assignment.employee).select(
                assignment.id, assignment.employee, assignment.member,
                assignment.start_date, assignment.end_date, category.code,
                employee.sex, employee.birth_date,
                order_by=[assignment.id]))
        return cursor.fetchall()

    @staticmethod
    def _demo_visits(ctx, rules, start, stop):
        """The visits done (visit type code, date) of a post held from
        start to stop under rules (of _demo_rules): the initial one and the
        periodic ones around their due dates, until one is missed."""
        rng = ctx.rng
        if not rules or not rules['initial'] or rng.random() > 0.85:
            return []
        initial = rules['initial']
        code = initial.visit_type.code
        date = initial.compute_due_date(start) - dt.timedelta(
            days=rng.randint(-10, 20 if initial.direction == 'before' else 60))
        visits = []
        while date <= stop:
            visits.append((code, date))
            # Missed from then on: the post is overdue.
            if rng.random() < 0.1:
                break
            # The periodic visit due first (the SIR intermediate visit is
            # not due again before the next exam).
            dues = []
            for type_code, references, rule in rules['periodic']:
                last = max((d for c, d in visits if c in references),
                    default=None)
                if not last or (type_code not in references
                        and any(c == type_code and d >= last
                            for c, d in visits)):
                    continue
                dues.append((rule.compute_due_date(last), type_code))
            if not dues:
                break
            due, code = min(dues)
            date = due + dt.timedelta(days=rng.randint(-90, 45))
        return visits

    @staticmethod
    def _demo_mid_career(ctx, ages, start, stop, birth):
        "Most mid-career visits due while the post was held were done."
        visits = []
        for rule in ages:
            earliest = max(rule.compute_earliest_date(birth), start,
                rule.start_date or start)
            latest = min(rule.compute_due_date(birth), stop)
            if earliest <= latest and ctx.rng.random() < 0.7:
                visits.append((rule.visit_type.code, earliest
                        + dt.timedelta(days=ctx.rng.randint(
                                0, (latest - earliest).days))))
        return visits

    @staticmethod
    def _demo_return_rule(returns, stoppage):
        """The return-to-work rule of an ended stoppage, if one is due;
        returns caches the rules by date of return."""
        Rule = Pool().get('spsti.periodicity.rule')
        if not stoppage['end_date']:
            return None
        back = stoppage['end_date'] + dt.timedelta(days=1)
        if back not in returns:
            returns[back] = [r for r in Rule.rules_at(back)
                if r.reference == 'return_to_work' and r.mandatory]
        return Rule.select(returns[back], stoppage=stoppage['kind'],
            stoppage_days=(back - stoppage['start_date']).days)

    @staticmethod
    def _demo_stoppage(ctx, sex, start, stop):
        """A work stoppage declared in the last two years for a few posts,
        as values (kind, first and last day off) or None."""
        rng = ctx.rng
        if sex == 'F' and rng.random() < 0.03:
            kind, lengths = 'maternity', MATERNITY_DAYS
        elif rng.random() < 0.07:
            kind, _, lengths = rng.choices(STOPPAGES,
                weights=[w for _, w, _ in STOPPAGES])[0]
        else:
            return None
        today = dt.date.today()
        first = today - dt.timedelta(days=rng.randint(5, 730))
        if not start < first <= stop:
            return None
        last = first + dt.timedelta(days=rng.choice(lengths) - 1)
        return {
            'kind': kind,
            'start_date': first,
            'end_date': last if last < today else None,
            }

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
