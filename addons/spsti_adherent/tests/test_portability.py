import copy
import datetime as dt
import json

import jsonschema

from trytond.model.exceptions import AccessError
from trytond.modules.spsti_adherent.exceptions import PortabilityError
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials,
    siren, siret)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def comparable(data):
    """The member file without what differs by design between two exports
    of the same member by two services: the export time and the
    membership at the exporting service (number, state, dates)."""
    data = copy.deepcopy(data)
    del data['exported_at']
    del data['member']['membership']
    return data


class SpstiPortabilityTestCase(ModuleTestCase):
    "Test the portability of a member file between services"
    module = 'spsti_adherent'

    def build_member(self, org):
        """A member with 2 establishments, a job position, 3 employees with
        assignments and exposures, a doctor's override and validated
        declarations (version 1 superseded by version 2)."""
        pool = Pool()
        Address = pool.get('party.address')
        Establishment = pool.get('spsti.establishment')
        Position = pool.get('spsti.position')
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        Exposure = pool.get('spsti.assignment.exposure')
        Activity = pool.get('spsti.activity')
        Job = pool.get('spsti.job')
        Risk = pool.get('spsti.risk')
        Category = pool.get('spsti.follow_up.category')
        Declaration = pool.get('spsti.declaration')

        member, head_office = create_member("Bâtiment Durand Frères", 301)
        Address.write(list(member.party.addresses), {
                'street': "3 rue des Halles",
                'postal_code': '37000',
                })
        address, = Address.create([{
                    'party': member.party.id,
                    'street': "ZA des Granges\nBâtiment B",
                    'postal_code': '37300',
                    'city': "Joué-lès-Tours",
                    }])
        activity, = Activity.search([('code', '=', '43.22A')])
        workshop, = Establishment.create([{
                    'member': member.id,
                    'name': "Atelier",
                    'address': address.id,
                    'siret': siret(siren(301), 2),
                    'activity': activity.id,
                    }])
        job, = Job.search([('code', '=', '633a')])
        Position.create([{
                    'establishment': workshop.id,
                    'name': "Plombier",
                    'job': job.id,
                    'night_work': False,
                    'exposures': [('create', [
                                {'risk': r.id, 'note': "Chantiers anciens"}
                                for r in Risk.search([('code', 'in',
                                            ['CHIM.AMIANTE', 'ERGO.MANUT'])])
                                ])],
                    }])

        paul = create_employee(
            "Durand", "Paul Marie", dt.date(1980, 5, 17), seed=301)
        lea = create_employee(
            "Martin", "Léa", dt.date(1992, 11, 2), sex='F', seed=302)
        hugo = create_employee(
            "Bernard", "Hugo", dt.date(1999, 1, 30), seed=303)
        Employee.write([lea], {
                'usage_name': "Durand",
                'birth_place': '37261',
                'ins': lea.nir,
                'identity_status': 'qualified',
                'email': 'lea.martin@example.org',
                'mobile': '0600000000',
                'street': "8 allée des Tilleuls",
                'postal_code': '37000',
                'city': "Tours",
                'consent_email': True,
                'consent_portal': True,
                })

        create_assignment(paul, head_office, job='431f',
            start=dt.date(2015, 3, 1), job_title="Conducteur de travaux")
        plumber = create_assignment(paul, workshop,
            risks=['CHIM.AMIANTE', 'ERGO.MANUT'], job='633a',
            start=dt.date(2021, 9, 1), contract_type='cdi')
        Exposure.write(
            [e for e in plumber.exposures if e.risk.code == 'ERGO.MANUT'],
            {'source': 'team', 'start_date': dt.date(2022, 1, 1),
                'note': "Port de charges observé"})
        create_assignment(lea, workshop, risks=['PHYS.BRUIT'], job='633a',
            start=dt.date(2023, 2, 1), night_work=True, pregnancy=True)
        apprentice = create_assignment(hugo, workshop, job='633a',
            start=dt.date(2016, 9, 1), end_date=dt.date(2018, 8, 31),
            contract_type='apprentice', disabled_worker=True)
        sir, = Category.search([('code', '=', 'SIR')])
        with Transaction().set_user(org['users']['medecin'].id):
            Assignment.set_override([apprentice], sir,
                "Exposition aux solvants constatée en visite")

        first, = Declaration.open_year(
            2026, [member], reference_date=dt.date(2026, 1, 1))
        with Transaction().set_context(_skip_warnings=True):
            Declaration.validate_declaration([first])
            second, = Declaration.amend([first])
            Declaration.validate_declaration([second])
        return member

    def delete_member(self, member):
        "Remove a member and its workforce, as if it never was here."
        pool = Pool()
        Declaration = pool.get('spsti.declaration')
        Assignment = pool.get('spsti.assignment')
        Establishment = pool.get('spsti.establishment')
        Member = pool.get('spsti.member')
        Employee = pool.get('spsti.employee')
        Party = pool.get('party.party')
        declarations = Declaration.search([('member', '=', member.id)])
        # Validated declarations are locked: reopen them to delete them.
        Declaration.write(declarations, {'state': 'open'})
        Declaration.delete(declarations)
        # Ended assignments and closed establishments count too.
        with Transaction().set_context(active_test=False):
            assignments = Assignment.search([('member', '=', member.id)])
            employees = list({a.employee for a in assignments})
            Assignment.delete(assignments)
            Establishment.delete(Establishment.search(
                    [('member', '=', member.id)]))
        party = member.party
        Member.delete([member])
        Employee.delete(employees)
        Party.delete([party])

    @with_transaction()
    def test_round_trip(self):
        "Export, remove, import, export again: the same member file"
        pool = Pool()
        MemberFile = pool.get('spsti.member.file')
        Member = pool.get('spsti.member')
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        Declaration = pool.get('spsti.declaration')
        org = setup_referentials()
        with Transaction().set_context(company=org['company'].id):
            member = self.build_member(org)
            exported = MemberFile.export_member(member)

            # The document follows the published schema, even re-read.
            content = MemberFile.dumps(exported)
            jsonschema.Draft202012Validator(
                MemberFile.schema(),
                format_checker=jsonschema.FormatChecker(),
                ).validate(json.loads(content))
            data = exported['member']
            self.assertEqual(data['company']['siren'], siren(301))
            self.assertEqual(len(data['company']['addresses']), 2)
            self.assertEqual(len(data['establishments']), 2)
            self.assertEqual(len(data['employees']), 3)
            self.assertEqual(len(data['assignments']), 4)
            self.assertEqual(
                [(d['year'], d['version'], d['state'])
                    for d in data['declarations']],
                [(2026, 1, 'superseded'), (2026, 2, 'validated')])
            override, = [a['doctor_override'] for a in data['assignments']
                if a['doctor_override']]
            self.assertEqual(override['category_code'], 'SIR')
            self.assertIn('solvants', override['reason'])
            self.assertNotIn('"id"', content.decode('utf-8'))

            self.delete_member(member)
            self.assertFalse(Member.search([('siren', '=', siren(301))]))

            imported = MemberFile.import_member_file(content)
            self.assertEqual(imported.state, 'requested')
            self.assertIsNone(imported.number)
            history, = imported.history
            self.assertEqual(history.to_state, 'requested')
            self.assertIn("Santé au Travail", history.note)
            with Transaction().set_context(active_test=False):
                assignments = Assignment.search(
                    [('member', '=', imported.id)])
            self.assertEqual(len(assignments), 4)
            self.assertEqual(
                {a.source for a in assignments}, {'portability'})
            apprentice, = [a for a in assignments
                if a.transfer_override_category]
            # Kept as information, not applied: the category is computed.
            self.assertIsNone(apprentice.category_override)
            self.assertEqual(apprentice.effective_category.code, 'SIA')
            self.assertIn('solvants', apprentice.category_explanation)
            declarations = Declaration.search(
                [('member', '=', imported.id)], order=[('version', 'ASC')])
            self.assertEqual(
                [d.state for d in declarations], ['superseded', 'validated'])
            self.assertEqual(declarations[1].previous, declarations[0])
            self.assertTrue(all(l.assignment
                    for d in declarations for l in d.lines))

            reexported = MemberFile.export_member(imported)
            self.maxDiff = None
            self.assertEqual(comparable(reexported), comparable(exported))
            self.assertEqual(
                reexported['member']['membership']['state'], 'requested')

            # Same file again: refused, naming the existing member.
            with self.assertRaisesRegex(
                    PortabilityError, 'Bâtiment Durand Frères'):
                MemberFile.import_member_file(content)
            self.assertEqual(Employee.search_count([]), 3)

    @with_transaction()
    def test_known_employee_matched_by_nir(self):
        "An employee already followed is matched by NIR, never duplicated"
        pool = Pool()
        MemberFile = pool.get('spsti.member.file')
        Employee = pool.get('spsti.employee')
        org = setup_referentials()
        with Transaction().set_context(company=org['company'].id):
            member, establishment = create_member("Boulangerie Petit", 302)
            baker = create_employee(
                "Petit", "Jeanne", dt.date(1970, 7, 7), sex='F', seed=310)
            create_assignment(baker, establishment, job='684a')
            _, elsewhere = create_member("Pâtisserie Voisine", 303)
            create_assignment(baker, elsewhere, job='684a',
                start=dt.date(2024, 1, 1))
            content = MemberFile.dumps(MemberFile.export_member(member))
            self.delete_assignments_and_member(member)

            imported = MemberFile.import_member_file(content)
            self.assertEqual(Employee.search_count(
                    [('nir', '=', baker.nir)]), 1)
            self.assertEqual(
                [a.employee for a in imported.assignments], [baker])
            self.assertEqual(len(baker.assignments), 2)

    def delete_assignments_and_member(self, member):
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        Member = pool.get('spsti.member')
        Party = pool.get('party.party')
        with Transaction().set_context(active_test=False):
            Assignment.delete(Assignment.search(
                    [('member', '=', member.id)]))
        party = member.party
        Member.delete([member])
        Party.delete([party])

    @with_transaction()
    def test_schema_violation_reported(self):
        "A file breaking the schema is refused with the path of each error"
        pool = Pool()
        MemberFile = pool.get('spsti.member.file')
        org = setup_referentials()
        with Transaction().set_context(company=org['company'].id):
            member, establishment = create_member("Garage Lambert", 304)
            employee = create_employee(
                "Lambert", "Eric", dt.date(1975, 3, 3), seed=320)
            create_assignment(employee, establishment)
            data = MemberFile.export_member(member)

        broken = copy.deepcopy(data)
        broken['member']['employees'][0]['sex'] = 'X'
        broken['member']['assignments'][0]['start_date'] = '2020-13-45'
        del broken['member']['company']['siren']
        with self.assertRaises(PortabilityError) as cm:
            MemberFile.import_member_file(broken)
        message = cm.exception.message
        self.assertIn('3 errors', message)
        self.assertIn('$.member.employees[0].sex', message)
        self.assertIn('$.member.assignments[0].start_date', message)
        self.assertIn("'siren' is a required property", message)

        with self.assertRaisesRegex(PortabilityError, 'JSON'):
            MemberFile.import_member_file(b'{"format": ')
        with self.assertRaisesRegex(PortabilityError, '"2.0"'):
            MemberFile.import_member_file(dict(data, version='2.0'))
        with self.assertRaisesRegex(PortabilityError, 'not a member file'):
            MemberFile.import_member_file({'format': 'other'})

        dangling = copy.deepcopy(data)
        dangling['member']['assignments'][0]['employee'] = 'employee-9'
        with self.assertRaisesRegex(PortabilityError,
                r'\$\.member\.assignments\[0\]\.employee'):
            MemberFile.import_member_file(dangling)

    @with_transaction()
    def test_unknown_codes_reported(self):
        "Every unknown referential code is reported with its JSON path"
        pool = Pool()
        MemberFile = pool.get('spsti.member.file')
        Member = pool.get('spsti.member')
        org = setup_referentials()
        with Transaction().set_context(company=org['company'].id):
            member, establishment = create_member("Menuiserie Blanc", 305)
            employee = create_employee(
                "Blanc", "Marc", dt.date(1985, 8, 8), seed=330)
            create_assignment(employee, establishment, risks=['PHYS.BRUIT'])
            data = MemberFile.export_member(member)
            self.delete_assignments_and_member(member)

        data['member']['assignments'][0]['exposures'][0]['risk_code'] = (
            'PHYS.INCONNU')
        data['member']['establishments'][0]['naf_code'] = '99.99Z'
        with self.assertRaises(PortabilityError) as cm:
            MemberFile.import_member_file(data)
        message = cm.exception.message
        self.assertIn(
            '$.member.assignments[0].exposures[0].risk_code', message)
        self.assertIn('"PHYS.INCONNU"', message)
        self.assertIn('$.member.establishments[0].naf_code', message)
        self.assertIn('"99.99Z"', message)
        self.assertFalse(Member.search([('siren', '=', siren(305))]))

    @with_transaction()
    def test_wizards(self):
        "The export wizard gives a JSON file the import wizard reads"
        pool = Pool()
        Export = pool.get('spsti.member.file.export', type='wizard')
        Import = pool.get('spsti.member.file.import', type='wizard')
        Member = pool.get('spsti.member')
        org = setup_referentials()
        with Transaction().set_context(company=org['company'].id):
            member, establishment = create_member("Imprimerie Roy", 306)
            create_assignment(create_employee(
                    "Roy", "Anne", dt.date(1990, 2, 2), sex='F', seed=340),
                establishment)
            session_id, _, _ = Export.create()
            with Transaction().set_context(active_model='spsti.member',
                    active_id=member.id, active_ids=[member.id]):
                result = Export.execute(session_id, {}, 'start')
            values = result['view']['defaults']
            self.assertTrue(values['filename'].endswith('.json'))
            self.assertEqual(
                json.loads(values['file'])['member']['company']['name'],
                "Imprimerie Roy")
            self.delete_assignments_and_member(member)

            session_id, _, _ = Import.create()
            Import.execute(session_id, {'start': {
                        'file': values['file'],
                        'filename': values['filename'],
                        }}, 'import_')
            imported, = Member.search([('siren', '=', siren(306))])
            self.assertEqual(imported.state, 'requested')

            # Administrators only.
            for Wizard in [Export, Import]:
                with self.subTest(wizard=Wizard.__name__), \
                        Transaction().set_user(
                            org['users']['planification'].id), \
                        Transaction().set_context(
                            active_model='spsti.member',
                            active_id=imported.id,
                            active_ids=[imported.id]), \
                        self.assertRaises(AccessError):
                    Wizard.create()


del ModuleTestCase
