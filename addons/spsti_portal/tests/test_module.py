"""The portal's accounts: one-time sign-in codes, employer accesses and
their profiles, invitations."""
import datetime as dt

from trytond.exceptions import RateLimitException
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.model.exceptions import AccessError
from trytond.modules.spsti_base.tests.tools import (
    as_user, untranslated_strings)
from trytond.modules.spsti_portal.exceptions import PortalError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from .tools import code_from, queued_mail


class SpstiPortalTestCase(ModuleTestCase):
    "Test spsti_portal module"
    module = 'spsti_portal'

    @with_transaction()
    def test_login_code(self):
        "A code signs in once, only its hash is kept, it expires"
        pool = Pool()
        User = pool.get('web.user')
        LoginCode = pool.get('spsti.portal.login_code')
        user, = User.create([{'email': 'rh@garage-martin.fr'}])
        User.send_login_code(' RH@garage-martin.fr ')
        code = code_from(queued_mail())
        stored, = LoginCode.search([('web_user', '=', user.id)])
        self.assertNotIn(code, stored.code_hash)
        self.assertIsNone(User.authenticate_code('rh@garage-martin.fr',
                f'{(int(code) + 1) % 10**6:06d}'))
        self.assertEqual(
            User.authenticate_code('rh@garage-martin.fr', code), user)
        self.assertIsNone(
            User.authenticate_code('rh@garage-martin.fr', code))

        User.send_login_code('rh@garage-martin.fr')
        code = code_from(queued_mail())
        LoginCode.write(LoginCode.search([('used', '=', False)]), {
                'expire': dt.datetime.now() - dt.timedelta(seconds=1)})
        self.assertIsNone(
            User.authenticate_code('rh@garage-martin.fr', code))

    @with_transaction()
    def test_login_code_wrong_attempts(self):
        "A code is void after the configured wrong entries"
        pool = Pool()
        User = pool.get('web.user')
        User.create([{'email': 'rh@garage-martin.fr'}])
        User.send_login_code('rh@garage-martin.fr')
        code = code_from(queued_mail())
        wrong = f'{(int(code) + 1) % 10**6:06d}'
        for _ in range(5):
            User.authenticate_code('rh@garage-martin.fr', wrong)
        self.assertIsNone(
            User.authenticate_code('rh@garage-martin.fr', code))

    @with_transaction()
    def test_login_code_unknown_and_flood(self):
        """An unknown address gets no mail and no error; codes to one
        address are limited per hour"""
        pool = Pool()
        User = pool.get('web.user')
        User.create([{'email': 'rh@garage-martin.fr'}])
        User.send_login_code('nobody@example.org')
        self.assertEqual(queued_mail(), [])
        for _ in range(5):
            User.send_login_code('rh@garage-martin.fr')
        with self.assertRaises(RateLimitException):
            User.send_login_code('rh@garage-martin.fr')
        sent = queued_mail()
        self.assertEqual(len(sent), 5)
        self.assertEqual(sent[0]['To'], 'rh@garage-martin.fr')

    @with_transaction()
    def test_profiles_and_invitation(self):
        """An administrator has every profile and invites; other profiles
        grant only themselves; a struck-off member opens nothing"""
        pool = Pool()
        User = pool.get('web.user')
        Access = pool.get('spsti.portal.member_access')
        Member = pool.get('spsti.member')
        setup_referentials()
        member, _ = create_member("Garage Martin", 201)
        other, _ = create_member("Boulangerie Petit", 202)
        admin, = User.create([{'email': 'dirigeant@garage-martin.fr'}])
        Access.create([{'web_user': admin.id, 'member': member.id,
                    'administrator': True}])
        accountant = admin.invite(member.id, 'Cabinet@Compta.fr',
            ['billing'], external=True)
        self.assertEqual(accountant.email, 'cabinet@compta.fr')
        access = accountant.member_access(member.id)
        self.assertEqual(access.profiles, ['billing'])
        self.assertTrue(access.external)
        self.assertEqual(access.invited_by, admin)
        self.assertIsNone(accountant.member_access(member.id, 'declaration'))
        self.assertEqual(admin.member_access(member.id).profiles,
            ['administrator', 'billing', 'declaration', 'convocations'])
        with self.assertRaisesRegex(PortalError, "Garage Martin"):
            accountant.invite(member.id, 'x@compta.fr', ['billing'])
        with self.assertRaisesRegex(PortalError, "Boulangerie Petit"):
            admin.invite(other.id, 'x@compta.fr', ['billing'])
        # Inviting again updates the profiles, no second access.
        admin.invite(member.id, 'cabinet@compta.fr', ['billing',
                'declaration'])
        self.assertEqual(Access.search_count(
                [('web_user', '=', accountant.id)]), 1)
        Member.write([member], {'state': 'struck_off'})
        self.assertIsNone(User(admin.id).member_access(member.id))

    @with_transaction()
    def test_barometer(self):
        """The barometer counts the outcomes and the employer's advice of
        the visits done, hidden under the threshold of employees seen, the
        employees' own requests left out"""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Configuration = pool.get('spsti.adherent.configuration')
        MedicalFile = pool.get('spsti.dmst')
        Consultation = pool.get('spsti.dmst.consultation')
        AdviceType = pool.get('spsti.advice.type')
        org = setup_referentials()
        member, establishment = create_member("Garage Martin", 201)
        employees = [create_employee("Martin", f"Rémi{i}",
                dt.date(1980, 1, 1 + i), seed=i + 1) for i in range(12)]
        assignments = [create_assignment(e, establishment,
                start=dt.date(2024, 1, 1)) for e in employees]
        VisitRequest.compute_due_visits(assignments)
        requests = VisitRequest.search([('member', '=', member.id)],
            order=[('id', 'ASC')])
        requests = list({r.employee: r for r in requests}.values())
        done = dt.date.today() - dt.timedelta(days=30)
        VisitRequest.done(requests[:9], date=done, outcome='attestation')
        VisitRequest.done(requests[9:11], date=done,
            outcome='fit_with_adjustment')
        VisitRequest.write(requests[11:], {'origin': 'employee'})
        VisitRequest.done(requests[11:], date=done, outcome='unfit')
        advice, = AdviceType.search([('audience', 'in',
                    ['employer', 'both'])], limit=1)
        file, = MedicalFile.get_or_create([requests[0].employee])
        Consultation.create([{
                    'file': file.id,
                    'request': requests[0].id,
                    'visit_type': requests[0].visit_type.id,
                    'professional': org['nurse'].id,
                    'date': done,
                    'outcome': 'attestation',
                    'advice': [('add', [advice.id])],
                    }])
        self.assertIsNone(member.barometer())
        config = Configuration(1)
        config.portal_barometer_threshold = 10
        config.save()
        barometer = member.barometer()
        self.assertEqual((barometer['employees'], barometer['visits']),
            (11, 11))
        self.assertEqual(barometer['outcomes'],
            {'attestation': 9, 'fit_with_adjustment': 2})
        self.assertEqual(barometer['advice'], [(advice.name, 1)])

    @with_transaction()
    def test_job_change(self):
        """A change of post ends the post the day before the new one, which
        may copy a colleague's job and the exposures the employer declared;
        the posts whose profile can be copied are one per job"""
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        setup_referentials()
        member, establishment = create_member("Garage Martin", 201)
        employees = [create_employee("Martin", f"Rémi{i}",
                dt.date(1980, 1, 1 + i), seed=i + 1) for i in range(3)]
        cashier = create_assignment(employees[0], establishment,
            start=dt.date(2024, 1, 1), job_title="Caissier")
        welder, _ = [create_assignment(e, establishment, risks=['PHYS.BRUIT'],
                job='621a', start=dt.date(2024, 1, 1), job_title="Soudeur")
            for e in employees[1:]]
        self.assertEqual(len(Assignment.profiles_of(member,
                    dt.date(2026, 1, 1))), 2)
        post = {'establishment': establishment, 'contract_type': 'cdi',
            'start_date': dt.date(2026, 9, 1)}
        new = Assignment.declare_job_change(cashier, post, model=welder)
        self.assertEqual(cashier.end_date, dt.date(2026, 8, 31))
        self.assertEqual((new.employee, new.start_date, new.end_date,
                new.job, new.job_title, new.source),
            (employees[0], dt.date(2026, 9, 1), None, welder.job,
                "Soudeur", 'portal'))
        self.assertEqual([e.risk.code for e in new.exposures],
            ['PHYS.BRUIT'])
        with self.assertRaisesRegex(PortalError, "01/09/2026"):
            Assignment.declare_job_change(new, post)

    @with_transaction()
    def test_back_office_access(self):
        """Employer accesses and change requests are the administrators'
        and the relation team's, who alone create portal accounts;
        sign-in codes and password hashes are nobody's"""
        pool = Pool()
        users = setup_referentials()['users']
        readers = {
            'spsti.portal.member_access': {'admin', 'relation'},
            'spsti.portal.change_request': {'admin', 'relation'},
            'spsti.portal.satisfaction': {'admin', 'relation', 'pilotage'},
            'spsti.portal.login_code': set(),
            }
        for model, allowed in readers.items():
            Model = pool.get(model)
            for login, user in users.items():
                if login not in {'admin', 'medecin', 'infirmier',
                        'planification', 'facturation', 'relation',
                        'pilotage'}:
                    continue
                with self.subTest(model=model, login=login), as_user(user):
                    if login in allowed:
                        Model.search([])
                    else:
                        with self.assertRaises(AccessError):
                            Model.search([])
        User = pool.get('web.user')
        account, = User.create([{'email': 'rh@garage-martin.fr',
                    'password': 'Portail-2026!'}])
        with as_user(users['admin']), self.assertRaises(AccessError):
            User.read([account.id], ['password_hash'])
        for login in ['planification', 'facturation', 'medecin']:
            with self.subTest(login=login), as_user(users[login]), \
                    self.assertRaises(AccessError):
                User.create([{'email': f'{login}@example.org'}])
        with as_user(users['relation']):
            User.create([{'email': 'relation@example.org'}])

    @with_transaction()
    def test_translations(self):
        "Every string of the module is translated in French"
        self.assertEqual(untranslated_strings('spsti_portal'), [])


del ModuleTestCase
