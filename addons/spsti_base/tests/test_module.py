import datetime as dt

from trytond.modules.spsti_base.exceptions import (
    IdentifierValidationError, RuleValidationError)
from trytond.modules.spsti_base.identifiers import check_identifier
from trytond.modules.spsti_base.tests.tools import (
    create_organisation, load_lists, untranslated_strings)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class SpstiBaseTestCase(ModuleTestCase):
    "Test spsti_base module"
    module = 'spsti_base'

    @with_transaction()
    def test_shipped_lists_load_and_reload(self):
        "The shipped lists load cleanly and a second load changes nothing"
        reports = load_lists()
        self.assertTrue(all(r.created and not r.errors for r in reports))
        again = load_lists()
        self.assertEqual(
            [(r.created, r.updated, r.errors) for r in again],
            [(0, 0, [])] * len(again))

    @with_transaction()
    def test_national_lists_complete(self):
        "NAF rev. 2 and PCS-ESE are shipped in full"
        pool = Pool()
        Activity = pool.get('spsti.activity')
        Job = pool.get('spsti.job')
        load_lists()
        counts = {level: Activity.search_count([('level', '=', level)])
            for level in ['section', 'division', 'group', 'class', 'subclass']}
        self.assertEqual(counts, {
                'section': 21, 'division': 88, 'group': 272, 'class': 615,
                'subclass': 732})
        naf, = Activity.search([('code', '=', '86.21Z')])
        self.assertEqual(naf.name, "Activité des médecins généralistes")
        self.assertEqual(
            [a.code for a in [naf.parent, naf.parent.parent,
                    naf.parent.parent.parent, naf.parent.parent.parent.parent]],
            ['86.21', '86.2', '86', 'Q'])
        self.assertGreater(Job.search_count([('level', '=', 'profession')]), 300)
        nurse, = Job.search([('code', '=', '431f')])
        self.assertEqual(nurse.parent.parent.code, '4')
        self.assertEqual(
            Activity.search([('rec_name', 'ilike', '86.21Z')]), [naf])
        self.assertIn(naf, Activity.search(
                [('rec_name', 'ilike', '%médecins généralistes%')]))

    @with_transaction()
    def test_risk_follow_up_category_by_date(self):
        "Electrical clearance implies SIR until 2025-09-30 only"
        pool = Pool()
        Risk = pool.get('spsti.risk')
        load_lists()
        with Transaction().set_context(date=dt.date(2025, 9, 30)):
            risk, = Risk.search([('code', '=', 'SECU.HABELEC')])
            self.assertEqual(risk.follow_up_category.code, 'SIR')
            self.assertIn(risk, Risk.search(
                    [('follow_up_category.code', '=', 'SIR')]))
        with Transaction().set_context(date=dt.date(2025, 10, 1)):
            risk, = Risk.search([('code', '=', 'SECU.HABELEC')])
            self.assertEqual(risk.follow_up_category.code, 'SIG')
            sir = Risk.search([('follow_up_category.code', '=', 'SIR')])
            self.assertNotIn(risk, sir)
            # Sub-risks inherit the category of their parent's rule.
            silica, = Risk.search([('code', '=', 'CHIM.CMR.SILICE')])
            self.assertIn(silica, sir)
            self.assertEqual(silica.follow_up_category.code, 'SIR')
            noise, = Risk.search([('code', '=', 'PHYS.BRUIT')])
            self.assertIsNone(noise.follow_up_category)

    @with_transaction()
    def test_follow_up_category_evaluation(self):
        "The highest category implied by risks and conditions wins"
        pool = Pool()
        Risk = pool.get('spsti.risk')
        Rule = pool.get('spsti.follow_up.rule')
        load_lists()
        risks = {r.code: r for r in Risk.search([])}
        rules = Rule.rules_at(dt.date(2026, 1, 15))

        category, visits = Rule.evaluate(rules, risks=[risks['PHYS.BRUIT']])
        self.assertIsNone(category)
        category, visits = Rule.evaluate(
            rules, risks=[risks['PHYS.BRUIT']], conditions={'night_work'})
        self.assertEqual(category.code, 'SIA')
        category, visits = Rule.evaluate(
            rules, risks=[risks['CHIM.AMIANTE'], risks['BIO.G2']],
            conditions={'night_work'})
        self.assertEqual(category.code, 'SIR')
        category, visits = Rule.evaluate(
            rules, risks=[risks['SECU.CONDUITE']])
        self.assertEqual(
            (category.code, [v.code for v in visits]), ('SIG', ['ANCI']))

        old_rules = Rule.rules_at(dt.date(2024, 6, 1))
        category, visits = Rule.evaluate(
            old_rules, risks=[risks['SECU.CONDUITE']])
        self.assertEqual((category.code, visits), ('SIR', []))

    @with_transaction()
    def test_periodicity_rules_by_date(self):
        "Periodicity is read from the rules in force on the date"
        pool = Pool()
        Rule = pool.get('spsti.periodicity.rule')
        Category = pool.get('spsti.follow_up.category')
        VisitType = pool.get('spsti.visit.type')
        Risk = pool.get('spsti.risk')
        load_lists()
        sig, = Category.search([('code', '=', 'SIG')])
        sia, = Category.search([('code', '=', 'SIA')])
        sir, = Category.search([('code', '=', 'SIR')])
        visit = {v.code: v for v in VisitType.search([])}
        today = dt.date(2026, 3, 2)

        rule = Rule.select(Rule.rules_at(today, sig, visit['VIP-P']))
        self.assertEqual(rule.code, 'SIG-VIP-P')
        self.assertEqual(
            rule.compute_due_date(dt.date(2021, 3, 2)), dt.date(2026, 3, 2))
        rule = Rule.select(Rule.rules_at(today, sia, visit['VIP-P']))
        self.assertEqual(
            rule.compute_due_date(dt.date(2021, 3, 2)), dt.date(2024, 3, 2))

        initial = Rule.rules_at(today, sia, visit['VIP-I'])
        self.assertEqual(Rule.select(initial).code, 'SIA-VIP-I')
        night = Rule.select(initial, conditions={'night_work'})
        self.assertEqual(night.code, 'SIA-VIP-I-NUIT')
        self.assertEqual(
            night.compute_due_date(dt.date(2026, 4, 1)), dt.date(2026, 4, 1))

        rule = Rule.select(Rule.rules_at(today, sir, visit['SIR-I']))
        self.assertEqual(
            [p.code for p in rule.professions], ['MDT'])
        periodic = Rule.rules_at(today, sir, visit['SIR-P'])
        self.assertEqual(Rule.select(periodic).delay, 4)
        cat_a, = Risk.search([('code', '=', 'PHYS.RI.A')])
        self.assertEqual(Rule.select(periodic, risks=[cat_a]).delay, 1)
        # SIR workers get no VIP.
        self.assertEqual(Rule.rules_at(today, sir, visit['VIP-P']), [])

        # Sick-leave threshold for the return-to-work visit changed on
        # 2022-03-31 (30 then 60 days).
        for date, days, expected in [
                (dt.date(2022, 3, 1), 45, 'REPRISE-MALADIE-30'),
                (dt.date(2022, 6, 1), 45, None),
                (dt.date(2022, 6, 1), 60, 'REPRISE-MALADIE-60'),
                ]:
            rule = Rule.select(Rule.rules_at(date, sig, visit['REPRISE']),
                stoppage='sickness', stoppage_days=days)
            self.assertEqual(rule.code if rule else None, expected)
        rule = Rule.select(Rule.rules_at(today, sig, visit['REPRISE']),
            stoppage='maternity', stoppage_days=100)
        self.assertEqual(
            rule.compute_due_date(dt.date(2026, 5, 4)), dt.date(2026, 5, 12))

        # Mid-career visit: the calendar year the employee turns 45.
        rule = Rule.select(Rule.rules_at(today, sig, visit['MICARRIERE']))
        self.assertEqual(
            rule.compute_due_date(dt.date(1981, 7, 14)), dt.date(2026, 12, 31))
        self.assertEqual(
            rule.compute_earliest_date(dt.date(1981, 7, 14)),
            dt.date(2026, 1, 1))
        # No certificate of no contraindication before 2025-10-01.
        self.assertEqual(
            Rule.rules_at(dt.date(2025, 9, 1), sig, visit['ANCI']), [])
        self.assertEqual(
            len(Rule.rules_at(dt.date(2025, 10, 1), sig, visit['ANCI'])), 2)

    @with_transaction()
    def test_rule_validation(self):
        "Rules with inconsistent criteria or dates are refused"
        pool = Pool()
        Rule = pool.get('spsti.follow_up.rule')
        Category = pool.get('spsti.follow_up.category')
        load_lists()
        sir, = Category.search([('code', '=', 'SIR')])
        risk, = pool.get('spsti.risk').search([('code', '=', 'PHYS.BRUIT')])
        with self.assertRaises(ValidationError):
            Rule.create([{'code': 'X', 'category': sir.id}])
        with self.assertRaises(RuleValidationError):
            Rule.create([{'code': 'Y', 'category': sir.id, 'risk': risk.id,
                        'condition': 'night_work'}])
        rule, = Rule.search([('code', '=', 'SIR-CMR')])
        with self.assertRaises(ValidationError):
            Rule.write([rule], {'end_date': dt.date(2016, 1, 1)})

    @with_transaction()
    def test_rpps_check(self):
        "An RPPS number must be 11 digits with a Luhn key"
        pool = Pool()
        Professional = pool.get('spsti.professional')
        org = create_organisation()
        nurse = org['nurse']
        Professional.write([nurse], {'rpps': '10000000009'})
        with self.assertRaises(IdentifierValidationError):
            Professional.write([nurse], {'rpps': '10000000008'})
        with self.assertRaises(IdentifierValidationError):
            Professional.write([nurse], {'rpps': '1234'})

    @with_transaction()
    def test_identifier_checks(self):
        "SIREN, SIRET and NIR are checked with their keys, errors name the field"
        pool = Pool()
        Party = pool.get('party.party')
        party, = Party.create([{"name": "Boulangerie Martin"}])
        for kind, good, bad, compact in [
                ('siren', '732 829 320', '732829321', '732829320'),
                ('siret', '73282932000074', '73282932000075',
                    '73282932000074'),
                ('nir', '2 95 10 99 126 111 93', '295109912611192',
                    '295109912611193'),
                ]:
            with self.subTest(kind=kind):
                party.code = good
                self.assertEqual(
                    check_identifier(kind, party, 'code'), compact)
                party.code = bad
                with self.assertRaisesRegex(
                        IdentifierValidationError, 'Boulangerie Martin'):
                    check_identifier(kind, party, 'code')
        party.code = None
        self.assertIsNone(check_identifier('nir', party, 'code'))

    @with_transaction()
    def test_team_lead_must_be_doctor(self):
        "A team is led by an occupational doctor"
        pool = Pool()
        Team = pool.get('spsti.team')
        org = create_organisation()
        with self.assertRaises(ValidationError):
            Team.write([org['team']], {'lead': org['nurse'].id})

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_base'), [])


del ModuleTestCase
