"""The portal's pages through trytond's WSGI application: sign-in by code
and password, sessions, CSRF, what each profile and the employee see, and
what they may do."""
import datetime as dt
import re

import facturx

from trytond.modules.spsti_adherent.tests.tools import siren, siret
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_facturation.tests.tools import (
    billing_run, member_with_workers, setup_billing, validated_declarations)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from .tools import BASE, PortalRouteTestMixin, next_monday

ADMIN = 'dirigeant@garage-martin.fr'
ACCOUNTANT = 'cabinet@compta.fr'
EMPLOYEE = 'salarie0@garage-martin.fr'
PASSWORD = 'Portail-2026!'


class SpstiPortalRouteTestCase(PortalRouteTestMixin, RouteTestCase):
    "Test the pages of spsti_portal"

    @classmethod
    def create_data(cls):
        """Two members billed for the year; at the first one, an employee
        with a visit booked next Monday and an issued opinion, another
        who asked for a visit himself; its administrator, its accountant
        (billing only) and the first employee have portal accounts."""
        pool = Pool()
        User = pool.get('web.user')
        Access = pool.get('spsti.portal.member_access')
        VisitRequest = pool.get('spsti.visit.request')
        VisitType = pool.get('spsti.visit.type')
        WorkTime = pool.get('spsti.professional.work_time')
        Slot = pool.get('spsti.slot')
        MedicalFile = pool.get('spsti.dmst')
        Consultation = pool.get('spsti.dmst.consultation')
        Address = pool.get('party.address')
        org = setup_billing()
        with Transaction().set_context(company=org['company'].id):
            # The service's direct debit journal, before any member.
            ctx = DemoContext(0, 0, seed=3)
            ctx.company = org['company']
            pool.get('spsti.demo').generate_sepa(ctx)
            member, _, employees = member_with_workers(
                "Garage Martin", 201, 2)
            other, _, _ = member_with_workers("Boulangerie Petit", 202, 1)
            # EN 16931 needs the buyer's country.
            Address.write(list(member.party.addresses), {
                    'country': org['company'].party.addresses[0].country.id})
            validated_declarations([member, other])
            run = billing_run(org['scale'])
            # The year's invoices have due dates already past.
            with Transaction().set_context(_skip_warnings=True):
                run.__class__.post_drafts([run])
            VisitRequest.compute_due_visits(
                [a for e in employees for a in e.assignments])
            nurse = org['nurse']
            WorkTime.create([{
                        'professional': nurse.id,
                        'weekday': '0',
                        'start_time': dt.time(9),
                        'end_time': dt.time(12),
                        'centre': nurse.centre.id,
                        'room': nurse.centre.rooms[0].id,
                        'slot_duration': 30,
                        }])
            slot = Slot.generate([nurse], next_monday(), next_monday())[0]
            booked, = VisitRequest.search([
                    ('employee', '=', employees[0].id),
                    ('state', '=', 'to_plan'),
                    ], limit=1)
            Slot.book([slot], [booked])
            demande, = VisitType.search([('code', '=', 'DEMANDE')])
            VisitRequest.create([{
                        'employee': employees[1].id,
                        'assignment': employees[1].assignments[0].id,
                        'member': member.id,
                        'visit_type': demande.id,
                        'origin': 'employee',
                        'reason': "Souffrance au travail",
                        }])
            file, = MedicalFile.get_or_create([employees[0]])
            consultation, = Consultation.create([{
                        'file': file.id,
                        'visit_type': booked.visit_type.id,
                        'professional': nurse.id,
                        'date': dt.date.today() - dt.timedelta(days=400),
                        'anamnesis': "Lombalgies",
                        'outcome': 'attestation',
                        }])
            Consultation.issue([consultation])
        admin, accountant, employee = User.create([{
                    'email': ADMIN,
                    'password': PASSWORD,
                    }, {
                    'email': ACCOUNTANT,
                    }, {
                    'email': EMPLOYEE,
                    'employee': employees[0].id,
                    }])
        Access.create([{
                    'web_user': admin.id,
                    'member': member.id,
                    'administrator': True,
                    }, {
                    'web_user': accountant.id,
                    'member': member.id,
                    'billing': True,
                    'external': True,
                    }])

    def setUp(self):
        super().setUp()
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Member = pool.get('spsti.member')
            Employee = pool.get('spsti.employee')
            self.member, = Member.search([('party.name', '=',
                        "Garage Martin")])
            self.other, = Member.search([('party.name', '=',
                        "Boulangerie Petit")])
            employees = Employee.search([
                    ('assignments.member', '=', self.member.id)],
                order=[('id', 'ASC')])
            self.employees = [e.id for e in employees]
            self.last_names = [e.last_name for e in employees]
            self.assignments = [e.assignments[0].id for e in employees]

    def get(self, path, **kwargs):
        return self.client.get(self.url(path), base_url=BASE, **kwargs)

    def post(self, path, data=None, csrf=True):
        data = dict(data or {})
        if csrf:
            data['csrf_token'] = self.csrf()
        return self.client.post(self.url(path), data=data, base_url=BASE)

    def sign_in(self, email):
        "Sign in with the code the SMTP server received."
        self.client.delete_cookie('spsti_portal_session',
            domain='localhost', path=self.url())
        self.smtp.messages.clear()
        response = self.post('/login', {'email': email, 'action': 'code'})
        self.assertEqual(response.status_code, 303)
        response = self.post('/login/code', {
                'email': email, 'code': self.smtp.code_for(email)})
        self.assertEqual(response.status_code, 303)
        return response

    def test_sign_in_required(self):
        "Pages redirect to the sign-in; the sign-in page is French"
        response = self.get(f'/m/{self.member.id}/')
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.location.endswith('/portal/login'))
        response = self.get('/login')
        self.assertIn('Recevoir un code de connexion', response.text)
        self.assertEqual(response.headers['X-Frame-Options'], 'DENY')
        cookie = self.client.get_cookie('spsti_portal_csrf',
            domain='localhost', path=self.url())
        self.assertTrue(cookie.secure and cookie.http_only)

    def test_csrf(self):
        "A form posted without the token of its cookie is refused"
        response = self.post('/login', {'email': ADMIN, 'action': 'code'},
            csrf=False)
        self.assertEqual(response.status_code, 400)
        self.get('/login')
        response = self.client.post(self.url('/login'), base_url=BASE,
            data={'email': ADMIN, 'csrf_token': 'forged'})
        self.assertEqual(response.status_code, 400)

    def test_code_sign_in_and_logout(self):
        "The code received by email opens a session; logout closes it"
        response = self.sign_in(ADMIN)
        session = self.client.get_cookie('spsti_portal_session',
            domain='localhost', path=self.url())
        self.assertTrue(session.secure and session.http_only)
        self.assertEqual(session.same_site, 'Lax')
        # The only member of the administrator opens at once.
        response = self.get('/')
        self.assertTrue(response.location.endswith(f'/m/{self.member.id}/'))
        response = self.get(f'/m/{self.member.id}/')
        self.assertIn("Garage Martin", response.text)
        self.assertIn("Reste à payer", response.text)
        self.post('/logout')
        self.assertEqual(self.get(f'/m/{self.member.id}/').status_code, 303)

        # A deactivated account loses its open session.
        self.sign_in(ADMIN)
        with Transaction().start(DB_NAME, 0) as transaction:
            User = Pool().get('web.user')
            admin, = User.search([('email', '=', ADMIN)])
            User.write([admin], {'active': False})
            transaction.commit()
        try:
            self.assertEqual(
                self.get(f'/m/{self.member.id}/').status_code, 303)
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                User.write([admin], {'active': True})
                transaction.commit()

    def test_wrong_code_and_rate_limit(self):
        "Wrong codes are refused, then the address is rate-limited"
        self.post('/login', {'email': ACCOUNTANT, 'action': 'code'})
        code = self.smtp.code_for(ACCOUNTANT)
        wrong = f'{(int(code) + 1) % 10**6:06d}'
        response = self.post('/login/code', {
                'email': ACCOUNTANT, 'code': wrong})
        self.assertEqual(response.status_code, 401)
        self.assertIn("plus valable", response.text)
        for _ in range(6):
            response = self.post('/login/code', {
                    'email': ACCOUNTANT, 'code': wrong})
        self.assertIn("Trop de tentatives", response.text)

    def test_password_sign_in(self):
        "A user who chose a password may use it"
        response = self.post('/login', {'email': ADMIN, 'action': 'password',
                'password': 'wrong'})
        self.assertEqual(response.status_code, 401)
        response = self.post('/login', {'email': ADMIN, 'action': 'password',
                'password': PASSWORD})
        self.assertEqual(response.status_code, 303)

    def test_session_expires(self):
        "A session unused for longer than the timeout is closed"
        self.sign_in(ADMIN)
        with Transaction().start(DB_NAME, 0):
            table = Pool().get('web.user.session').__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.write_date],
                    [dt.datetime.now() - dt.timedelta(days=365)]))
        self.assertEqual(self.get(f'/m/{self.member.id}/').status_code, 303)

    def test_employer_scope(self):
        """An employer sees its member only; the accountant only billing;
        the employee's own request is hidden from the employer"""
        self.sign_in(ACCOUNTANT)
        self.assertEqual(
            self.get(f'/m/{self.member.id}/invoices').status_code, 200)
        for path in ['employees', 'visits', 'users']:
            self.assertEqual(self.get(
                    f'/m/{self.member.id}/{path}').status_code, 404, path)
        self.assertEqual(self.get(f'/m/{self.other.id}/').status_code, 404)
        self.assertEqual(self.get('/me').status_code, 404)

        self.sign_in(ADMIN)
        response = self.get(f'/m/{self.member.id}/employees')
        for last_name in self.last_names:
            self.assertIn(last_name.upper(), response.text)
        response = self.get(f'/m/{self.member.id}/visits')
        self.assertIn(self.last_names[0].upper(), response.text)
        self.assertNotIn("Visite à la demande", response.text)
        self.assertNotIn("Souffrance", response.text)
        self.assertEqual(
            self.get(f'/m/{self.other.id}/visits').status_code, 404)

    def test_employer_invoice_pdf(self):
        "The billing profile downloads its Factur-X invoice"
        self.sign_in(ACCOUNTANT)
        response = self.get(f'/m/{self.member.id}/invoices')
        path, = re.findall(r'/invoices/(\d+)\.pdf', response.text)
        response = self.get(f'/m/{self.member.id}/invoices/{path}.pdf')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'application/pdf')
        self.assertTrue(response.data.startswith(b'%PDF'))
        filename, xml = facturx.get_xml_from_pdf(response.data)
        self.assertEqual(filename, 'factur-x.xml')
        self.assertIn(b'Garage Martin', xml)

    def test_employer_pays_by_direct_debit(self):
        """The billing profile pays an invoice by SEPA direct debit once
        the member's mandate is validated, once"""
        pool = Pool(DB_NAME)
        self.sign_in(ACCOUNTANT)
        response = self.get(f'/m/{self.member.id}/invoices')
        self.assertNotIn("Payer par prélèvement", response.text)
        invoice, = re.findall(r'/invoices/(\d+)\.pdf', response.text)
        path = f'/m/{self.member.id}/invoices/{invoice}/pay'
        response = self.post(path)
        self.assertEqual(response.status_code, 400)
        self.assertIn("pourra être payée par prélèvement", response.text)

        with Transaction().start(DB_NAME, 0) as transaction:
            Mandate = pool.get('account.payment.sepa.mandate')
            member = pool.get('spsti.member')(self.member.id)
            member.request_mandate('FR1420041010050500013M02606')
            Mandate.validate_mandate(member.party.sepa_mandates)
            transaction.commit()
        response = self.get(f'/m/{self.member.id}/invoices')
        self.assertIn("Payer par prélèvement", response.text)
        response = self.post(path)
        self.assertEqual(response.status_code, 303)
        self.assertIn("prélèvement de la facture est enregistré",
            self.get(response.location.split('/portal', 1)[1]).text)
        with Transaction().start(DB_NAME, 0):
            Invoice = pool.get('account.invoice')
            Payment = pool.get('account.payment')
            invoice = Invoice(int(invoice))
            payments = Payment.search([
                    ('line', 'in', [l.id for l in invoice.lines_to_pay])])
            self.assertEqual([p.state for p in payments],
                ['submitted'] * len(invoice.lines_to_pay))
            # Nothing was paid before: the payments are the whole invoice
            # (of which amount_to_pay now deducts them).
            self.assertEqual(sum(p.amount for p in payments),
                invoice.total_amount)
            self.assertEqual(invoice.amount_to_pay, 0)
        response = self.post(path)
        self.assertEqual(response.status_code, 400)
        self.assertIn("échéance à prélever", response.text)

    def test_employer_visit_requests(self):
        """The employer asks for a visit, cancels it, asks for another date
        of a booked one and downloads its convocation"""
        pool = Pool(DB_NAME)
        self.sign_in(ADMIN)
        employee, assignment = self.employees[1], self.assignments[1]
        with Transaction().start(DB_NAME, 0, readonly=True):
            VisitType = pool.get('spsti.visit.type')
            demande, = VisitType.search([('code', '=', 'DEMANDE')])
        response = self.get(f'/m/{self.member.id}/visits?assignment='
            f'{assignment}')
        self.assertIn("Demander une visite pour", response.text)
        response = self.post(f'/m/{self.member.id}/visits', {
                'assignment': assignment,
                'visit_type': demande.id,
                'reason': "Conflit dans l'équipe",
                })
        self.assertEqual(response.status_code, 303)
        with Transaction().start(DB_NAME, 0) as transaction:
            VisitRequest = pool.get('spsti.visit.request')
            request, = VisitRequest.search([
                    ('employee', '=', employee),
                    ('origin', '=', 'employer'),
                    ])
            self.assertIn(ADMIN, request.reason)
            booked, = VisitRequest.search([('state', '=', 'planned')])
            slot = booked.slot.id
            VisitRequest.write([booked], {'confirmed': dt.datetime.now()})
            transaction.commit()
        response = self.get(
            f'/m/{self.member.id}/convocations/{slot}.pdf')
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.data.startswith(b'%PDF'))
        # The regulatory visit cannot be cancelled by the employer.
        response = self.post(
            f'/m/{self.member.id}/visits/{booked.id}/cancel',
            {'reason': "Salarié absent"})
        self.assertEqual(response.status_code, 403)
        response = self.post(
            f'/m/{self.member.id}/visits/{request.id}/cancel',
            {'reason': "Conflit réglé"})
        self.assertEqual(response.status_code, 303)
        response = self.post(
            f'/m/{self.member.id}/visits/{booked.id}/reschedule',
            {'reason': "Salarié en déplacement"})
        self.assertEqual(response.status_code, 303)
        with Transaction().start(DB_NAME, 0, readonly=True):
            request = VisitRequest(request.id)
            booked = VisitRequest(booked.id)
            self.assertEqual(request.state, 'cancelled')
            self.assertIn("Conflit réglé", request.cancel_reason)
            self.assertEqual(booked.state, 'to_plan')
            self.assertIsNone(booked.slot)
            self.assertIn("déplacement", booked.reschedule_reason)
            self.assertIsNone(booked.confirmed)

    def test_administrator_invites(self):
        "The administrator invites a user, who signs in with a code"
        self.sign_in(ADMIN)
        response = self.post(f'/m/{self.member.id}/users', {
                'email': 'rh@garage-martin.fr', 'declaration': '1'})
        self.assertEqual(response.status_code, 303)
        self.assertIn('rh@garage-martin.fr',
            self.get(f'/m/{self.member.id}/users').text)
        self.sign_in('rh@garage-martin.fr')
        self.assertEqual(
            self.get(f'/m/{self.member.id}/employees').status_code, 200)
        self.assertEqual(
            self.get(f'/m/{self.member.id}/invoices').status_code, 404)

    def test_employee_space(self):
        """The employee sees their visits, downloads their opinion (the
        access is logged), asks for a visit; never the employer space"""
        pool = Pool(DB_NAME)
        self.sign_in(EMPLOYEE)
        self.assertTrue(self.get('/').location.endswith('/portal/me'))
        self.assertEqual(self.smtp.messages[-1]['Subject'],
            "Votre code de connexion")
        response = self.get('/me')
        self.assertIn("Mes prochaines visites", response.text)
        self.assertIn("Ma convocation (PDF)", response.text)
        self.assertNotIn("Lombalgies", response.text)
        opinion, = re.findall(r'/me/opinions/(\d+)\.pdf', response.text)
        with Transaction().start(DB_NAME, 0, readonly=True):
            AccessLog = pool.get('spsti.dmst.access_log')
            logged = AccessLog.search_count([])
        booked, = re.findall(r'/me/visits/(\d+)/confirm', response.text)
        self.assertEqual(self.post(
                f'/me/visits/{booked}/confirm').status_code, 303)
        self.assertIn("Présence confirmée", self.get('/me').text)
        response = self.get(f'/me/opinions/{opinion}.pdf')
        self.assertTrue(response.data.startswith(b'%PDF'))
        self.assertEqual(self.get(f'/m/{self.member.id}/').status_code, 404)
        with Transaction().start(DB_NAME, 0, readonly=True):
            VisitType = pool.get('spsti.visit.type')
            log, = AccessLog.search([], order=[('id', 'DESC')], limit=1)
            self.assertEqual(AccessLog.search_count([]), logged + 1)
            self.assertEqual(log.kind, 'portal')
            self.assertEqual(log.web_user.email, EMPLOYEE)
            self.assertEqual(log.file.employee.id, self.employees[0])
            demande, = VisitType.search([('code', '=', 'DEMANDE')])
        response = self.post('/me', {
                'assignment': self.assignments[0],
                'visit_type': demande.id,
                'reason': "Douleurs au poste",
                })
        self.assertEqual(response.status_code, 303)
        # Another employee's assignment is refused.
        response = self.post('/me', {
                'assignment': self.assignments[1],
                'visit_type': demande.id,
                'reason': "Douleurs au poste",
                })
        self.assertEqual(response.status_code, 400)
        with Transaction().start(DB_NAME, 0, readonly=True):
            VisitRequest = pool.get('spsti.visit.request')
            self.assertEqual(VisitRequest.search_count([
                        ('employee', '=', self.employees[0]),
                        ('origin', '=', 'employee'),
                        ]), 1)

    def test_employer_entry_and_exit(self):
        """The declaration profile declares an entry (every wrong field
        told, nothing saved), a newcomer on a colleague's post with its
        exposures, and an exit"""
        pool = Pool(DB_NAME)
        with Transaction().start(DB_NAME, 0) as transaction:
            Exposure = pool.get('spsti.assignment.exposure')
            Risk = pool.get('spsti.risk')
            Establishment = pool.get('spsti.establishment')
            noise, = Risk.search([('code', '=', 'PHYS.BRUIT')])
            Exposure.create([{'assignment': self.assignments[0],
                        'risk': noise.id, 'source': 'employer'}])
            establishment, = Establishment.search([
                    ('member', '=', self.member.id)], limit=1)
            establishment = establishment.id
            transaction.commit()
        self.sign_in(ADMIN)
        path = f'/m/{self.member.id}/employees/new'
        self.assertIn("Déclarer une entrée", self.get(path).text)
        values = {
            'last_name': "", 'first_name': "Inès", 'birth_date': '1999-02-30',
            'sex': 'F', 'establishment': establishment,
            'contract_type': 'cdd', 'start_date': '2026-09-01',
            'job': 'zzzz',
            }
        response = self.post(path, values)
        self.assertIn("Nom de naissance", response.text)
        self.assertIn("1999-02-30", response.text)
        self.assertIn("zzzz", response.text)
        values.update(last_name="Moreau", birth_date='1999-02-28',
            job='431f')
        self.assertEqual(self.post(path, values).status_code, 303)
        response = self.post(path + f'?model={self.assignments[0]}',
            dict(values, last_name="Lefèvre", model=self.assignments[0]))
        self.assertEqual(response.status_code, 303)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Assignment = pool.get('spsti.assignment')
            moreau, = Assignment.search([
                    ('employee.last_name', '=', "Moreau")])
            self.assertEqual((moreau.source, moreau.contract_type,
                    moreau.start_date, moreau.job.code),
                ('portal', 'cdd', dt.date(2026, 9, 1), '431f'))
            lefevre, = Assignment.search([
                    ('employee.last_name', '=', "Lefèvre")])
            self.assertEqual([e.risk.code for e in lefevre.exposures],
                ['PHYS.BRUIT'])
            moreau = moreau.id
        exit_path = f'/m/{self.member.id}/employees/{moreau}/exit'
        response = self.post(exit_path, {'end_date': '2026-08-01'})
        self.assertEqual(response.status_code, 400)
        self.assertIn("01/09/2026", response.text)
        self.assertEqual(self.post(
                exit_path, {'end_date': '2026-12-31'}).status_code, 303)
        with Transaction().start(DB_NAME, 0, readonly=True):
            self.assertEqual(Assignment(moreau).end_date,
                dt.date(2026, 12, 31))

    def test_change_requests_and_activity(self):
        """The employer asks for a change of its data and the employee
        reports an error; the staff's answer shows on the portal; the
        member's page gives the service's activity by year"""
        pool = Pool(DB_NAME)
        self.sign_in(ADMIN)
        response = self.get(f'/m/{self.member.id}/')
        self.assertIn("Actions en milieu de travail", response.text)
        self.assertIn(str(dt.date.today().year), response.text)
        self.post(f'/m/{self.member.id}/changes',
            {'description': "Nouvelle adresse du siège : 3 rue Haute"})
        self.sign_in(EMPLOYEE)
        self.post('/me/report', {'description': "Mon prénom est Rémy"})
        with Transaction().start(DB_NAME, 0) as transaction:
            ChangeRequest = pool.get('spsti.portal.change_request')
            company, = ChangeRequest.search([('kind', '=', 'company')])
            self.assertEqual(company.member.id, self.member.id)
            employee, = ChangeRequest.search([('kind', '=', 'employee')])
            self.assertEqual(employee.employee.id, self.employees[0])
            employee.answer = "Corrigé"
            employee.save()
            ChangeRequest.done([employee])
            transaction.commit()
        self.assertIn("Corrigé", self.get('/me').text)

    def test_declaration_and_satisfaction(self):
        """The employer refreshes the open declaration, must confirm its
        inconsistencies to validate it, then answers the satisfaction
        question"""
        pool = Pool(DB_NAME)
        with Transaction().start(DB_NAME, 0) as transaction:
            Declaration = pool.get('spsti.declaration')
            Assignment = pool.get('spsti.assignment')
            Member = pool.get('spsti.member')
            # A post without its job: an inconsistency.
            Assignment.write([Assignment(self.assignments[1])],
                {'job': None})
            declaration, = Declaration.open_year(dt.date.today().year + 1,
                members=[Member(self.member.id)],
                reference_date=dt.date.today())
            declaration = declaration.id
            transaction.commit()
        self.sign_in(ADMIN)
        path = f'/m/{self.member.id}/declaration'
        response = self.get(path)
        self.assertIn("Incohérences à vérifier (1)", response.text)
        self.assertEqual(self.post(
                f'{path}/{declaration}/fill').status_code, 303)
        response = self.post(f'{path}/{declaration}/validate')
        self.assertEqual(response.status_code, 400)
        self.assertIn("ou confirmez", response.text)
        response = self.post(f'{path}/{declaration}/validate',
            {'confirm': '1'})
        self.assertTrue(response.location.endswith(
                'satisfaction?context=declaration'))
        self.assertIn("Êtes-vous satisfait", self.get(
                f'/m/{self.member.id}/satisfaction?context=declaration'
                ).text)
        self.post(f'/m/{self.member.id}/satisfaction',
            {'context': 'declaration', 'score': '4', 'comment': "Rapide"})
        with Transaction().start(DB_NAME, 0) as transaction:
            Satisfaction = pool.get('spsti.portal.satisfaction')
            declaration = Declaration(declaration)
            self.assertEqual(declaration.state, 'validated')
            self.assertEqual(declaration.validated_through.email, ADMIN)
            self.assertEqual(declaration.count_total, 2)
            self.assertEqual(Satisfaction.average('declaration',
                    dt.date.today(), dt.date.today()), (4, 1))
            Assignment.write([Assignment(self.assignments[1])],
                {'job': Assignment(self.assignments[0]).job.id})
            transaction.commit()

    def test_online_adhesion(self):
        """A company applies online: every wrong field is told at once;
        the request, its head office, a requested SEPA mandate and the
        administrator's account are created, the applicant told by email;
        the same SIREN cannot apply twice"""
        pool = Pool(DB_NAME)
        self.assertIn("SIRET du siège", self.get('/adhesion').text)
        values = {
            'name': "", 'siret': '12345678901234', 'street': "1 rue Neuve",
            'postal_code': '37000', 'city': "Tours", 'naf': '56.10A',
            'email': 'gerant@bistrot.fr', 'workforce': '4',
            'workforce_sir': '6', 'iban': 'FR7630006000011234567890189',
            }
        response = self.post('/adhesion', values)
        self.assertEqual(response.status_code, 400)
        for text in ["Raison sociale", "12345678901234", "(6)",
                "prélèvement SEPA"]:
            self.assertIn(text, response.text)
        values.update(name="Bistrot des Halles", siret=siret(siren(303)),
            workforce_sir='1', mandate='1', score='5', information_score='3')
        self.smtp.messages.clear()
        response = self.post('/adhesion', values)
        self.assertEqual(response.status_code, 200,
            re.findall(r'<li>(.*?)</li>', response.text))
        self.assertIn("Demande d'adhésion enregistrée", response.text)
        self.assertEqual(self.smtp.messages[-1]['To'], 'gerant@bistrot.fr')
        with Transaction().start(DB_NAME, 0, readonly=True):
            Member = pool.get('spsti.member')
            Mandate = pool.get('account.payment.sepa.mandate')
            Satisfaction = pool.get('spsti.portal.satisfaction')
            member, = Member.search([('siren', '=', siren(303))])
            self.assertEqual((member.state, member.adhesion_workforce,
                    member.adhesion_workforce_sir),
                ('requested', 4, 1))
            establishment, = member.establishments
            self.assertEqual(establishment.siret.replace(' ', ''),
                siret(siren(303)))
            self.assertEqual(establishment.activity.code, '56.10A')
            mandate, = Mandate.search([('party', '=', member.party.id)])
            self.assertEqual(mandate.state, 'requested')
            self.assertEqual(member.adhesion_user.email, 'gerant@bistrot.fr')
            self.assertEqual(
                member.adhesion_user.member_accesses[0].administrator, True)
            self.assertEqual(
                {(s.context, s.score) for s in Satisfaction.search([
                            ('member', '=', member.id)])},
                {('adhesion', '5'), ('adhesion_information', '3')})
        response = self.post('/adhesion', values)
        self.assertEqual(response.status_code, 400)
        self.assertIn(siren(303), response.text)

    def test_employer_exposures_and_mandate(self):
        """The employer declares an exposure (the category follows) and
        ends it, never one the team observed; the billing profile signs a
        SEPA mandate"""
        pool = Pool(DB_NAME)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Risk = pool.get('spsti.risk')
            cmr, = Risk.search([('code', '=', 'CHIM.CMR')])
            cmr = cmr.id
        self.sign_in(ADMIN)
        path = (f'/m/{self.member.id}/employees/{self.assignments[1]}'
            '/exposures')
        self.assertIn("Aucune exposition déclarée", self.get(path).text)
        response = self.post(path, {'risk': cmr, 'date': '2026-01-05'})
        self.assertEqual(response.status_code, 303)
        with Transaction().start(DB_NAME, 0) as transaction:
            Assignment = pool.get('spsti.assignment')
            Exposure = pool.get('spsti.assignment.exposure')
            assignment = Assignment(self.assignments[1])
            exposure, = assignment.exposures
            self.assertEqual(assignment.category.code, 'SIR')
            team, = Exposure.create([{'assignment': assignment.id,
                        'risk': cmr, 'source': 'team'}])
            exposure, team = exposure.id, team.id
            transaction.commit()
        response = self.post(path, {'exposure': team, 'date': '2026-06-30'})
        self.assertEqual(response.status_code, 400)
        response = self.post(path, {'exposure': exposure,
                'date': '2026-06-30'})
        self.assertEqual(response.status_code, 303)
        with Transaction().start(DB_NAME, 0) as transaction:
            self.assertEqual(Exposure(exposure).end_date,
                dt.date(2026, 6, 30))
            Exposure.delete(Exposure.browse([exposure, team]))
            transaction.commit()

        response = self.post(f'/m/{self.member.id}/mandates',
            {'iban': 'FR76 3000 6000 0112 3456 7890 180', 'mandate': '1'})
        self.assertEqual(response.status_code, 400)
        response = self.post(f'/m/{self.member.id}/mandates',
            {'iban': 'FR14 2004 1010 0505 0001 3M02 606', 'mandate': '1'})
        self.assertEqual(response.status_code, 303)
        self.assertIn("Mandat RUM-", self.get(
                f'/m/{self.member.id}/invoices').text)

    def test_employee_plan(self):
        "The employee reads the actions of their accompaniment plan, logged"
        pool = Pool(DB_NAME)
        with Transaction().start(DB_NAME, 0) as transaction:
            Case = pool.get('spsti.pdp.case')
            MedicalFile = pool.get('spsti.dmst')
            file, = MedicalFile.search([
                    ('employee', '=', self.employees[0])])
            case, = Case.create([{
                        'file': file.id,
                        'signal_source': 'attending_doctor',
                        'signal_date': dt.date(2026, 2, 10),
                        'plan_date': dt.date(2026, 3, 1),
                        'actions': [('create', [{
                                        'description': (
                                            "Essai d'un siège ergonomique"),
                                        'owner': "Employeur",
                                        'due_date': dt.date(2026, 4, 1),
                                        }])],
                        }])
            transaction.commit()
        self.sign_in(EMPLOYEE)
        response = self.get('/me')
        self.assertIn("Mon plan d'accompagnement", response.text)
        self.assertIn("siège ergonomique", response.text)
        with Transaction().start(DB_NAME, 0) as transaction:
            AccessLog = pool.get('spsti.dmst.access_log')
            self.assertTrue(AccessLog.search([
                        ('kind', '=', 'portal'),
                        ('file', '=', file.id)]))
            Case.delete([case])
            transaction.commit()


del RouteTestCase
