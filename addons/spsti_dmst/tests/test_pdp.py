"""Job retention: cases and their plan, the versioned detection score."""
import datetime as dt
import unittest

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.spsti_base.tests.tools import as_user
from trytond.modules.spsti_dmst.tests.test_module import setup_file
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

DAY = dt.date(2026, 9, 1)


class SpstiPdpTestCase(unittest.TestCase):
    "Test the job retention of spsti_dmst"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_dmst')

    @with_transaction()
    def test_score_reproducible(self):
        "A score keeps its inputs and method version and computes again"
        pool = Pool()
        Score = pool.get('spsti.pdp.score')
        Method = pool.get('spsti.pdp.score.method')
        Stoppage = pool.get('spsti.work_stoppage')
        Consultation = pool.get('spsti.dmst.consultation')
        _, file, consultation, _ = setup_file()
        employee = file.employee
        Stoppage.create([{
                    'employee': employee.id,
                    'member': employee.assignments[0].member.id,
                    'kind': 'sickness',
                    'start_date': dt.date(2026, 3, 2),
                    'end_date': dt.date(2026, 4, 30),
                    }])
        consultation.outcome = 'fit_with_adjustment'
        consultation.adjustment_proposal = "Pas de port de charges"
        consultation.save()
        method, = Method.search([('code', '=', 'SPSTI-PDP')])
        score, = Score.score([file], method, date=DAY)
        self.assertEqual(dict(score.inputs), {
                'age': 38,
                'stoppage_days_12m': 60,
                'stoppages_12m': 1,
                'restrictions_5y': 1,
                'pathologies': 1,
                'sir_exposures': 0,
                })
        # 30 days of stoppage (2), restrictions (2), a pathology (1).
        self.assertEqual((score.value, score.level), (5.0, 'high'))
        self.assertEqual(score.recompute(), score.value)

        # The data change; the stored score does not, and still computes.
        Consultation.write([consultation], {'outcome': 'attestation'})
        self.assertEqual(score.recompute(), 5.0)
        self.assertEqual(Score.score([file], method, date=DAY)[0].value, 3.0)

        with self.assertRaisesRegex(ValidationError, "new version"):
            Method.write([method], {'high_threshold': 6})
        second, = Method.copy([method], {'version': 2})
        self.assertEqual(len(second.criteria), len(method.criteria))

    @with_transaction()
    def test_case_plan(self):
        "Follow-ups at 3 and 6 months, review at one year; closed with an "
        "outcome"
        pool = Pool()
        Case = pool.get('spsti.pdp.case')
        org, file, _, _ = setup_file()
        case, = Case.create([{
                    'file': file.id,
                    'signal_source': 'attending_doctor',
                    'signal_date': dt.date(2026, 2, 10),
                    'plan_date': dt.date(2026, 3, 1),
                    'decisions': [('create', [{
                                    'date': dt.date(2026, 2, 24),
                                    'decision': "Étude de poste par l'IPRP",
                                    }])],
                    'actions': [('create', [{
                                    'description': "Étude de poste",
                                    'owner': "Ergonome",
                                    'due_date': dt.date(2026, 3, 31),
                                    }])],
                    }])
        self.assertEqual(
            (case.follow_up_3m, case.follow_up_6m, case.impact_review),
            (dt.date(2026, 6, 1), dt.date(2026, 9, 1), dt.date(2027, 3, 1)))
        with self.assertRaisesRegex(ValidationError, "outcome"):
            Case.close([case])
        case.outcome = 'adjusted'
        case.save()
        Case.close([case])
        self.assertEqual(case.state, 'closed')
        for login in ['admin', 'planification', 'facturation', 'relation',
                'pilotage']:
            with self.subTest(login=login), as_user(org['users'][login]):
                with self.assertRaises(AccessError):
                    Case.read([case.id], ['description'])
        with as_user(org['users']['infirmier']):
            self.assertEqual(Case.search([]), [case])
