"""Demo of self-booking: the policy of each visit type, the video tool of
the service, the consents of the employees booked on teleconsultation
slots, free slots beyond the planned weeks, and a visit the demo employee
asked for, to book on the portal."""
import datetime as dt

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Visit type code: (booking policy, presence required). Aptitude exams and
# return-to-work visits stay with the staff and in person.
POLICIES = {
    'VIP-I': ('online', False),
    'VIP-P': ('online', False),
    'SIR-INT': ('online', False),
    'MICARRIERE': ('online', False),
    'DEMANDE': ('online', False),
    'SIR-I': ('staff', True),
    'SIR-P': ('staff', True),
    'REPRISE': ('staff', True),
    'POSTEXPO': ('staff', True),
    }
VIDEO_LINK_PATTERN = 'https://visio.example.org/spsti/{room}'
# Weeks of free slots opened after the weeks the demo agendas plan.
OPEN_WEEKS = 4


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        Configuration = Pool().get('spsti.adherent.configuration')
        first_run = not Configuration(1).video_link_pattern
        if first_run:
            # Before the agendas are planned, so that mass planning keeps
            # the visits requiring presence off teleconsultation slots.
            cls.generate_booking_policies()
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_teleconsultation_consents(ctx)
            if first_run:
                cls.generate_self_booking(ctx)

    @classmethod
    def generate_booking_policies(cls):
        VisitType = Pool().get('spsti.visit.type')
        args = []
        for visit_type in VisitType.search(
                [('code', 'in', list(POLICIES))]):
            policy, presence = POLICIES[visit_type.code]
            args.extend(([visit_type], {
                        'booking_policy': policy,
                        'presence_required': presence,
                        }))
        if args:
            VisitType.write(*args)

    @classmethod
    def generate_teleconsultation_consents(cls, ctx):
        """The planning assistant recorded, by phone, the consent of the
        employees whose visit the agendas booked on a teleconsultation
        slot."""
        pool = Pool()
        Slot = pool.get('spsti.slot')
        User = pool.get('res.user')
        VisitRequest = pool.get('spsti.visit.request')
        requests = [s.request for s in Slot.search([
                    ('state', '=', 'booked'),
                    ('teleconsultation', '=', True),
                    ('request', '!=', None),
                    ('request.teleconsultation_consent', '=', None),
                    ])]
        if not requests:
            return
        users = User.search([('login', '=', 'planification')], limit=1)
        VisitRequest.record_teleconsultation_consent(requests, 'phone',
            users[0].rec_name if users else User(0).rec_name,
            dt.datetime.now())
        ctx.report.append(f"teleconsultation: {len(requests)} consents "
            "recorded by phone")

    @classmethod
    def generate_self_booking(cls, ctx):
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        Slot = pool.get('spsti.slot')
        WorkTime = pool.get('spsti.professional.work_time')
        configuration = Configuration(1)
        configuration.video_link_pattern = VIDEO_LINK_PATTERN
        configuration.save()
        # The agendas demo plans its first weeks from the backlog: the
        # weeks after are left free for the portal.
        last = Slot.search([], order=[('start', 'DESC')], limit=1)
        professionals = list({w.professional for w in WorkTime.search([])})
        if not last or not professionals:
            return
        start = last[0].start.date() + dt.timedelta(days=1)
        slots = Slot.generate(professionals, start,
            start + dt.timedelta(weeks=OPEN_WEEKS))
        requested = cls.generate_employee_request()
        ctx.report.append(f"self-booking: {len(slots)} free slots opened, "
            f"{requested} visit asked by the demo employee")

    @classmethod
    def generate_employee_request(cls):
        """The demo employee asks for a visit (visite à la demande) to book
        on the portal."""
        pool = Pool()
        User = pool.get('web.user')
        VisitType = pool.get('spsti.visit.type')
        VisitRequest = pool.get('spsti.visit.request')
        users = User.search([('employee', '!=', None)], limit=1)
        demande = VisitType.search([('code', '=', 'DEMANDE')], limit=1)
        if not users or not demande:
            return 0
        employee = users[0].employee
        today = dt.date.today()
        assignments = [a for a in employee.assignments
            if not a.end_date or a.end_date >= today]
        if not assignments:
            return 0
        VisitRequest.create([{
                    'employee': employee.id,
                    'assignment': assignments[0].id,
                    'member': assignments[0].member.id,
                    'visit_type': demande[0].id,
                    'origin': 'employee',
                    'priority': '3',
                    'reason': "Gêne au poste de travail depuis quelques "
                    "semaines.",
                    }])
        return 1
