"""Fiche d'entreprise: versions, validation, prevention-culture score, due
dates and the printed sheet."""
import datetime as dt
import io
import unittest
import zipfile

from trytond.model.exceptions import AccessError
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.modules.spsti_base.tests.tools import as_user
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


def setup_sheet():
    "A member with two employees, one in SIR, and a draft sheet."
    pool = Pool()
    Sheet = pool.get('spsti.company_sheet')
    Risk = pool.get('spsti.risk')
    org = setup_referentials()
    member, establishment = create_member("Scierie Dupont", 301)
    for seed, exposed in [(1, False), (2, True)]:
        assignment = create_assignment(
            create_employee("Dupont", f"Léa{seed}", dt.date(1990, 1, 1),
                seed=seed),
            establishment, start=dt.date(2025, 1, 6))
        if exposed:
            assignment.category_override = pool.get(
                'ir.model.data').get_id('spsti_base', 'category_sir')
            assignment.override_reason = "Exposition à l'amiante"
            assignment.save()
    risk, = Risk.search([('code', '=', 'PHYS.BRUIT')])
    sheet, = Sheet.create([{
                'establishment': establishment.id,
                'date': dt.date(2025, 6, 2),
                'author': org['doctor'].id,
                'synthesis': "Bruit élevé à la scie de tête",
                'risks': [('create', [{
                                'risk': risk.id,
                                'source': 'observed',
                                'workstations': "Scie de tête",
                                'prevention': "Bouchons moulés",
                                'assignments': [
                                    ('add', [assignment.id])],
                                }])],
                'duerp': True,
                'duerp_with_employees': True,
                'action_plan': True,
                }])
    return org, member, establishment, sheet


class SpstiCompanySheetTestCase(unittest.TestCase):
    "Test the company risk sheets of spsti_dmst"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_dmst')

    @with_transaction()
    def test_versions(self):
        "Validation stores the workforce; updates are new versions"
        pool = Pool()
        Sheet = pool.get('spsti.company_sheet')
        _, _, establishment, sheet = setup_sheet()
        self.assertEqual(sheet.version, 1)
        self.assertEqual(sheet.culture_score, 2.5)
        Sheet.validate_sheet([sheet])
        self.assertEqual((sheet.state, sheet.headcount, sheet.sir_declared),
            ('validated', 2, 1))
        # The noise the team observed is now an exposure of the post.
        line, = sheet.risks
        assignment, = line.assignments
        exposure, = [e for e in assignment.exposures
            if e.risk == line.risk]
        self.assertEqual((exposure.source, exposure.start_date),
            ('team', sheet.date))
        with self.assertRaisesRegex(AccessError, "new version"):
            Sheet.write([sheet], {'synthesis': "Corrigé"})
        action = Sheet.new_version([sheet])
        second, = Sheet.browse(action['res_id'])
        self.assertEqual((second.version, second.state, second.synthesis),
            (2, 'draft', "Bruit élevé à la scie de tête"))
        self.assertEqual(len(second.risks), 1)
        self.assertIsNone(second.headcount)

    @with_transaction()
    def test_due_dates(self):
        "Due within a year of membership, then four years after the last"
        pool = Pool()
        Sheet = pool.get('spsti.company_sheet')
        Configuration = pool.get('spsti.adherent.configuration')
        _, member, establishment, sheet = setup_sheet()
        member.membership_date = dt.date(2025, 3, 1)
        member.save()
        self.assertEqual(
            establishment.company_sheet_due, dt.date(2026, 3, 1))
        Sheet.validate_sheet([sheet])
        self.assertEqual(
            Sheet.due_dates([establishment]),
            {establishment.id: dt.date(2029, 6, 2)})
        config = Configuration(1)
        config.company_sheet_renewal_years = 5
        config.save()
        self.assertEqual(
            Sheet.due_dates([establishment]),
            {establishment.id: dt.date(2030, 6, 2)})

    @with_transaction()
    def test_access_and_print(self):
        "The team writes the sheet, billing does not see it; it prints"
        pool = Pool()
        Sheet = pool.get('spsti.company_sheet')
        ActionReport = pool.get('ir.action.report')
        Report = pool.get('spsti.company_sheet', type='report')
        org, _, _, sheet = setup_sheet()
        users = org['users']
        with as_user(users['infirmier']):
            Sheet.write([Sheet(sheet.id)], {'sir_observed': 2})
        with as_user(users['relation']):
            Sheet.read([sheet.id], ['synthesis'])
            with self.assertRaises(AccessError):
                Sheet.write([Sheet(sheet.id)], {'sir_observed': 3})
        with as_user(users['facturation']), self.assertRaises(AccessError):
            Sheet.read([sheet.id], ['synthesis'])
        action, = ActionReport.search(
            [('report_name', '=', 'spsti.company_sheet')])
        records = Report._get_records([sheet.id], 'spsti.company_sheet', {})
        odt = Report.render(action, Report.get_context(records, {}, {}))
        text = zipfile.ZipFile(io.BytesIO(odt)).read('content.xml').decode()
        self.assertIn("Bruit élevé à la scie de tête", text)
        self.assertIn("Bouchons moulés", text)
        self.assertIn("2.5 / 5", text)
        extension, content, _, _ = Report.execute([sheet.id], {})
        self.assertEqual(extension, 'pdf')
        self.assertTrue(content.startswith(b'%PDF'))
