import datetime as dt

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.spsti_adherent.exceptions import (
    AssignmentValidationError, DeclarationError, MemberValidationError)
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, nir,
    setup_referentials, siren, siret)
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.tests.tools import (
    as_user, load_lists, untranslated_strings)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class SpstiAdherentTestCase(ModuleTestCase):
    "Test spsti_adherent module"
    module = 'spsti_adherent'

    @with_transaction()
    def test_membership_workflow_and_history(self):
        "Prospect, request, accept, strike off, re-adhesion: all recorded"
        pool = Pool()
        Member = pool.get('spsti.member')
        setup_referentials()
        member, _ = create_member("Boulangerie Martin", 1, state='prospect')
        self.assertEqual(member.state, 'prospect')
        self.assertIsNone(member.number)
        Member.request([member])
        Member.accept([member])
        self.assertEqual(member.state, 'member')
        self.assertTrue(member.number.startswith('A'))
        number = member.number
        Member.do_strike_off([member], dt.date(2026, 3, 31), 'closure')
        self.assertEqual(
            (member.state, member.strike_off_reason),
            ('struck_off', 'closure'))
        Member.request([member])
        Member.accept([member])
        self.assertEqual(member.number, number)
        self.assertIsNone(member.strike_off_date)
        self.assertEqual(
            [(h.from_state, h.to_state) for h in reversed(member.history)],
            [('prospect', 'requested'), ('requested', 'member'),
                ('member', 'struck_off'), ('struck_off', 'requested'),
                ('requested', 'member')])

    @with_transaction()
    def test_duplicate_siren_refused(self):
        "A second member with the same SIREN is refused, naming both"
        pool = Pool()
        Member = pool.get('spsti.member')
        Party = pool.get('party.party')
        setup_referentials()
        first, _ = create_member("Garage Dupont", 42)
        party, = Party.create([{'name': "Garage Dupont bis"}])
        other, = Member.create([{'party': party.id, 'siren': siren(42)}])
        with self.assertRaisesRegex(MemberValidationError, 'Garage Dupont'):
            Member.request([other])

    @with_transaction()
    def test_siret_and_siren_checks(self):
        "SIREN and SIRET keys are checked; a SIRET belongs to its SIREN"
        pool = Pool()
        Establishment = pool.get('spsti.establishment')
        Member = pool.get('spsti.member')
        setup_referentials()
        member, establishment = create_member("Menuiserie Roux", 7)
        self.assertEqual(
            Establishment.search([('siret', '=', siret(siren(7)))]),
            [establishment])
        self.assertEqual(member.siren.replace(' ', ''), siren(7))
        with self.assertRaises(ValidationError):
            Member.write([member], {'siren': '123456789'})
        with self.assertRaises(ValidationError):
            Establishment.write([establishment], {'siret': '12345678900010'})
        with self.assertRaisesRegex(MemberValidationError, 'Menuiserie Roux'):
            Establishment.write(
                [establishment], {'siret': siret(siren(8), 2)})

    @with_transaction()
    def test_nir_key_and_consistency(self):
        "The NIR key is checked, and the NIR must agree with sex and birth"
        pool = Pool()
        Employee = pool.get('spsti.employee')
        setup_referentials()
        birth = dt.date(1985, 6, 12)
        employee = create_employee("Durand", "Léa", birth, sex='F')
        self.assertEqual(employee.nir, nir('F', birth))
        good = nir('F', birth)
        bad_key = good[:13] + f'{(int(good[13:]) % 97) + 1:02d}'
        with self.assertRaisesRegex(ValidationError, 'DURAND'):
            Employee.write([employee], {'nir': bad_key})
        with self.assertRaisesRegex(MemberValidationError, 'sex'):
            Employee.write([employee], {'nir': nir('M', birth, 2)})
        with self.assertRaisesRegex(MemberValidationError, 'birth'):
            Employee.write(
                [employee], {'nir': nir('F', dt.date(1986, 6, 1), 3)})
        spaced = ' '.join(
            [good[0], good[1:3], good[3:5], good[5:7], good[7:10],
                good[10:13], good[13:]])
        Employee.write([employee], {'nir': spaced})
        self.assertEqual(employee.nir, good)
        with self.assertRaises(Exception):
            create_employee("Durand", "Léa", birth, sex='F')

    @with_transaction()
    def test_category_across_2025_rule_change(self):
        "Electrical clearance: SIR until 2025-09-30, SIG + ANCI after"
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        setup_referentials()
        _, establishment = create_member("Électricité Blanc", 3)
        employee = create_employee("Blanc", "Paul", dt.date(1990, 2, 3))
        assignment = create_assignment(
            employee, establishment, risks=['SECU.HABELEC', 'PHYS.BRUIT'],
            job='633a')

        Assignment.compute_categories(
            [assignment], today=dt.date(2025, 9, 30))
        self.assertEqual(assignment.category.code, 'SIR')
        self.assertEqual(assignment.specific_visits, ())
        self.assertIn('SIR-HABELEC', assignment.category_explanation)

        Assignment.compute_categories(
            [assignment], today=dt.date(2025, 10, 1))
        self.assertEqual(assignment.category.code, 'SIG')
        self.assertEqual(
            [v.code for v in assignment.specific_visits], ['ANCI'])
        self.assertEqual(assignment.category_date, dt.date(2025, 10, 1))

        # An ended assignment is judged by the rules of its last day.
        Assignment.write([assignment], {'end_date': dt.date(2024, 12, 31)})
        self.assertEqual(assignment.category.code, 'SIR')

    @with_transaction()
    def test_nightly_recompute_follows_rule_change(self):
        "The nightly task moves assignments to the rules of the new day"
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        setup_referentials()
        _, establishment = create_member("Levage Moreau", 12)
        assignments = []
        for i in range(3):
            employee = create_employee(
                f"Moreau{i}", "Léo", dt.date(1985, 1, 1 + i), seed=40 + i)
            assignments.append(create_assignment(
                    employee, establishment, risks=['SECU.CONDUITE']))
        ended = assignments[2]
        Assignment.write([ended], {'end_date': dt.date(2025, 6, 30)})
        Assignment.compute_categories(assignments, dt.date(2025, 9, 30))
        self.assertEqual(
            {a.category.code for a in assignments}, {'SIR'})
        count = Assignment.recompute_all_categories(
            today=dt.date(2025, 10, 2))
        self.assertGreaterEqual(count, 2)
        self.assertEqual(
            [a.category.code for a in assignments], ['SIG', 'SIG', 'SIR'])

    @with_transaction()
    def test_overdue_declarations(self):
        "An open declaration past the delay is overdue, as is its member"
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Member = pool.get('spsti.member')
        setup_referentials()
        late, _ = create_member("Retard SARL", 13)
        on_time, _ = create_member("Ponctuel SAS", 14)
        old, = Declaration.open_year(
            2025, [late], reference_date=dt.date(2025, 1, 1))
        new, = Declaration.open_year(
            2025, [on_time], reference_date=dt.date.today())
        self.assertTrue(old.overdue)
        self.assertFalse(new.overdue)
        self.assertEqual(Declaration.search([('overdue', '=', True)]), [old])
        self.assertEqual(
            Member.search([('declaration_overdue', '=', True)]), [late])
        self.assertIn(on_time,
            Member.search([('declaration_overdue', '=', False)]))

    @with_transaction()
    def test_category_from_situations_and_exposures(self):
        "Conditions give SIA, SIR risks win, edits recompute at once"
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        Exposure = pool.get('spsti.assignment.exposure')
        Risk = pool.get('spsti.risk')
        setup_referentials()
        _, establishment = create_member("Clinique du Parc", 4)
        young = create_employee(
            "Petit", "Hugo", dt.date.today().replace(
                year=dt.date.today().year - 16), seed=5)
        assignment = create_assignment(young, establishment,
            start=dt.date.today(), contract_type='apprentice')
        self.assertTrue(assignment.under_18)
        self.assertEqual(assignment.effective_category.code, 'SIA')

        nurse = create_employee("Morel", "Anne", dt.date(1980, 1, 5),
            sex='F', seed=6)
        assignment = create_assignment(nurse, establishment)
        self.assertEqual(assignment.effective_category.code, 'SIG')
        Assignment.write([assignment], {'night_work': True})
        self.assertEqual(assignment.effective_category.code, 'SIA')
        cmr, = Risk.search([('code', '=', 'CHIM.CMR.SILICE')])
        exposure, = Exposure.create([{
                    'assignment': assignment.id, 'risk': cmr.id,
                    'source': 'team'}])
        self.assertEqual(assignment.effective_category.code, 'SIR')
        Exposure.delete([exposure])
        self.assertEqual(
            Assignment(assignment.id).effective_category.code, 'SIA')
        self.assertEqual(nurse.category.code, 'SIA')
        self.assertIn(assignment, Assignment.search(
                [('effective_category.code', '=', 'SIA')]))

    @with_transaction()
    def test_doctor_override(self):
        "A doctor sets the category with a reason; others cannot"
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        Category = pool.get('spsti.follow_up.category')
        org = setup_referentials()
        _, establishment = create_member("Carrosserie Lemaire", 9)
        employee = create_employee("Lemaire", "Jean", dt.date(1975, 4, 4))
        assignment = create_assignment(employee, establishment)
        sir, = Category.search([('code', '=', 'SIR')])
        with Transaction().set_user(org['users']['infirmier'].id):
            with self.assertRaises(AssignmentValidationError):
                Assignment.set_override([assignment], sir, "Non")
        with Transaction().set_user(org['users']['medecin'].id):
            Assignment.set_override(
                [assignment], sir, "Exposition aux solvants observée")
        self.assertEqual(assignment.effective_category, sir)
        self.assertEqual(assignment.category.code, 'SIG')
        self.assertEqual(assignment.override_user, org['users']['medecin'])
        self.assertIn(assignment, Assignment.search(
                [('effective_category', '=', sir.id)]))
        self.assertIn('solvants', assignment.category_explanation)
        with Transaction().set_user(org['users']['medecin'].id):
            Assignment.set_override([assignment], None, None)
        self.assertEqual(assignment.effective_category.code, 'SIG')

    @with_transaction()
    def test_copy_profile_from_position(self):
        "A job position's exposures are copied onto assignments"
        pool = Pool()
        Position = pool.get('spsti.position')
        Risk = pool.get('spsti.risk')
        CopyProfile = pool.get('spsti.assignment.copy_profile', type='wizard')
        setup_referentials()
        _, establishment = create_member("Maçonnerie Girard", 10)
        risks = Risk.search([('code', 'in', ['CHIM.AMIANTE', 'ERGO.MANUT'])])
        position, = Position.create([{
                    'establishment': establishment.id,
                    'name': "Maçon",
                    'night_work': False,
                    'exposures': [('create', [
                                {'risk': r.id} for r in risks])],
                    }])
        employee = create_employee("Girard", "Luc", dt.date(1992, 8, 8))
        assignment = create_assignment(
            employee, establishment, risks=['ERGO.MANUT'], job=None)
        session_id, _, _ = CopyProfile.create()
        wizard = CopyProfile(session_id)
        with Transaction().set_context(
                active_model='spsti.assignment', active_ids=[assignment.id],
                active_id=assignment.id):
            wizard.start.source = 'position'
            wizard.start.position = position
            wizard.start.replace = False
            wizard.transition_copy()
        self.assertEqual(
            sorted(e.risk.code for e in assignment.exposures),
            ['CHIM.AMIANTE', 'ERGO.MANUT'])
        self.assertEqual(assignment.effective_category.code, 'SIR')

    @with_transaction()
    def test_declaration_versions(self):
        "Open, fill, validate and lock, amend into a new version"
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Line = pool.get('spsti.declaration.line')
        setup_referentials()
        member, establishment = create_member("Transports Leroy", 11)
        for i, risks in enumerate([[], ['CHIM.AMIANTE'], []]):
            employee = create_employee(
                f"Leroy{i}", "Marc", dt.date(1980, 1, 1 + i), seed=20 + i)
            create_assignment(employee, establishment, risks=risks,
                start=dt.date(2025, 6, 1))
        old = create_employee("Ancien", "Paul", dt.date(1950, 1, 1), seed=30)
        create_assignment(old, establishment, job=None,
            risks=['ERGO.MANUT'], start=dt.date(2025, 6, 1))
        twin = create_employee("Leroy0", "Marc", dt.date(1980, 1, 1),
            seed=31)
        create_assignment(twin, establishment, start=dt.date(2025, 6, 1))

        declaration, = Declaration.open_year(2026, [member])
        self.assertEqual(Declaration.open_year(2026, [member]), [])
        self.assertEqual(len(declaration.lines), 5)
        issues = declaration.issues
        self.assertIn('ANCIEN', issues)
        self.assertIn('PCS-ESE', issues)
        self.assertIn('duplicate', issues)

        with Transaction().set_context(_skip_warnings=True):
            Declaration.validate_declaration([declaration])
        self.assertEqual(declaration.state, 'validated')
        self.assertEqual(
            (declaration.count_sig, declaration.count_sir,
                declaration.count_total), (4, 1, 5))
        with self.assertRaises(DeclarationError):
            Line.write(list(declaration.lines), {'included': False})
        with self.assertRaises(DeclarationError):
            Declaration.fill([declaration])

        amended, = Declaration.amend([declaration])
        self.assertEqual(
            (amended.version, amended.state, declaration.state),
            (2, 'open', 'superseded'))
        self.assertEqual(amended.previous, declaration)
        self.assertEqual(len(amended.lines), 5)
        Line.write([l for l in amended.lines if l.employee == twin],
            {'included': False})
        with Transaction().set_context(_skip_warnings=True):
            Declaration.validate_declaration([amended])
        self.assertEqual(amended.count_total, 4)
        self.assertEqual(declaration.count_total, 5)

    @with_transaction()
    def test_multi_employer_detection(self):
        "Same PCS and category at two members on 31 January: followed once"
        pool = Pool()
        MultiEmployer = pool.get('spsti.multi_employer')
        setup_referentials()
        _, shop_a = create_member("Nettoyage Alpha", 51)
        _, shop_b = create_member("Nettoyage Beta", 52)
        _, shop_c = create_member("Nettoyage Gamma", 53)
        cleaner = create_employee("Nguyen", "Thi", dt.date(1979, 3, 3),
            sex='F', seed=60)
        first = create_assignment(cleaner, shop_b, job='684a',
            start=dt.date(2019, 5, 1))
        create_assignment(cleaner, shop_a, job='684a',
            start=dt.date(2022, 9, 1))
        # Different job: not counted; ended before 31 January: not counted.
        other = create_employee("Roux", "Ana", dt.date(1990, 3, 3),
            sex='F', seed=61)
        create_assignment(other, shop_a, job='684a')
        create_assignment(other, shop_b, job='563b')
        left = create_employee("Blanc", "Eva", dt.date(1991, 3, 3),
            sex='F', seed=62)
        create_assignment(left, shop_a, job='684a')
        create_assignment(left, shop_c, job='684a',
            end_date=dt.date(2026, 1, 15))

        found = MultiEmployer.detect(2026)
        self.assertEqual([m.employee for m in found], [cleaner])
        self.assertEqual(found[0].principal, first)
        self.assertEqual(found[0].principal_member, shop_b.member)
        self.assertEqual(found[0].member_count, 2)
        # Rerun replaces, never duplicates.
        MultiEmployer.detect(2026)
        self.assertEqual(MultiEmployer.search_count([('year', '=', 2026)]), 1)
        # On 31 January 2025 the second employer of "left" still counted.
        self.assertEqual(
            {m.employee for m in MultiEmployer.detect(2025)}, {cleaner, left})
        self.assertEqual(MultiEmployer.detect(2019), [])

    @with_transaction()
    def test_sensitive_situations_hidden_from_billing(self):
        "Disability, invalidity and pregnancy are not readable by billing"
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        org = setup_referentials()
        _, establishment = create_member("Pharmacie Centrale", 70)
        employee = create_employee("Lopez", "Sara", dt.date(1988, 2, 2),
            sex='F', seed=70)
        assignment = create_assignment(
            employee, establishment, disabled_worker=True)
        for login, allowed in [('facturation', False), ('pilotage', False),
                ('planification', True), ('infirmier', True)]:
            with self.subTest(login=login), as_user(org['users'][login]):
                if allowed:
                    values, = Assignment.read(
                        [assignment.id], ['disabled_worker'])
                    self.assertTrue(values['disabled_worker'])
                else:
                    with self.assertRaises(AccessError):
                        Assignment.read([assignment.id], ['disabled_worker'])
                    Assignment.read([assignment.id], ['effective_category'])

    @with_transaction()
    def test_crm_cannot_read_employees(self):
        "The CRM group reads members but not the workforce"
        pool = Pool()
        Employee = pool.get('spsti.employee')
        Member = pool.get('spsti.member')
        org = setup_referentials()
        create_member("Boucherie Sanchez", 80)
        with as_user(org['users']['relation']):
            self.assertTrue(Member.search([]))
            with self.assertRaises(AccessError):
                Employee.search([])

    @with_transaction()
    def test_demo_generator(self):
        "The demo creates members, establishments and a workforce"
        pool = Pool()
        Member = pool.get('spsti.member')
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        Demo = pool.get('spsti.demo')
        load_lists()
        ctx = DemoContext(members=5, employees=60, seed=3)
        Demo.generate(ctx)
        self.assertEqual(Member.search_count([]), 5)
        self.assertGreater(Employee.search_count([]), 0)
        self.assertEqual(
            Assignment.search_count([('category', '=', None)]), 0)

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_adherent'), [])


del ModuleTestCase
