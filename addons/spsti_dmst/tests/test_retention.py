"""Archived medical files: read-only, kept by their exposures, purged on
decision once the retention is over."""
import datetime as dt
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.spsti_dmst.tests.test_module import VISIT_DAY, setup_file
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


class SpstiRetentionTestCase(unittest.TestCase):
    "Test the retention of the medical files"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_dmst')

    @with_transaction()
    def test_archive_and_purge(self):
        "20 years after the last visit, 50 after a CMR exposure ended"
        pool = Pool()
        MedicalFile = pool.get('spsti.dmst')
        Consultation = pool.get('spsti.dmst.consultation')
        Vaccination = pool.get('spsti.dmst.vaccination')
        Exposure = pool.get('spsti.assignment.exposure')
        Risk = pool.get('spsti.risk')
        _, file, consultation, _ = setup_file()
        MedicalFile.archive([file])
        self.assertEqual((file.state, file.retention_until),
            ('archived', VISIT_DAY.replace(year=VISIT_DAY.year + 20)))
        with self.assertRaisesRegex(AccessError, "archived"):
            MedicalFile.write([file], {'notes': "Ajout"})
        with self.assertRaisesRegex(AccessError, "archived"):
            Vaccination.create([{'file': file.id, 'vaccine': "Grippe",
                        'date': dt.date(2026, 10, 1)}])
        with self.assertRaisesRegex(AccessError, "kept until"):
            MedicalFile.purge([file])

        MedicalFile.reopen([file])
        silica, = Risk.search([('code', '=', 'CHIM.CMR.SILICE')])
        assignment = file.employee.assignments[0]
        Exposure.create([{
                    'assignment': assignment.id,
                    'risk': silica.id,
                    'start_date': dt.date(2026, 1, 5),
                    'end_date': dt.date(2026, 6, 30),
                    }])
        MedicalFile.archive([file])
        self.assertEqual(file.retention_until, dt.date(2076, 6, 30))

        # Past the retention, the doctor's decision purges the content.
        MedicalFile.write([file], {'retention_until': dt.date(2026, 1, 1)})
        MedicalFile.purge([file])
        self.assertEqual(file.state, 'purged')
        self.assertEqual(Consultation.search([('file', '=', file.id)]), [])
        self.assertIsNone(file.medical_history)
        self.assertTrue(file.employee)
