"""The registry of certified préventeurs: certificates issued, renewed and
expired, and the public look-up, which reveals nothing private and cannot
be used to enumerate numbers."""
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.spsti_base.tests.tools import (
    as_user, create_organisation, load_lists, untranslated_strings)
from trytond.modules.spsti_preventeur.exceptions import CertificateError
from trytond.modules.spsti_preventeur.registry import (
    new_number, normalise_number)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, RouteTestCase, with_transaction)
from trytond.transaction import Transaction, TransactionError

BIRTH = dt.date(1979, 11, 23)
# What the public must never see of a holder.
PRIVATE = ['1979', '23/11', 'jeanne.roux@example.org', '06 12 34 56 78',
    'Lyon', 'Marc Garnier', 'Menuiserie Roux', '57.5', '57,5', '60']


def create_certificate(issue=True):
    """Jeanne Roux, designated by her employer, passed her level 1 exam;
    her certificate, issued when asked."""
    pool = Pool()
    Domain = pool.get('spsti.preventeur.domain')
    Person = pool.get('spsti.preventeur.person')
    Certificate = pool.get('spsti.preventeur.certificate')
    Party = pool.get('party.party')
    employer, = Party.create([{'name': "Menuiserie Roux"}])
    domain, = Domain.search([('code', '=', 'SDC')]) or Domain.create([{
                'code': 'SDC',
                'name': "Salarié désigné compétent",
                'levels': [('create', [{
                                'name': "Niveau 1",
                                'validity_years': 3,
                                'pass_score': Decimal(60),
                                }])],
                }])
    level, = domain.levels
    person, = Person.create([{
                'first_name': "Jeanne",
                'last_name': "Roux",
                'birth_date': BIRTH,
                'birth_place': "Lyon",
                'email': 'jeanne.roux@example.org',
                'phone': '06 12 34 56 78',
                'employer': employer.id,
                'employer_contact': "Marc Garnier",
                'exams': [('create', [{
                                'domain': domain.id,
                                'level': level.id,
                                'date': dt.date(2025, 3, 1),
                                'score': Decimal('57.5'),
                                'max_score': Decimal(60),
                                }])],
                }])
    certificate, = Certificate.create([{
                'person': person.id,
                'domain': domain.id,
                'level': level.id,
                'exams': [('add', [e.id for e in person.exams])],
                'issue_date': dt.date(2025, 3, 10),
                }])
    if issue:
        Certificate.issue([certificate])
    return certificate


class SpstiPreventeurTestCase(ModuleTestCase):
    "Test spsti_preventeur module"
    module = 'spsti_preventeur'

    @with_transaction()
    def test_issue_renew_expire(self):
        "A certificate is issued, renewed and expires at its end"
        pool = Pool()
        Certificate = pool.get('spsti.preventeur.certificate')
        certificate = create_certificate()
        self.assertEqual(certificate.state, 'valid')
        self.assertEqual(normalise_number(certificate.number),
            certificate.number)
        self.assertEqual(certificate.valid_until, dt.date(2028, 3, 9))
        self.assertEqual(Certificate.expire(dt.date(2028, 3, 9)), [])
        renewal, = Certificate.renew([certificate])
        self.assertEqual(Certificate.renew([certificate]), [])
        Certificate.issue([renewal])
        self.assertEqual(certificate.state, 'renewed')
        self.assertNotEqual(renewal.number, certificate.number)
        self.assertEqual(Certificate.expire(renewal.valid_until
                + dt.timedelta(days=1)), [renewal])
        self.assertEqual(renewal.state, 'expired')

    @with_transaction()
    def test_suspension_needs_a_reason(self):
        "Suspending or withdrawing asks for the reason"
        Certificate = Pool().get('spsti.preventeur.certificate')
        certificate = create_certificate()
        with self.assertRaises(CertificateError):
            Certificate.suspend([certificate])
        certificate.state_reason = "Changement de poste"
        certificate.save()
        Certificate.suspend([certificate])
        self.assertEqual(certificate.state, 'suspended')

    @with_transaction()
    def test_public_lookup_reveals_nothing_private(self):
        "The public look-up gives the public facts only"
        pool = Pool()
        Certificate = pool.get('spsti.preventeur.certificate')
        Configuration = pool.get('spsti.preventeur.configuration')
        certificate = create_certificate()
        result = Certificate.public_lookup(
            certificate.number.lower().replace('-', ' '))
        self.assertEqual(set(result), {'number', 'holder', 'domain', 'level',
                'issue_date', 'valid_until', 'status', 'status_label'})
        self.assertEqual(result['holder'], "J. ROUX")
        self.assertEqual(result['status'], 'valid')
        text = repr(result)
        for private in PRIVATE:
            self.assertNotIn(private, text)
        Configuration.write([Configuration(1)], {'name_display': 'none'})
        self.assertIsNone(
            Certificate.public_lookup(certificate.number)['holder'])
        # Drafts, unknown and malformed numbers are not found alike.
        draft = create_certificate(issue=False)
        self.assertIsNone(draft.number)
        for number in [new_number(), 'PRV-0000-0000-0000', '1', '']:
            self.assertIsNone(Certificate.public_lookup(number))

    @with_transaction()
    def test_registry_is_private(self):
        "Only the registry group and administrators read the registry"
        pool = Pool()
        Person = pool.get('spsti.preventeur.person')
        load_lists()
        org = create_organisation()
        create_certificate()
        for login in ['medecin', 'planification', 'relation', 'pilotage']:
            with self.subTest(user=login), as_user(org['users'][login]):
                with self.assertRaises(AccessError):
                    Person.search([])

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_preventeur'), [])


class SpstiPreventeurRouteTestCase(RouteTestCase):
    "Test the public look-up page of spsti_preventeur"
    module = 'spsti_preventeur'
    language = 'fr'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # As with_transaction does: start again with the tables to lock.
        extras = {}
        while True:
            with Transaction().start(DB_NAME, 1, **extras) as transaction:
                try:
                    cls.create_data()
                    break
                except TransactionError as e:
                    transaction.rollback()
                    e.fix(extras)

    @classmethod
    def create_data(cls):
        Configuration = Pool().get('spsti.preventeur.configuration')
        cls.number = create_certificate().number
        Configuration.write([Configuration(1)], {'lookup_limit': 5})

    def setUp(self):
        super().setUp()
        with Transaction().start(DB_NAME, 0) as transaction:
            Attempt = Pool().get('spsti.preventeur.lookup_attempt')
            Attempt.delete(Attempt.search([]))
            transaction.commit()

    def lookup(self, client, number):
        return client.get(f'/{DB_NAME}/preventeur/certificat',
            query_string={'numero': number})

    def test_lookup_page(self):
        "Anyone checks a certificate by its number, without a login"
        client = self.client()
        response = self.lookup(client, self.number)
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn(self.number, page)
        self.assertIn("J. ROUX", page)
        self.assertIn("Valide", page)
        self.assertIn("09/03/2028", page)
        for private in PRIVATE:
            self.assertNotIn(private, page)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        response = self.lookup(client, 'PRV-2222-2222-2222')
        self.assertEqual(response.status_code, 404)
        self.assertIn("Aucun certificat", response.text)

    def test_lookup_rate_limit(self):
        "An address trying numbers is stopped after the hourly limit"
        client = self.client()
        for _ in range(5):
            self.assertEqual(
                self.lookup(client, new_number()).status_code, 404)
        response = self.lookup(client, self.number)
        self.assertEqual(response.status_code, 429)
        self.assertNotIn("ROUX", response.text)


del ModuleTestCase
