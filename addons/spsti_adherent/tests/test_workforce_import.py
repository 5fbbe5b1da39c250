import datetime as dt

from trytond.modules.spsti_adherent.tests.tools import (
    create_member, nir, setup_referentials, siren, siret)
from trytond.modules.spsti_base.tests.tools import as_user
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

HEADER = ['siret', 'nir', 'last_name', 'usage_name', 'first_name',
    'birth_date', 'sex', 'contract_id', 'contract_type', 'start_date',
    'end_date', 'pcs_code', 'job_title', 'night_work', 'risks']


def csv_bytes(rows, header=HEADER, delimiter=','):
    lines = [delimiter.join(header)]
    lines += [delimiter.join(row.get(h, '') for h in header) for row in rows]
    return ('\n'.join(lines) + '\n').encode('utf-8')


def person(last, first, birth, sex='M', seed=1, with_nir=True):
    return {
        'last_name': last,
        'first_name': first,
        'birth_date': birth.isoformat(),
        'sex': sex,
        'nir': nir(sex, birth, seed) if with_nir else '',
        }


def hire(establishment_siret, who, contract_id, start='2024-03-01', **values):
    return {
        'siret': establishment_siret,
        **who,
        'contract_id': contract_id,
        'contract_type': 'cdi',
        'start_date': start,
        'pcs_code': '431f',
        **values,
        }


class WorkforceImportTestCase(ModuleTestCase):
    "Test the workforce file imports"
    module = 'spsti_adherent'

    def setup_members(self):
        org = setup_referentials()
        _, first = create_member("Clinique du Lac", 11)
        _, second = create_member("Ambulances Roy", 12)
        return org, siret(siren(11)), siret(siren(12)), first, second

    @with_transaction()
    def test_bad_lines_reported_good_lines_kept(self):
        "Each bad line is reported by line and column; good ones are saved"
        pool = Pool()
        Import = pool.get('spsti.workforce.import')
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        _, siret_a, _, establishment, _ = self.setup_members()
        birth = dt.date(1985, 6, 12)
        good_nir = nir('F', birth, 5)
        bad_key = good_nir[:13] + f'{(int(good_nir[13:]) % 97) + 1:02d}'
        rows = [
            # 2: good, with exposures
            hire(siret_a, person("Durand", "Léa", birth, 'F', 5), 'C1',
                risks='PHYS.BRUIT|ERGO.MANUT', night_work='1'),
            # 3: bad NIR key
            hire(siret_a, {**person("Martin", "Paul",
                        dt.date(1990, 1, 2), 'M', 6), 'nir': bad_key}, 'C2'),
            # 4: unknown SIRET (valid key)
            hire(siret(siren(99)), person("Petit", "Zoé",
                    dt.date(1991, 2, 3), 'F', 7), 'C3'),
            # 5: unknown PCS code
            hire(siret_a, person("Roux", "Marc", dt.date(1980, 5, 6),
                    'M', 8), 'C4', pcs_code='999z'),
            # 6: unknown risk
            hire(siret_a, person("Blanc", "Anne", dt.date(1979, 7, 8),
                    'F', 9), 'C5', risks='PHYS.BRUIT|NOPE.RISK'),
            # 7: bad date
            hire(siret_a, person("Leroy", "Jean", dt.date(1982, 3, 4),
                    'M', 10), 'C6', start_date='2024-02-30'),
            # 8: end before start
            hire(siret_a, person("Morel", "Ines", dt.date(1993, 4, 5),
                    'F', 11), 'C7', start_date='2024-05-01',
                end_date='2024-04-01'),
            # 9: missing required value
            hire(siret_a, {**person("Garnier", "Luc", dt.date(1975, 8, 9),
                        'M', 12), 'first_name': ''}, 'C8'),
            # 10: good, no NIR
            hire(siret_a, person("Faure", "Noé", dt.date(2001, 9, 10),
                    'M', 13, with_nir=False), 'C9', contract_type='02',
                end_date='2024-12-31'),
            ]
        record, = Import.create([{
                    'file': csv_bytes(rows),
                    'filename': 'dsn.csv',
                    'kind': 'dsn',
                    }])
        Import.run_import([record])

        self.assertEqual(record.state, 'done')
        self.assertEqual(record.lines_read, 9)
        self.assertEqual(record.lines_rejected, 7)
        self.assertEqual(record.employees_created, 2)
        self.assertEqual(record.assignments_created, 2)
        self.assertEqual(
            [(e.line, e.column) for e in record.errors],
            [(3, 'nir'), (4, 'siret'), (5, 'pcs_code'), (6, 'risks'),
                (7, 'start_date'), (8, 'end_date'), (9, 'first_name')])
        errors = {e.line: e for e in record.errors}
        self.assertIn(bad_key, errors[3].message)
        self.assertEqual(errors[3].value, bad_key)
        self.assertIn('999z', errors[5].message)
        self.assertIn('NOPE.RISK', errors[6].message)
        self.assertIn('2024-02-30', errors[7].message)

        lea, = Employee.search([('nir', '=', good_nir)])
        assignment, = lea.assignments
        self.assertEqual(assignment.establishment, establishment)
        self.assertEqual(assignment.external_key, 'C1')
        self.assertEqual(assignment.source, 'dsn')
        self.assertEqual(assignment.job.code, '431f')
        self.assertTrue(assignment.night_work)
        self.assertEqual(
            sorted((e.risk.code, e.source) for e in assignment.exposures),
            [('ERGO.MANUT', 'employer'), ('PHYS.BRUIT', 'employer')])
        self.assertIsNotNone(assignment.category)
        with Transaction().set_context(active_test=False):
            noe, = Assignment.search([('external_key', '=', 'C9')])
        self.assertEqual(
            (noe.contract_type, noe.end_date),
            ('cdd', dt.date(2024, 12, 31)))
        self.assertEqual(Employee.search_count([]), 2)

    @with_transaction()
    def test_rerun_creates_nothing(self):
        "Importing the same file again creates and changes nothing"
        pool = Pool()
        Import = pool.get('spsti.workforce.import')
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        Exposure = pool.get('spsti.assignment.exposure')
        _, siret_a, siret_b, _, _ = self.setup_members()
        rows = [hire(siret_a if i % 2 else siret_b,
                person(f"Nom{i}", "Prénom", dt.date(1980 + i, 1 + i, 3),
                    'M' if i % 3 else 'F', 20 + i, with_nir=i % 4 != 0),
                f'K{i}' if i % 5 else '', risks='PHYS.BRUIT')
            for i in range(12)]
        data = csv_bytes(rows)
        first = Import.import_file(data, 'dpae', chunk_size=5)
        self.assertEqual(first.errors, [])
        self.assertEqual(
            (first.employees_created, first.assignments_created), (12, 12))
        counts = (Employee.search_count([]), Assignment.search_count([]),
            Exposure.search_count([]))

        second = Import.import_file(data, 'dpae', chunk_size=5)
        self.assertEqual(second.errors, [])
        self.assertEqual(second.lines_read, 12)
        self.assertEqual(second.created, 0)
        self.assertEqual(
            (second.employees_updated, second.assignments_updated,
                second.assignments_ended), (0, 0, 0))
        self.assertEqual(counts, (Employee.search_count([]),
                Assignment.search_count([]), Exposure.search_count([])))

    @with_transaction()
    def test_queued_import_progress(self):
        """The import button queues one task, not twice while it waits;
        the task counts the lines on the batch and ends it with the
        report"""
        pool = Pool()
        Import = pool.get('spsti.workforce.import')
        Batch = pool.get('spsti.batch')
        Queue = pool.get('ir.queue')
        transaction = Transaction()
        _, siret_a, _, _, _ = self.setup_members()
        rows = [hire(siret_a, person(f"Nom{i}", "Lou",
                    dt.date(1990, 1, 1 + i), 'F', 40 + i), f'Q{i}')
            for i in range(7)]
        record, = Import.create([{'file': csv_bytes(rows),
                    'filename': 'dpae.csv', 'kind': 'dpae'}])
        Import.process([record])
        Import.process([record])
        task, = Queue.browse(transaction.tasks)
        self.assertEqual(
            (task.data['method'], task.data['kwargs']), ('run_import',
                {'commit': True}))
        batch, = Batch.search([('origin', '=', str(record))])
        self.assertEqual(batch.state, 'queued')
        # What the worker does, without committing the test transaction.
        Import.run_import([record])
        batch = Batch(batch.id)
        self.assertEqual((batch.state, batch.done, batch.total),
            ('running', 7, 7))
        self.assertEqual(record.assignments_created, 7)

    @with_transaction()
    def test_dsn_exit_ends_assignment(self):
        "A DSN line with an end date ends the assignment and updates the job"
        pool = Pool()
        Import = pool.get('spsti.workforce.import')
        Assignment = pool.get('spsti.assignment')
        _, siret_a, _, _, _ = self.setup_members()
        who = person("Bernard", "Chloé", dt.date(1995, 11, 20), 'F', 30)
        report = Import.import_file(
            csv_bytes([hire(siret_a, who, 'X-1')]), 'dpae')
        self.assertEqual(report.assignments_created, 1)
        assignment, = Assignment.search([])
        self.assertIsNone(assignment.end_date)
        self.assertEqual(assignment.source, 'dpae')

        # A DPAE does not end contracts.
        report = Import.import_file(csv_bytes(
                [hire(siret_a, who, 'X-1', end_date='2025-06-30')]), 'dpae')
        self.assertEqual([(e.line, e.field) for e in report.errors],
            [(2, 'end_date')])

        report = Import.import_file(csv_bytes([hire(siret_a, who, 'X-1',
                        end_date='2025-06-30', pcs_code='526a')]), 'dsn')
        self.assertEqual(report.errors, [])
        self.assertEqual(
            (report.assignments_created, report.assignments_ended),
            (0, 1))
        self.assertEqual(assignment.end_date, dt.date(2025, 6, 30))
        self.assertEqual(assignment.job.code, '526a')
        with Transaction().set_context(active_test=False):
            self.assertEqual(Assignment.search_count([]), 1)

        # The exit cannot come before the start.
        report = Import.import_file(csv_bytes([hire(siret_a, who, 'X-1',
                        start_date='2025-07-01')]), 'dsn')
        self.assertEqual([(e.line, e.field) for e in report.errors],
            [(2, 'end_date')])

    @with_transaction()
    def test_same_nir_two_members(self):
        "One person at two members: one employee, two assignments"
        pool = Pool()
        Import = pool.get('spsti.workforce.import')
        Employee = pool.get('spsti.employee')
        _, siret_a, siret_b, first, second = self.setup_members()
        birth = dt.date(1988, 2, 14)
        who = person("Lambert", "Hugo", birth, 'M', 40)
        report = Import.import_file(csv_bytes([
                    hire(siret_a, who, '1'),
                    hire(siret_b, who, '1', contract_type='cdd'),
                    ]), 'dpae')
        self.assertEqual(report.errors, [])
        self.assertEqual(
            (report.employees_created, report.assignments_created), (1, 2))
        employee, = Employee.search([])
        self.assertEqual(
            sorted(a.member.id for a in employee.assignments),
            sorted([first.member.id, second.member.id]))

        # Later, the same person without NIR (matched on identity traits,
        # accents and case aside) in another file.
        report = Import.import_file(csv_bytes([hire(siret_a,
                        person("LAMBERT", "Hugo", birth, with_nir=False),
                        '2', start_date='2025-01-06')]), 'dpae')
        self.assertEqual(report.errors, [])
        self.assertEqual(
            (report.employees_created, report.assignments_created), (0, 1))
        self.assertEqual(Employee.search_count([]), 1)
        self.assertEqual(len(employee.assignments), 3)

    @with_transaction()
    def test_semicolon_and_french_dates(self):
        "A file separated by semicolons with DD/MM/YYYY dates"
        pool = Pool()
        Import = pool.get('spsti.workforce.import')
        Assignment = pool.get('spsti.assignment')
        _, siret_a, _, _, _ = self.setup_members()
        birth = dt.date(1970, 12, 1)
        header = ['SIRET', 'NIR', 'Nom', 'Prénom', 'Date naissance', 'Sexe',
            'Contrat', 'Type contrat', 'Date début', 'Date fin', 'PCS',
            'Risques']
        row = [siret_a, nir('F', birth, 50), 'Dupuis', 'Émilie',
            '01/12/1970', 'F', 'A7', 'CDD', '15/01/2024', '14/07/2024',
            '431F', 'PHYS.BRUIT']
        data = ('\ufeff' + ';'.join(header) + '\r\n' + ';'.join(row)
            + '\r\n').encode('utf-8')
        report = Import.import_file(data, 'dsn', filename='effectif.csv')
        self.assertEqual(report.errors, [])
        self.assertEqual(report.lines_read, 1)
        with Transaction().set_context(active_test=False):
            assignment, = Assignment.search([])
        self.assertEqual(
            (assignment.start_date, assignment.end_date,
                assignment.contract_type, assignment.job.code),
            (dt.date(2024, 1, 15), dt.date(2024, 7, 14), 'cdd', '431f'))
        self.assertEqual(assignment.employee.birth_date, birth)

    @with_transaction()
    def test_file_errors_and_planning_user(self):
        "A file without the required columns fails; planning may import"
        pool = Pool()
        Import = pool.get('spsti.workforce.import')
        org, siret_a, _, _, _ = self.setup_members()
        report = Import.import_file(
            b'siret,nom\n' + siret_a.encode() + b',X\n', 'dpae')
        self.assertEqual(report.state, 'failed')
        self.assertEqual(report.errors[0].line, 1)
        self.assertIn('first_name', report.errors[0].message)

        data = csv_bytes([hire(siret_a,
                    person("Henry", "Louis", dt.date(1999, 3, 3)), 'P1')])
        with as_user(org['users']['planification']):
            record, = Import.create([{'file': data, 'kind': 'dpae',
                        'filename': 'dpae.csv'}])
            Import.run_import([record])
            self.assertEqual(
                (record.state, record.assignments_created), ('done', 1))


del ModuleTestCase
