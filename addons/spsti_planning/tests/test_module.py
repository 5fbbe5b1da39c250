import datetime as dt

from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.modules.spsti_base.tests.tools import (
    as_user, untranslated_strings)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class SpstiPlanningTestCase(ModuleTestCase):
    "Test spsti_planning module"
    module = 'spsti_planning'

    def setup_assignment(self):
        org = setup_referentials()
        _, establishment = create_member("Garage Martin", 201)
        employee = create_employee("Martin", "Rémi", dt.date(1988, 4, 4))
        assignment = create_assignment(
            employee, establishment, start=dt.date(2026, 1, 5))
        return org, assignment

    def setup_request(self):
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        org, assignment = self.setup_assignment()
        VisitRequest.compute_due_visits([assignment])
        request, = VisitRequest.search([
                ('assignment', '=', assignment.id),
                ('visit_type.code', '=', 'VIP-I')])
        return org, assignment, request

    @with_transaction()
    def test_done_visit_computes_the_next(self):
        "A visit done replaces its request by the next one at once"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        _, assignment, request = self.setup_request()
        self.assertEqual(
            (request.visit_type.code, request.due_date),
            ('VIP-I', dt.date(2026, 4, 5)))
        VisitRequest.done([request], date=dt.date(2026, 2, 1),
            outcome='attestation')
        following, = VisitRequest.search([
                ('assignment', '=', assignment.id),
                ('state', '=', 'to_plan'),
                ('visit_type.code', '!=', 'MICARRIERE')])
        self.assertEqual(
            (following.visit_type.code, following.due_date),
            ('VIP-P', dt.date(2031, 2, 1)))
        self.assertIn('SIG-VIP-P', following.reason)

    @with_transaction()
    def test_run_once_queues_the_due_visits(self):
        "Run once by a user queues the due-visit recompute as that user"
        pool = Pool()
        Cron = pool.get('ir.cron')
        Queue = pool.get('ir.queue')
        User = pool.get('res.user')
        VisitRequest = pool.get('spsti.visit.request')
        _, assignment = self.setup_assignment()
        cron, = Cron.search([
                ('method', '=', 'spsti.visit.request|compute_all_due_visits'),
                ])
        admin, = User.search([('login', '=', 'admin')])
        transaction = Transaction()
        with transaction.set_user(admin.id):
            Cron.run_once([cron])
        # Nothing computed in the request: a task waits for the workers.
        self.assertFalse(
            VisitRequest.search([('assignment', '=', assignment.id)]))
        task_id, = transaction.tasks
        task = Queue(task_id)
        self.assertEqual((task.data['method'], task.data['user']),
            ('run_batches', admin.id))
        task.run()
        self.assertTrue(
            VisitRequest.search([('assignment', '=', assignment.id)]))

    @with_transaction()
    def test_rerun_never_duplicates(self):
        "Running the engine again changes nothing"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        _, assignment, request = self.setup_request()
        before = VisitRequest.search([('assignment', '=', assignment.id)])
        self.assertEqual(
            sorted(r.visit_type.code for r in before),
            ['MICARRIERE', 'VIP-I'])
        VisitRequest.compute_all_due_visits()
        VisitRequest.compute_all_due_visits()
        self.assertEqual(VisitRequest.search(
                [('assignment', '=', assignment.id)]), before)

    @with_transaction()
    def test_category_change_cancels_what_is_no_longer_due(self):
        "Becoming SIR cancels the VIP and asks for an aptitude exam"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Exposure = pool.get('spsti.assignment.exposure')
        Risk = pool.get('spsti.risk')
        _, assignment, request = self.setup_request()
        asbestos, = Risk.search([('code', '=', 'CHIM.AMIANTE')])
        Exposure.create([{'assignment': assignment.id,
                    'risk': asbestos.id, 'source': 'team'}])
        VisitRequest.compute_due_visits([assignment])
        self.assertEqual(request.state, 'cancelled')
        exam, = VisitRequest.search([
                ('assignment', '=', assignment.id),
                ('state', '=', 'to_plan'),
                ('visit_type.code', '!=', 'MICARRIERE')])
        self.assertEqual(exam.visit_type.code, 'SIR-I')

    @with_transaction()
    def test_health_professional_sets_the_date(self):
        "A date set by a health professional overrides the computed one"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        org, assignment, request = self.setup_request()
        with as_user(org['users']['infirmier']):
            VisitRequest.write([VisitRequest(request.id)], {
                    'due_date_override': dt.date(2026, 2, 15),
                    'override_reason': "Retour d'arrêt à surveiller",
                    })
        VisitRequest.compute_due_visits([assignment])
        self.assertEqual(request.due_date, dt.date(2026, 4, 5))
        self.assertEqual(request.effective_due_date, dt.date(2026, 2, 15))
        self.assertIn(request, VisitRequest.search(
                [('effective_due_date', '=', dt.date(2026, 2, 15))]))
        with as_user(org['users']['planification']):
            with self.assertRaises(Exception):
                VisitRequest.write([VisitRequest(request.id)], {
                        'due_date_override': dt.date(2026, 3, 1)})

    @with_transaction()
    def test_who_may_perform_the_visit(self):
        "A request says which professions may perform it"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        VisitType = pool.get('spsti.visit.type')
        _, assignment, request = self.setup_request()
        self.assertEqual(request.rule.code, 'SIG-VIP-I')
        self.assertEqual(
            {p.code for p in request.performed_by},
            {'MDT', 'CM', 'INT', 'IDEST'})
        # Asked by the employer: the rules of its type in force.
        exam, = VisitType.search([('code', '=', 'REPRISE')])
        asked, = VisitRequest.create([{
                    'employee': assignment.employee.id,
                    'assignment': assignment.id,
                    'member': assignment.member.id,
                    'visit_type': exam.id,
                    'origin': 'employer',
                    'due_date': dt.date(2026, 3, 2),
                    }])
        self.assertEqual({p.code for p in asked.performed_by}, {'MDT'})

    @with_transaction()
    def test_backlog_of_overdue_requests(self):
        "Overdue requests are listed per team"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        org, assignment, request = self.setup_request()
        VisitRequest.write([request], {'due_date': dt.date(2025, 1, 1)})
        self.assertTrue(request.overdue)
        self.assertEqual(VisitRequest.search([
                    ('overdue', '=', True),
                    ('team', '=', assignment.team.id)]), [request])

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_planning'), [])


del ModuleTestCase
