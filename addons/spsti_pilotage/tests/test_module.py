"""The indicators on a hand-built service (tests/tools.py) with the
figures counted by hand, the dashboards, the access of each group."""
import datetime as dt
import io
import unittest
import zipfile
from collections import Counter
from xml.etree import ElementTree

from trytond import backend
from trytond.model.exceptions import (
    AccessError, SQLConstraintError, ValidationError)
from trytond.modules.spsti_base.commandline import run_in_transaction
from trytond.modules.spsti_base.tests.tools import (
    as_user, untranslated_strings)
from trytond.modules.spsti_pilotage.exceptions import IndicatorBusyError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

from .tools import (
    FROM_DATE, TO_DATE, create_portal_accounts, create_service)

# Counted by hand from tests/tools.py: code -> (numerator, denominator)
# for the service; None when the indicator is a count.
SERVICE = {
    # M1 and M2 are members on 2025-12-31; E1 of M1 has a validated sheet.
    'FE_MEMBERS': (1, 2),
    # A, C, D followed; A and D (at E1) covered.
    'FE_EMPLOYEES': (2, 3),
    # A (R1) and C (R2, R6) seen; D's visit R9 is done in 2026.
    'SEEN': (2, 3),
    # Due in the period, not cancelled: R1, R2, R3, R4, R9; R1, R4 on time.
    'ON_TIME': (2, 5),
    # Only A's file is open by the end (C's opens in 2026, B not followed).
    'DMST': (1, 3),
    # The SENSIB action done at M1 naming A.
    'AWARE_MEMBERS': (1, 2),
    'AWARE_EMPLOYEES': (1, 3),
    'ADVICE_MEMBERS': (1, 2),
    # A's issued outcome of R1 carries PREV.EPI; B is not followed.
    'ADVICE_EMPLOYEES': (1, 3),
    # One issued fit with adjustment; the draft does not count.
    'ANNEX4': (1, None),
    # B's outcome refers to the social service.
    'SOCIAL': (1, None),
    # Pré-reprise done: C (still at M2) and B (left M1 in 2024).
    'KEPT': (1, 2),
    'MEMBERSHIPS': (1, None),
    'STRIKE_OFFS': (1, None),
    # R3 still to plan, R9 done after the end of the period.
    'BACKLOG': (2, None),
    # Slots done or no-show with a request: R1 done, R2 no-show and done.
    'NO_SHOW': (1, 3),
    # Days request -> visit of R1 36, R2 122, R4 61, R6 9, R7 15.
    'REACTIVITY': (243, 5),
    # Long stoppages started in the period: S1 of A (152 days), S2 of C
    # (92 days by the end); A's outcome of 2025-06-01 proposes an
    # adjustment after S1 began.
    'LONG_STOPPAGE': (1, 2),
    # Followed A, C, D: A and C SIG; D SIA at E2 and SIR (overridden) at
    # E1.
    'FOLLOWED_SIG': (2, 3),
    'FOLLOWED_SIA': (1, 3),
    'FOLLOWED_SIR': (1, 3),
    }
# With the portal accounts of tests/tools.py (spsti_portal).
PORTAL = {
    # M1 through U1; M2's access is deactivated (U2), its account
    # deactivated (U3) or made after the period (U4).
    'PORTAL_MEMBERS': (1, 2),
    # E1 and E5 of M1, E2 of M2; E6 inactive, E3 and E4 of no member then.
    'PORTAL_ESTABLISHMENTS': (2, 3),
    # A through U5; B is not followed, C's account is made in 2026.
    'PORTAL_EMPLOYEES': (1, 3),
    # Scores 5 (M1), 3 and 4 (M2) in the period; M4's is in 2026.
    'ADHESION_SATISFACTION': (2, 3),
    # Scores 4 (M1) and 2 (M2) in the period; M4's is in 2026.
    'ADHESION_INFORMATION_SATISFACTION': (1, 2),
    'DECLARATION_SATISFACTION': (1, 2),
    }
# Per team: T1 (M1, M3; E1, E3) and T2 (M2, M4; E2).
TEAMS = {
    'FE_MEMBERS': ((1, 1), (0, 1)),
    'FE_EMPLOYEES': ((2, 2), (0, 2)),
    'SEEN': ((1, 2), (1, 2)),
    'ON_TIME': ((2, 3), (0, 2)),
    'KEPT': ((0, 1), (1, 1)),
    'BACKLOG': ((1, None), (1, None)),
    'NO_SHOW': ((0, 1), (1, 2)),
    'REACTIVITY': ((112, 3), (131, 2)),
    'MEMBERSHIPS': ((None, None), (1, None)),
    'STRIKE_OFFS': ((1, None), (None, None)),
    # S1 at M1 (T1), S2 at M2 (T2).
    'LONG_STOPPAGE': ((1, 1), (0, 1)),
    # T1 follows A and D (at E1, SIR); T2 follows C (SIG) and D (SIA).
    'FOLLOWED_SIA': ((0, 2), (1, 2)),
    'FOLLOWED_SIR': ((1, 2), (0, 2)),
    'PORTAL_ESTABLISHMENTS': ((2, 2), (0, 1)),
    'PORTAL_EMPLOYEES': ((1, 2), (0, 2)),
    'ADHESION_SATISFACTION': ((1, 1), (1, 2)),
    'ADHESION_INFORMATION_SATISFACTION': ((1, 1), (0, 1)),
    }


def figures(measures):
    return {m.indicator.code: (m.numerator, m.denominator) for m in measures}


class SpstiPilotageTestCase(ModuleTestCase):
    "Test spsti_pilotage module"
    module = 'spsti_pilotage'
    # Its indicators of the portal accounts and satisfaction.
    extras = ['spsti_portal']

    @with_transaction()
    def test_indicators_of_the_service(self):
        "Every indicator of the service matches the figures counted by hand"
        Indicator = Pool().get('spsti.indicator')
        create_portal_accounts(create_service())
        indicators = Indicator.search([])
        expected = {**SERVICE, **PORTAL}
        self.assertEqual({i.code for i in indicators}, set(expected))
        measures = Indicator.compute(indicators, FROM_DATE, TO_DATE)
        self.assertEqual(len(measures), len(expected))
        self.assertEqual(figures(measures), expected)
        values = {m.indicator.code: m.value for m in measures}
        self.assertAlmostEqual(values['ON_TIME'], 0.4)
        self.assertEqual(values['BACKLOG'], 2)
        self.assertAlmostEqual(values['REACTIVITY'], 48.6)
        self.assertEqual(
            {m.percentage for m in measures
                if m.indicator.code == 'FE_MEMBERS'}, {50.0})
        # The written definition is shown beside the figure.
        seen, = [m for m in measures if m.indicator.code == 'SEEN']
        self.assertIn("visit done", seen.numerator_definition)
        self.assertIn("assignment in force", seen.denominator_definition)

    @with_transaction()
    def test_indicators_per_team(self):
        "Per team, an employee counts in each team of an assignment"
        Indicator = Pool().get('spsti.indicator')
        service = create_service()
        create_portal_accounts(service)
        t1, t2 = service['teams']
        indicators = Indicator.search([('code', 'in', list(TEAMS))])
        measures = Indicator.compute(indicators, FROM_DATE, TO_DATE, 'team')
        by_team = {(m.indicator.code, m.team): (m.numerator, m.denominator)
            for m in measures}
        for code, (first, other) in TEAMS.items():
            with self.subTest(indicator=code):
                for team, expected in [(t1, first), (t2, other)]:
                    if expected == (None, None):
                        self.assertNotIn((code, team), by_team)
                    else:
                        self.assertEqual(by_team[code, team], expected)

    @with_transaction()
    def test_professional_scope_is_the_lead_portfolio(self):
        "The professional scope is the portfolio of the team a doctor leads"
        Indicator = Pool().get('spsti.indicator')
        service = create_service()
        t1, _ = service['teams']
        indicators = Indicator.search([('code', '=', 'SEEN')])
        measures = Indicator.compute(
            indicators, FROM_DATE, TO_DATE, 'professional')
        lead = {m.professional: (m.numerator, m.denominator)
            for m in measures}
        self.assertEqual(lead[t1.lead], (1, 2))

    @with_transaction()
    def test_member_and_period(self):
        "A member scope and a shorter period move the figures as expected"
        Indicator = Pool().get('spsti.indicator')
        service = create_service()
        m1, m2, _, _ = service['members']
        indicators = Indicator.search([('code', 'in', ['SEEN', 'ON_TIME'])])
        measures = Indicator.compute(indicators, dt.date(2023, 1, 1),
            dt.date(2023, 12, 31), 'member')
        result = {(m.indicator.code, m.member): (m.numerator, m.denominator)
            for m in measures}
        # Followed at 2023-12-31: A, B at M1 (D is at E1 from 2024), C and
        # D at M2; seen in 2023: A (R1) only.
        self.assertEqual(result['SEEN', m1], (1, 2))
        self.assertEqual(result['SEEN', m2], (0, 2))
        # Due in 2023: R1 (M1, on time) and R3 (M2, open).
        self.assertEqual(result['ON_TIME', m1], (1, 1))
        self.assertEqual(result['ON_TIME', m2], (0, 1))

    @with_transaction()
    def test_rerun_replaces_the_measures(self):
        "Computing a period again replaces its measures"
        pool = Pool()
        Indicator = pool.get('spsti.indicator')
        Measure = pool.get('spsti.indicator.measure')
        create_service()
        indicators = Indicator.search([])
        Indicator.compute(indicators, FROM_DATE, TO_DATE)
        Indicator.compute(indicators, FROM_DATE, TO_DATE)
        self.assertEqual(Measure.search_count([]), len(indicators))

    @with_transaction()
    def test_threshold_is_data(self):
        "The days from which a stoppage is long are the indicator's"
        Indicator = Pool().get('spsti.indicator')
        create_service()
        indicator, = Indicator.search([('code', '=', 'LONG_STOPPAGE')])
        self.assertEqual(indicator.threshold, 90)
        indicator.threshold = 30
        indicator.save()
        measure, = Indicator.compute([indicator], FROM_DATE, TO_DATE)
        # S4 (32 days) and S6 (47 days by the end) of D count too.
        self.assertEqual((measure.numerator, measure.denominator), (1, 3))
        indicator.threshold = None
        with self.assertRaises(ValidationError):
            indicator.save()

    @with_transaction()
    def test_scheduled_default_windows(self):
        "The scheduled task computes every scope and replaces its last run"
        pool = Pool()
        Indicator = pool.get('spsti.indicator')
        Measure = pool.get('spsti.indicator.measure')
        Batch = pool.get('spsti.batch')
        ModelData = pool.get('ir.model.data')
        Cron = pool.get('ir.cron')
        create_portal_accounts(create_service())
        indicators = Indicator.search([])
        on_demand = Indicator.compute(
            indicators, dt.date(2023, 1, 1), dt.date(2023, 12, 31))
        Indicator.compute_default_windows(today=dt.date(2025, 12, 30))
        # The progress of the batch, as the command line follows it.
        progress = []
        Batch.observers.append(progress.append)
        try:
            measures = Indicator.compute_default_windows(today=TO_DATE)
        finally:
            Batch.observers.remove(progress.append)
        # The windows of five years ending on TO_DATE are the period of
        # the figures counted by hand.
        self.assertEqual({(m.from_date, m.to_date) for m in measures},
            {(FROM_DATE, TO_DATE)})
        self.assertTrue(all(m.scheduled for m in measures))
        self.assertEqual(
            figures(m for m in measures if m.scope == 'service'),
            {**SERVICE, **PORTAL})
        self.assertEqual({m.scope for m in measures},
            {'service', 'sector', 'centre', 'team', 'professional',
                'member'})
        # The previous run is replaced, the measures on demand stay.
        self.assertEqual(
            set(Measure.search([])), set(measures) | set(on_demand))
        keys = Counter((m.indicator, m.scope, m.scope_record)
            for m in measures)
        self.assertEqual(max(keys.values()), 1)
        self.assertEqual(progress[-1].done, len(indicators) * 6)
        self.assertEqual(progress[-1].total, len(indicators) * 6)
        cron = Cron(ModelData.get_id(
                'spsti_pilotage', 'cron_compute_default_windows'))
        self.assertEqual(
            cron.method, 'spsti.indicator|compute_default_windows')
        self.assertIn(cron.method, Cron._batch_methods())

    @with_transaction()
    def test_default_window(self):
        "The default period is the indicator's window ending today"
        Indicator = Pool().get('spsti.indicator')
        indicator, = Indicator.search([('code', '=', 'SEEN')])
        self.assertEqual(indicator.window_period(dt.date(2026, 6, 30)),
            (dt.date(2021, 7, 1), dt.date(2026, 6, 30)))

    @with_transaction()
    def test_inverted_period(self):
        "A period ending before it starts is refused"
        Indicator = Pool().get('spsti.indicator')
        with self.assertRaises(ValidationError):
            Indicator.compute(Indicator.search([]), TO_DATE, FROM_DATE)

    @with_transaction()
    def test_dashboards(self):
        "Backlog, activity per professional and data quality"
        pool = Pool()
        Backlog = pool.get('spsti.pilotage.backlog')
        Activity = pool.get('spsti.pilotage.professional_activity')
        Quality = pool.get('spsti.pilotage.data_quality')
        Assignment = pool.get('spsti.assignment')
        service = create_service()
        t1, t2 = service['teams']
        a = service['assignments']
        # Overdue on 2026-01-20: R3 (T2, to plan since 2023) and R8 (T1,
        # planned, due 2026-01-15); R9 is done.
        with Transaction().set_context(date=dt.date(2026, 1, 20)):
            backlog = {(b.team, b.visit_type.code): b.requests
                for b in Backlog.search([])}
        self.assertEqual(backlog, {(t2, 'VIP-I'): 1, (t1, 'VIP-P'): 1})
        with Transaction().set_context(
                from_date=dt.date(2022, 1, 1), to_date=dt.date(2025, 12, 31)):
            activity, = Activity.search([])
        nurse = service['org']['nurse']
        self.assertEqual(
            (activity.professional, activity.visits, activity.no_shows,
                activity.booked),
            (nurse, 2, 1, 1))
        self.assertAlmostEqual(activity.no_show_rate, 1 / 3)
        Assignment.write([a['C']], {'job': None})
        rules = {(q.rule, q.assignment) for q in Quality.search([])}
        self.assertIn(('no_job', a['C']), rules)
        self.assertNotIn(('no_job', a['A']), rules)

    @with_transaction()
    def test_access(self):
        "Management reads the figures; the CRM reads none; nobody else edits"
        pool = Pool()
        Indicator = pool.get('spsti.indicator')
        Measure = pool.get('spsti.indicator.measure')
        service = create_service()
        users = service['org']['users']
        indicators = Indicator.search([])
        with as_user(users['pilotage']):
            measures = Indicator.compute(indicators, FROM_DATE, TO_DATE)
            self.assertEqual(len(Measure.search([])), len(measures))
            with self.assertRaises(AccessError):
                Indicator.write(Indicator.search([], limit=1),
                    {'window_years': 4})
        with as_user(users['relation']):
            with self.assertRaises(AccessError):
                Measure.read([measures[0].id], ['value'])

    @with_transaction()
    def test_annual_report(self):
        "The annual report as a spreadsheet (ODS package) and as a PDF"
        pool = Pool()
        Indicator = pool.get('spsti.indicator')
        ModelData = pool.get('ir.model.data')
        Report = pool.get('spsti.pilotage.annual_report', type='report')
        create_service()
        measures = Indicator.compute(
            Indicator.search([]), FROM_DATE, TO_DATE)
        ids = [m.id for m in measures]
        ods_action = ModelData.get_id('spsti_pilotage', 'report_annual_ods')
        extension, content, _, _ = Report.execute(
            ids, {'action_id': ods_action})
        self.assertEqual(extension, 'ods')
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self.assertEqual(archive.read('mimetype'),
                b'application/vnd.oasis.opendocument.spreadsheet')
            sheet = archive.read('content.xml').decode()
            # Every part is well-formed: an office suite opens it.
            for name in ['content.xml', 'styles.xml', 'meta.xml']:
                ElementTree.fromstring(archive.read(name))
        self.assertIn("Distinct employees seen", sheet)
        self.assertIn("66,7 %", sheet)
        self.assertIn("48,6 j", sheet)
        xlsx_action = ModelData.get_id(
            'spsti_pilotage', 'report_annual_xlsx')
        extension, content, _, _ = Report.execute(
            ids, {'action_id': xlsx_action})
        self.assertEqual(extension, 'xlsx')
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            strings = ElementTree.fromstring(
                archive.read('xl/sharedStrings.xml'))
            self.assertIn('xl/worksheets/sheet1.xml', archive.namelist())
        texts = {''.join(t.text or '' for t in si.iter(
                    '{http://schemas.openxmlformats.org/spreadsheetml/'
                    '2006/main}t')) for si in strings}
        self.assertIn("Distinct employees seen", texts)
        self.assertIn("66,7 %", texts)
        self.assertIn("48,6 j", texts)
        pdf_action = ModelData.get_id('spsti_pilotage', 'report_annual_pdf')
        extension, content, _, _ = Report.execute(
            ids, {'action_id': pdf_action})
        self.assertEqual(extension, 'pdf')
        self.assertTrue(bytes(content).startswith(b'%PDF'))

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_pilotage'), [])



@unittest.skipIf(backend.name != 'postgresql',
    "needs concurrent transactions (PostgreSQL)")
class IndicatorConcurrencyTestCase(unittest.TestCase):
    "Identical computations in concurrent transactions"

    @classmethod
    def setUpClass(cls):
        drop_db()
        # The modules of SpstiPilotageTestCase: one cached database.
        activate_module(['spsti_pilotage', 'spsti_portal'])
        # The company sheets lock their table: retried with the lock.
        run_in_transaction(DB_NAME, create_service)

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def codes(self):
        Indicator = Pool().get('spsti.indicator')
        return Indicator.search([('code', 'in', ['SEEN', 'ON_TIME'])])

    def count(self):
        Measure = Pool().get('spsti.indicator.measure')
        with Transaction().new_transaction(readonly=True):
            return Measure.search_count([])

    def test_concurrent_computation_refused(self):
        "A computation running holds it: the same one is refused at once"
        with Transaction().start(DB_NAME, 0) as first:
            Indicator = Pool().get('spsti.indicator')
            Indicator.compute(self.codes(), FROM_DATE, TO_DATE)
            with first.new_transaction() as second:
                indicators = self.codes()
                with self.assertRaises(IndicatorBusyError) as context:
                    Indicator.compute(indicators, FROM_DATE, TO_DATE)
                self.assertIn(TO_DATE.isoformat(), context.exception.message)
                # Another scope or period is free.
                Indicator.compute(indicators, FROM_DATE, TO_DATE, 'team')
                Indicator.compute(
                    indicators, FROM_DATE, dt.date(2024, 12, 31))
                second.rollback()
            first.commit()
            self.assertEqual(self.count(), 2)
        # Once the first has committed, the same computation replaces it.
        with Transaction().start(DB_NAME, 0) as transaction:
            Indicator = Pool().get('spsti.indicator')
            Indicator.compute(self.codes(), FROM_DATE, TO_DATE)
            transaction.commit()
            self.assertEqual(self.count(), 2)

    def test_stale_computation_never_duplicates(self):
        "A transaction older than a computation cannot add its measures"
        end = dt.date(2025, 6, 30)
        with Transaction().start(DB_NAME, 0) as late:
            Indicator = Pool().get('spsti.indicator')
            # The snapshot of late is taken here.
            indicators = self.codes()
            before = self.count()
            with late.new_transaction() as other:
                Indicator.compute(self.codes(), FROM_DATE, end)
                other.commit()
            # late does not see the measures the other one committed.
            with self.assertRaises(SQLConstraintError):
                Indicator.compute(indicators, FROM_DATE, end)
            late.rollback()
            self.assertEqual(self.count(), before + 2)


del ModuleTestCase
