"""The medical file: who may read it, the access log, emergency access,
consultations and their outcome documents."""
import datetime as dt
import io
import zipfile

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.tests.tools import (
    as_user, load_lists, untranslated_strings)
from trytond.modules.spsti_dmst.exceptions import ConsultationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

# Every model that holds health data.
HEALTH_MODELS = [
    'spsti.dmst',
    'spsti.dmst.consultation',
    'spsti.dmst.vaccination',
    'spsti.dmst.pathology',
    'spsti.dmst.consultation-spsti.advice.type',
    ]
HEALTH_USERS = ['medecin', 'infirmier']
VISIT_DAY = dt.date(2026, 2, 2)


def setup_file():
    """The organisation, an employee of a member of the first team with
    an initial VIP to do, the employee's medical file with a consultation,
    a vaccination and a pathology."""
    pool = Pool()
    VisitRequest = pool.get('spsti.visit.request')
    MedicalFile = pool.get('spsti.dmst')
    Consultation = pool.get('spsti.dmst.consultation')
    AdviceType = pool.get('spsti.advice.type')
    org = setup_referentials()
    _, establishment = create_member("Garage Martin", 201, team=org['team'])
    employee = create_employee("Martin", "Rémi", dt.date(1988, 4, 4))
    assignment = create_assignment(
        employee, establishment, start=dt.date(2026, 1, 5))
    VisitRequest.compute_due_visits([assignment])
    request, = VisitRequest.search([
            ('assignment', '=', assignment.id),
            ('visit_type.code', '=', 'VIP-I')])
    file, = MedicalFile.get_or_create([employee])
    file.medical_history = "Asthme dans l'enfance"
    file.vaccinations = [{'vaccine': "DTP", 'date': dt.date(2020, 5, 4)}]
    file.pathologies = [{'code': 'M54.5', 'name': "Lombalgie chronique"}]
    file.save()
    advice = AdviceType.search([('audience', '=', 'employee')], limit=1)
    consultation, = Consultation.create([{
                'file': file.id,
                'request': request.id,
                'visit_type': request.visit_type.id,
                'professional': org['nurse'].id,
                'date': VISIT_DAY,
                'anamnesis': "Douleurs lombaires depuis six mois",
                'height': 180,
                'weight': 81,
                'systolic': 128,
                'diastolic': 82,
                'clinical_notes': "Tabagisme actif, 10 paquets-années",
                'employer_recommendations': (
                    "Éviter le port de charges de plus de 15 kg"),
                'employee_advice': "Consulter son médecin traitant",
                'advice': [('add', [a.id for a in advice])],
                'outcome': 'attestation',
                'next_visit': "dans 5 ans au plus tard",
                }])
    return org, file, consultation, request


class SpstiDmstTestCase(ModuleTestCase):
    "Test spsti_dmst module"
    module = 'spsti_dmst'

    @with_transaction()
    def test_only_health_professionals_read(self):
        "No group but the health professionals reads any health record"
        pool = Pool()
        org, file, consultation, _ = setup_file()
        users = org['users']
        ids = {
            'spsti.dmst': [file.id],
            'spsti.dmst.consultation': [consultation.id],
            'spsti.dmst.vaccination': [v.id for v in file.vaccinations],
            'spsti.dmst.pathology': [p.id for p in file.pathologies],
            'spsti.dmst.consultation-spsti.advice.type': pool.get(
                'spsti.dmst.consultation-spsti.advice.type').search([]),
            }
        others = sorted(set(users) - set(HEALTH_USERS))
        self.assertIn('admin', others)
        for model in HEALTH_MODELS:
            Model = pool.get(model)
            record_ids = [int(i) for i in ids[model]]
            self.assertTrue(record_ids, model)
            names = [n for n, f in Model._fields.items()
                if not hasattr(f, 'get_target') or n == 'file']
            for login in others:
                with self.subTest(model=model, login=login), \
                        as_user(users[login]):
                    with self.assertRaises(AccessError):
                        Model.read(record_ids, names)
                    with self.assertRaises(AccessError):
                        Model.search([])
            for login in HEALTH_USERS:
                with self.subTest(model=model, login=login), \
                        as_user(users[login]):
                    self.assertEqual(len(Model.read(record_ids, names)),
                        len(record_ids))
        Consultation = pool.get('spsti.dmst.consultation')
        ActionReport = pool.get('ir.action.report')
        Consultation.issue([consultation])
        for name in ['employee', 'employer']:
            Report = pool.get(
                f'spsti.dmst.consultation.outcome.{name}', type='report')
            action, = ActionReport.search(
                [('report_name', '=', Report.__name__)])
            for login in others:
                with self.subTest(report=name, login=login), \
                        as_user(users[login]):
                    with self.assertRaises(AccessError):
                        Report.execute(
                            [consultation.id], {'action_id': action.id})

    @with_transaction()
    def test_every_read_is_logged(self):
        "Each read, export and print of a file is logged; the log is fixed"
        pool = Pool()
        MedicalFile = pool.get('spsti.dmst')
        Consultation = pool.get('spsti.dmst.consultation')
        AccessLog = pool.get('spsti.dmst.access_log')
        org, file, consultation, _ = setup_file()
        nurse = org['users']['infirmier']
        self.assertEqual(AccessLog.search([]), [])
        with as_user(nurse):
            MedicalFile.read([file.id], ['medical_history'])
            Consultation.read([consultation.id], ['anamnesis'])
            Consultation.export_data(
                [Consultation(consultation.id)], ['anamnesis'])
        logs = AccessLog.search([], order=[('id', 'ASC')])
        self.assertEqual([(l.file, l.user, l.kind, l.flagged) for l in logs],
            [(file, nurse, 'read', False), (file, nurse, 'read', False),
                (file, nurse, 'export', False)])
        with self.assertRaises(AccessError):
            AccessLog.write(logs, {'reason': "effacer"})
        with self.assertRaises(AccessError):
            AccessLog.delete(logs)
        with as_user(org['users']['admin']):
            self.assertEqual(len(AccessLog.search([])), 3)
        with as_user(nurse), self.assertRaises(AccessError):
            AccessLog.search([])

    @with_transaction()
    def test_emergency_access_outside_the_team(self):
        "A doctor of another team opens the file only by emergency access"
        pool = Pool()
        MedicalFile = pool.get('spsti.dmst')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        AccessLog = pool.get('spsti.dmst.access_log')
        EmergencyAccess = pool.get('spsti.dmst.emergency_access')
        org, file, _, _ = setup_file()
        other_doctor = org['other_team'].lead
        user, = User.create([{
                    'login': 'medecin2',
                    'name': other_doctor.rec_name,
                    'groups': [('add', [ModelData.get_id(
                                    'spsti_base', 'group_spsti_doctor')])],
                    }])
        other_doctor.user = user
        other_doctor.save()
        with as_user(user):
            self.assertEqual(MedicalFile.search([]), [])
            with self.assertRaisesRegex(AccessError, "emergency access"):
                MedicalFile.read([file.id], ['medical_history'])
            opened = EmergencyAccess.open(
                file.employee, "Remplacement du Dr Martin, visite urgente")
            self.assertEqual(opened, file)
            self.assertEqual(MedicalFile.search([]), [file])
            MedicalFile.read([file.id], ['medical_history'])
        emergency, = AccessLog.search([('flagged', '=', True)])
        self.assertEqual((emergency.user, emergency.kind, emergency.reason),
            (user, 'emergency', "Remplacement du Dr Martin, visite urgente"))
        with as_user(org['users']['infirmier']), \
                self.assertRaises(AccessError):
            EmergencyAccess.open(file.employee, "Curiosité")

    @with_transaction()
    def test_issue_outcome(self):
        "A nurse issues an attestation, not an opinion; the request is done"
        pool = Pool()
        Consultation = pool.get('spsti.dmst.consultation')
        VisitRequest = pool.get('spsti.visit.request')
        org, file, consultation, request = setup_file()
        self.assertTrue(consultation.delegated)
        self.assertAlmostEqual(consultation.bmi, 25.0)
        consultation.outcome = 'fit'
        consultation.save()
        with self.assertRaisesRegex(ConsultationError, org['nurse'].rec_name):
            Consultation.issue([consultation])
        consultation.outcome = 'attestation'
        consultation.save()
        Consultation.issue([consultation])
        self.assertEqual(
            (request.state, request.done_date, request.outcome),
            ('done', VISIT_DAY, 'attestation'))
        following, = VisitRequest.search([
                ('employee', '=', file.employee.id),
                ('state', '=', 'to_plan'),
                ('visit_type.code', '=', 'VIP-P')])
        self.assertEqual(following.due_date, dt.date(2031, 2, 2))

        with as_user(org['users']['infirmier']), \
                self.assertRaises(AccessButtonError):
            Consultation.validate_entry([Consultation(consultation.id)])
        with as_user(org['users']['medecin']):
            Consultation.validate_entry([Consultation(consultation.id)])
        self.assertEqual(consultation.validated_by, org['doctor'])

    @with_transaction()
    def test_employer_copy_has_no_health_content(self):
        "The employer's copy carries the outcome, never the health data"
        pool = Pool()
        Consultation = pool.get('spsti.dmst.consultation')
        ActionReport = pool.get('ir.action.report')
        org, file, consultation, _ = setup_file()
        Consultation.issue([consultation])
        advice = consultation.advice[0].name
        texts = {}
        for name in ['employee', 'employer']:
            Report = pool.get(
                f'spsti.dmst.consultation.outcome.{name}', type='report')
            action, = ActionReport.search(
                [('report_name', '=', Report.__name__)])
            records = Report._get_records([consultation.id],
                'spsti.dmst.consultation', {})
            odt = Report.render(action, Report.get_context(records, {}, {}))
            texts[name] = zipfile.ZipFile(io.BytesIO(odt)).read(
                'content.xml').decode()
        for text in texts.values():
            self.assertIn("Éviter le port de charges", text)
            self.assertIn("Attestation de suivi", text)
            self.assertIn("02/02/2026", text)
        for secret in ["Douleurs lombaires", "Tabagisme", "Lombalgie",
                "M54.5", "Asthme", "DTP", "128", "81",
                "Consulter son médecin traitant", advice]:
            self.assertNotIn(secret, texts['employer'])
        self.assertIn("Consulter son médecin traitant", texts['employee'])
        self.assertIn(advice, texts['employee'])
        with as_user(org['users']['infirmier']):
            extension, content, _, _ = Report.execute(
                [consultation.id], {'action_id': action.id})
        self.assertEqual(extension, 'pdf')
        self.assertTrue(content.startswith(b'%PDF'))
        self.assertIn(('print', file), [(l.kind, l.file)
                for l in pool.get('spsti.dmst.access_log').search([])])

    @with_transaction()
    def test_outcome_printed_once_issued(self):
        "A draft consultation has no outcome document"
        pool = Pool()
        Report = pool.get(
            'spsti.dmst.consultation.outcome.employer', type='report')
        org, _, consultation, _ = setup_file()
        with as_user(org['users']['infirmier']), \
                self.assertRaises(ConsultationError):
            Report.execute([consultation.id], {})

    @with_transaction()
    def test_pathology_code(self):
        "A CIM-10 code is checked"
        pool = Pool()
        Pathology = pool.get('spsti.dmst.pathology')
        _, file, _, _ = setup_file()
        with self.assertRaisesRegex(Exception, 'CIM-10'):
            Pathology.create([{
                        'file': file.id, 'code': '54.5', 'name': "Dos"}])

    @with_transaction()
    def test_demo_medical_files(self):
        "The demo gives part of the visit history its consultations and "
        "establishments their risk sheet, once"
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Consultation = pool.get('spsti.dmst.consultation')
        load_lists()
        ctx = DemoContext(members=5, employees=80, seed=3)
        Demo.generate(ctx)
        consultations = Consultation.search([])
        self.assertTrue(consultations)
        self.assertTrue(all(c.state == 'issued' and c.outcome
                for c in consultations))
        self.assertTrue(all(c.professional.doctor for c in consultations
                if c.outcome == 'fit'))
        sheets = pool.get('spsti.company_sheet').search([])
        self.assertTrue(sheets)
        self.assertEqual({s.state for s in sheets}, {'validated'})
        Demo.generate(ctx)
        self.assertEqual(Consultation.search_count([]), len(consultations))

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_dmst'), [])


del ModuleTestCase
