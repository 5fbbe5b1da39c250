"""Transfer of a medical file to another service and its import."""
import datetime as dt
import json
import unittest

from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee)
from trytond.modules.spsti_base.tests.tools import as_user
from trytond.modules.spsti_dmst.exceptions import TransferError
from trytond.modules.spsti_dmst.tests.test_module import setup_file
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


def comparable(data):
    "The transfer data without what differs between two exports."
    data = json.loads(json.dumps(data))
    data.pop('exported_at')
    return data


class SpstiTransferTestCase(unittest.TestCase):
    "Test the transfer of the medical files"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_dmst')

    @with_transaction()
    def test_round_trip(self):
        "A file exported then received elsewhere holds the same content"
        pool = Pool()
        Transfer = pool.get('spsti.dmst.transfer')
        MedicalFile = pool.get('spsti.dmst')
        Consultation = pool.get('spsti.dmst.consultation')
        AccessLog = pool.get('spsti.dmst.access_log')
        org, file, consultation, _ = setup_file()
        Consultation.issue([consultation])
        nurse = org['users']['infirmier']
        with as_user(nurse):
            data = Transfer.export_file(MedicalFile(file.id))
        content = Transfer.dumps(data)
        self.assertEqual(Transfer.load(content)['employee']['birth_name'],
            "Martin")
        self.assertIn(('export', nurse),
            [(l.kind, l.user) for l in AccessLog.search([])])

        # As received by another service: an employee followed here but
        # without any file, whose identity the file gives.
        establishment = file.employee.assignments[0].establishment
        employee = create_employee("Dupuis", "Anne", dt.date(1979, 2, 3),
            seed=9)
        create_assignment(employee, establishment)
        data['employee'].update({
                'nir': employee.nir,
                'birth_name': employee.last_name,
                'first_names': employee.first_name,
                'birth_date': employee.birth_date.isoformat(),
                'sex': employee.sex,
                })
        with as_user(nurse):
            received = Transfer.import_file(Transfer.dumps(data))
        self.assertEqual(received.employee, employee)
        self.assertNotEqual(received, file)
        consultation, = received.consultations
        self.assertEqual(
            (consultation.origin_professional, consultation.professional,
                consultation.state, consultation.anamnesis),
            (org['nurse'].rec_name, None, 'issued',
                "Douleurs lombaires depuis six mois"))
        again = Transfer.export_file(received)
        source = data['source_service']['name']
        self.assertTrue(again['file']['medical_history'].startswith(
                f"Received from {source} on "))
        self.assertTrue(again['file']['medical_history'].endswith(
                ":\nAsthme dans l'enfance"))
        self.assertEqual(comparable(again)['consultations'],
            comparable(data)['consultations'])
        self.assertEqual(comparable(again)['vaccinations'],
            comparable(data)['vaccinations'])
        self.assertEqual(comparable(again)['pathologies'],
            comparable(data)['pathologies'])
        self.assertIn('import', [l.kind for l in AccessLog.search([])])

    @with_transaction()
    def test_refused_and_invalid(self):
        "A refused transfer is not exported; a bad file is fully reported"
        pool = Pool()
        Transfer = pool.get('spsti.dmst.transfer')
        _, file, _, _ = setup_file()
        data = Transfer.export_file(file)
        file.transfer_refused = True
        file.save()
        with self.assertRaisesRegex(TransferError, "refused"):
            Transfer.export_file(file)
        data['employee']['sex'] = 'X'
        data['consultations'][0]['mode'] = 'garden'
        with self.assertRaises(TransferError) as context:
            Transfer.import_file(Transfer.dumps(data))
        message = context.exception.message
        self.assertIn("2 errors", message)
        self.assertIn("$.employee.sex", message)
        self.assertIn("$.consultations[0].mode", message)
        with self.assertRaisesRegex(TransferError, "JSON"):
            Transfer.import_file(b"{not json")
