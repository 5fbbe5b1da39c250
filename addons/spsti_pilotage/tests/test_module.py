"""The indicators on a hand-built service (tests/tools.py) with the
figures counted by hand, the dashboards, the access of each group."""
import datetime as dt
import io
import zipfile

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.spsti_base.tests.tools import (
    as_user, untranslated_strings)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import FROM_DATE, TO_DATE, create_service

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
    }


def figures(measures):
    return {m.indicator.code: (m.numerator, m.denominator) for m in measures}


class SpstiPilotageTestCase(ModuleTestCase):
    "Test spsti_pilotage module"
    module = 'spsti_pilotage'

    @with_transaction()
    def test_indicators_of_the_service(self):
        "Every indicator of the service matches the figures counted by hand"
        Indicator = Pool().get('spsti.indicator')
        create_service()
        indicators = Indicator.search([])
        self.assertEqual({i.code for i in indicators}, set(SERVICE))
        measures = Indicator.compute(indicators, FROM_DATE, TO_DATE)
        self.assertEqual(len(measures), len(SERVICE))
        self.assertEqual(figures(measures), SERVICE)
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
        self.assertIn("Distinct employees seen", sheet)
        self.assertIn("66,7 %", sheet)
        self.assertIn("48,6 j", sheet)
        pdf_action = ModelData.get_id('spsti_pilotage', 'report_annual_pdf')
        extension, content, _, _ = Report.execute(
            ids, {'action_id': pdf_action})
        self.assertEqual(extension, 'pdf')
        self.assertTrue(bytes(content).startswith(b'%PDF'))

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_pilotage'), [])


del ModuleTestCase
