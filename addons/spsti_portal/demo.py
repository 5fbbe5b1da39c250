"""Demo portal accounts: an employer administrator, its external
accountant and an employee, all with the password of the demo users so
that the portal can be tried without a mail server."""
from trytond.pool import Pool, PoolMeta

DEMO_PASSWORD = 'spsti-demo'
EMPLOYER_EMAIL = 'employeur@example.org'
ACCOUNTANT_EMAIL = 'comptable@example.org'
EMPLOYEE_EMAIL = 'salarie@example.org'


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        cls.generate_portal_accounts(ctx)

    @classmethod
    def generate_portal_accounts(cls, ctx):
        pool = Pool()
        User = pool.get('web.user')
        Access = pool.get('spsti.portal.member_access')
        VisitRequest = pool.get('spsti.visit.request')
        Consultation = pool.get('spsti.dmst.consultation')
        Declaration = pool.get('spsti.declaration')
        if User.search([('email', '=', EMPLOYER_EMAIL)]):
            return
        # The member with the most open visit requests shows the most,
        # preferably one with an employee whose visit is booked and who has
        # an opinion issued: that employee gets the employee account.
        requests = VisitRequest.search([
                ('state', 'in', ['to_plan', 'planned']),
                ('origin', '!=', 'employee'),
                ], order=[('member', 'ASC'), ('id', 'ASC')])
        if not requests:
            return
        by_member = {}
        for request in requests:
            by_member.setdefault(request.member, []).append(request)
        with_opinion = {c.file.employee for c in Consultation.search([
                    ('file.employee', 'in', [r.employee.id for r in requests
                            if r.state == 'planned']),
                    ('state', '=', 'issued'),
                    ])}

        def shown(request):
            return request.state == 'planned' and (
                request.employee in with_opinion)
        member = max(by_member, key=lambda m: (
                any(shown(r) for r in by_member[m]), len(by_member[m])))
        employee = min(by_member[member],
            key=lambda r: (not shown(r), r.state != 'planned', r.id)
            ).employee
        employer, accountant, _ = User.create([{
                    'email': EMPLOYER_EMAIL,
                    'password': DEMO_PASSWORD,
                    }, {
                    'email': ACCOUNTANT_EMAIL,
                    'password': DEMO_PASSWORD,
                    }, {
                    'email': EMPLOYEE_EMAIL,
                    'password': DEMO_PASSWORD,
                    'employee': employee.id,
                    }])
        Access.create([{
                    'web_user': employer.id,
                    'member': member.id,
                    'administrator': True,
                    }, {
                    'web_user': accountant.id,
                    'member': member.id,
                    'billing': True,
                    'external': True,
                    'invited_by': employer.id,
                    }])
        # The campaign of next year's declaration is open for the member,
        # to be checked and validated on the portal.
        today = pool.get('ir.date').today()
        Declaration.open_year(today.year + 1, members=[member],
            reference_date=today)
        ctx.report.append(f"portal: {EMPLOYER_EMAIL} (administrator of "
            f"{member.rec_name}), {ACCOUNTANT_EMAIL}, {EMPLOYEE_EMAIL} "
            f"(employee {employee.rec_name})")
