"""The portal's route-table tests with this module activated: its pages
answer their own employee only, with a session and the CSRF token; no
page of the employer space shows an answer; the kiosk through HTTP."""
import io

import pypdf

from trytond.modules.spsti_portal.tests import test_scope
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

MODULE = 'spsti_questionnaire'
SECRET_ANSWER = "Traitement antidépresseur depuis mars"


class SpstiQuestionnaireScopeTestCase(
        test_scope.SpstiPortalScopeTestCase):
    "Test the questionnaire's portal pages, route by route"
    module = MODULE

    @classmethod
    def create_data(cls):
        """A questionnaire for every visit, sent as the portal's data
        books its visits; member A's employee answered it."""
        pool = Pool()
        Questionnaire = pool.get('spsti.questionnaire')
        Response = pool.get('spsti.questionnaire.response')
        questionnaire, = Questionnaire.create([{
                    'code': 'SANTE',
                    'name': "Questionnaire de santé",
                    'questions': [('create', [{
                                    'code': 'TRAITEMENT', 'sequence': 1,
                                    'kind': 'char', 'required': True,
                                    'text': "Traitement en cours",
                                    }])],
                    }])
        super().create_data()
        response, = Response.search([
                ('request', '=', cls.ids['A']['booked']),
                ])
        response.submit({questionnaire.questions[0].id: SECRET_ANSWER},
            'portal')

    @classmethod
    def rules(cls, space=None):
        "This module's routes only: the portal's own test tries the others."
        for rule in super().rules(space):
            if getattr(rule.endpoint, 'portal_module', None) == MODULE:
                yield rule

    # Tests of the portal's routes only.
    test_shared_documents = None
    test_code_brute_force_network = None
    test_employee_account_no_employer_space = None

    def test_employer_never_sees_health_content(self):
        "No page nor document of the employer space shows an answer"
        A = self.ids['A']
        self.sign_in(test_scope.email_of('A', 'admin'))
        pages = 0
        for rule in super().rules('member'):
            if 'GET' not in rule.methods:
                continue
            for path in self.paths(rule, A):
                response = self.request('GET', path, self.form(A))
                self.assertEqual(response.status_code, 200, path)
                if response.mimetype == 'application/pdf':
                    text = '\n'.join(page.extract_text() for page in
                        pypdf.PdfReader(io.BytesIO(response.data)).pages)
                else:
                    text = response.text
                self.assertNotIn(SECRET_ANSWER, text, path)
                pages += 1
        self.assertGreater(pages, 10)

    def test_employee_answers(self):
        """The employee's visit links to its questionnaire; an answer
        missing is named, the answers sent are thanked"""
        C = self.ids['C']
        self.sign_in(test_scope.email_of('C', 'salarie'))
        path = f"/me/visits/{C['booked']}/questionnaire"
        self.assertIn(self.url(path), self.request('GET', '/me').text)
        response = self.request('POST', path, {'action': 'submit'})
        self.assertEqual(response.status_code, 200)
        self.assertIn("La question « Traitement en cours » doit avoir une "
            "réponse", response.text)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Question = Pool(DB_NAME).get('spsti.questionnaire.question')
            question, = Question.search([])
            field = f'q{question.id}'
        response = self.request('POST', path, {field: "Aucun"})
        self.assertEqual(response.status_code, 303)
        response = self.request('GET', path)
        self.assertIn("vos réponses ont été transmises", response.text)
        self.assertNotIn(self.url(path), self.request('GET', '/me').text)

    def test_kiosk(self):
        """A kiosk opened from the software shows the questionnaire of the
        code typed, then forgets the employee"""
        B = self.ids['B']
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool(DB_NAME)
            Kiosk = pool.get('spsti.questionnaire.kiosk')
            Centre = pool.get('spsti.centre')
            Response = pool.get('spsti.questionnaire.response')
            kiosk, = Kiosk.create([{
                        'name': "Accueil",
                        'centre': Centre.search([])[0].id,
                        }])
            Kiosk.open_session([kiosk])
            activation = kiosk.activation_code
            code = Response.search(
                [('request', '=', B['booked'])])[0].kiosk_code
            transaction.commit()
        self.client.delete_cookie('spsti_portal_session',
            domain='localhost', path=self.url())
        response = self.request('POST', '/kiosk',
            {'activation_code': 'FAUX'})
        self.assertEqual(response.status_code, 401)
        response = self.request('POST', '/kiosk',
            {'activation_code': activation})
        self.assertEqual(response.status_code, 303)
        response = self.request('POST', '/kiosk', {'code': 'ZZZZ2222'})
        self.assertEqual(response.status_code, 401)
        self.assertIn("ne correspond à aucun questionnaire", response.text)
        response = self.request('POST', '/kiosk', {'code': code})
        self.assertTrue(response.location.endswith('/kiosk/questionnaire'))
        response = self.request('GET', '/kiosk/questionnaire')
        self.assertIn("Traitement en cours", response.text)
        for name in B['last_names']:
            self.assertNotIn(name, response.text)
        response = self.request('POST', '/kiosk/questionnaire',
            {'action': 'decline'})
        self.assertIn("C'est terminé", response.text)
        response = self.request('GET', '/kiosk/questionnaire')
        self.assertTrue(response.location.endswith('/kiosk'))

