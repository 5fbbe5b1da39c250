"""The pseudonymised export: no direct identifier, keys stable per secret
and different across secrets, small cells suppressed, consolidation."""
import importlib.util
import os
import tempfile
import unittest

import duckdb

from trytond.model.exceptions import AccessError
from trytond.modules.spsti_base.tests.tools import as_user
from trytond.modules.spsti_pilotage.export import export, keyed_hash
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import FROM_DATE, TO_DATE, create_service


def load_consolidate():
    "The consolidation example shipped beside the schema."
    path = os.path.join(
        os.path.dirname(os.path.dirname(__file__)), 'export',
        'consolidate.py')
    spec = importlib.util.spec_from_file_location('consolidate', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(path):
    "The rows of an exported file, as dictionaries."
    connection = duckdb.connect()
    try:
        cursor = connection.execute(f"SELECT * FROM '{path}'")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        connection.close()


class ExportTestCase(unittest.TestCase):
    "Test the pseudonymised export"

    @classmethod
    def setUpClass(cls):
        # The modules of SpstiPilotageTestCase: one cached database.
        activate_module(['spsti_pilotage', 'spsti_portal'])

    def configure(self, service, min_cell, secret=None):
        Configuration = Pool().get('spsti.adherent.configuration')
        config = Configuration(1)
        config.export_service_code = service
        config.export_min_cell = min_cell
        if secret:
            config.export_secret = secret
        config.save()

    @with_transaction()
    def test_no_direct_identifier(self):
        "No NIR, name nor birth date of any employee is exported"
        service = create_service()
        self.configure('SPSTI-A', 1)
        with tempfile.TemporaryDirectory() as directory:
            paths = export(FROM_DATE, TO_DATE, directory)
            self.assertEqual(sorted(os.path.basename(p) for p in paths), [
                    'indicators.csv', 'indicators.parquet',
                    'visits.csv', 'visits.parquet'])
            content = b''.join(open(p, 'rb').read() for p in paths)
            for employee in service['people'].values():
                for value in [employee.nir, employee.last_name,
                        employee.birth_date.isoformat(),
                        employee.birth_date.strftime('%d/%m/%Y')]:
                    with self.subTest(value=value):
                        self.assertNotIn(value.encode(), content)
            for member in service['members']:
                self.assertNotIn(member.party.name.encode(), content)
            visits = rows(os.path.join(directory, 'visits.parquet'))
        # Done in the period: R1, R2, R4, R6, R7.
        self.assertEqual(len(visits), 5)
        self.assertEqual(
            sorted((v['month'], v['visit_type'], v['days_request_to_visit'])
                for v in visits), [
                ('2021-05', 'VIP-P', 61),
                ('2022-10', 'VIP-I', 122),
                ('2023-02', 'VIP-P', 36),
                ('2024-01', 'PREREPRISE', 15),
                ('2025-03', 'PREREPRISE', 9),
                ])
        # Born in 1980, C is 45 on the day of R6.
        self.assertEqual({v['age_band'] for v in visits},
            {'40-44', '45-49'})

    @with_transaction()
    def test_keys_stable_per_secret(self):
        "Keys are the HMAC of the secret: stable with it, others without"
        service = create_service()
        a = service['people']['A']
        keys = []
        for secret in ['secret-one', 'secret-one', 'secret-two']:
            self.configure('SPSTI-A', 1, secret)
            with tempfile.TemporaryDirectory() as directory:
                export(FROM_DATE, TO_DATE, directory)
                keys.append({v['employee_key'] for v in rows(
                            os.path.join(directory, 'visits.parquet'))})
        self.assertEqual(keys[0], keys[1])
        self.assertFalse(keys[0] & keys[2])
        self.assertIn(keyed_hash(b'secret-one', 'employee', a.id), keys[0])
        self.assertIn(keyed_hash(b'secret-two', 'employee', a.id), keys[2])

    @with_transaction()
    def test_secret_made_once(self):
        "The first export makes the secret; the next ones keep it"
        Configuration = Pool().get('spsti.adherent.configuration')
        create_service()
        self.configure('SPSTI-A', 1)
        self.assertFalse(Configuration(1).export_secret)
        with tempfile.TemporaryDirectory() as directory:
            export(FROM_DATE, TO_DATE, directory)
            secret = Configuration(1).export_secret
            self.assertEqual(len(secret), 64)
            export(FROM_DATE, TO_DATE, directory)
        self.assertEqual(Configuration(1).export_secret, secret)

    @with_transaction()
    def test_small_cells_suppressed(self):
        "Rare combinations lose their attributes; small figures are emptied"
        create_service()
        self.configure('SPSTI-A', 2)
        with tempfile.TemporaryDirectory() as directory:
            export(FROM_DATE, TO_DATE, directory)
            visits = rows(os.path.join(directory, 'visits.parquet'))
            indicators = {(i['indicator'], i['scope']): i for i in rows(
                    os.path.join(directory, 'indicators.csv'))}
        # A, B and C share sex, activity, job and category; only C's
        # visit at 45 (R6) is alone in its age band, under the cell of 2.
        suppressed = [v for v in visits if v['age_band'] is None]
        self.assertEqual([(v['month'], v['sex'], v['activity'], v['job'],
                        v['category']) for v in suppressed],
            [('2025-03', None, None, None, None)])
        self.assertEqual(
            {(v['sex'], v['age_band'], v['activity'])
                for v in visits if v['age_band']},
            {('M', '40-44', '43.22A')})
        self.assertTrue(all(v['employee_key'] for v in visits))
        seen = indicators['SEEN', 'service']
        self.assertEqual((seen['numerator'], seen['denominator']), (2, 3))
        annex4 = indicators['ANNEX4', 'service']
        self.assertEqual((annex4['numerator'], annex4['value']),
            (None, None))

    @with_transaction()
    def test_consolidation_of_two_services(self):
        "The DuckDB example sums the services' numerators and denominators"
        consolidate = load_consolidate()
        create_service()
        with tempfile.TemporaryDirectory() as root:
            directories = []
            for service, secret in [('SPSTI-A', 'a'), ('SPSTI-B', 'b')]:
                self.configure(service, 1, secret)
                directories.append(os.path.join(root, service))
                export(FROM_DATE, TO_DATE, directories[-1])
            connection = duckdb.connect()
            try:
                result = {r[0]: r[4:] for r in consolidate.consolidate(
                        connection, directories)}
                employees, = connection.execute(
                    "SELECT COUNT(DISTINCT employee_key) FROM visits"
                    ).fetchone()
            finally:
                connection.close()
        self.assertEqual(result['SEEN'], (2, 4.0, 6, 4 / 6))
        # The same three people seen in each service, unlinkable.
        self.assertEqual(employees, 6)

    @with_transaction()
    def test_wizard_for_management(self):
        "Management runs the export and gets its files, never the secret"
        pool = Pool()
        Export = pool.get('spsti.pilotage.export', type='wizard')
        Configuration = pool.get('spsti.adherent.configuration')
        service = create_service()
        self.configure('SPSTI-A', 1)
        with as_user(service['org']['users']['pilotage']):
            session_id, _, _ = Export.create()
            result = Export.execute(session_id, {'start': {
                        'from_date': FROM_DATE, 'to_date': TO_DATE}},
                'export')
            with self.assertRaises(AccessError):
                Configuration.read([1], ['export_secret'])
        files = result['view']['defaults']
        self.assertEqual(files['visits_csv_name'], 'visits.csv')
        self.assertTrue(bytes(files['visits_csv']).startswith(b'service,'))
        self.assertTrue(bytes(files['indicators_parquet']).startswith(b'PAR1'))
