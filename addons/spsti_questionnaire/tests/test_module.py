"""Pre-visit questionnaires: sent with the convocation by visit type and
risk, answered with their conditions and required questions, declined,
qualified by a health professional whose reads are logged, hidden from
everyone else; versions; kiosk codes; the completion indicator."""
import datetime as dt

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.tests.tools import (
    as_user, load_lists, untranslated_strings)
from trytond.modules.spsti_portal.tests.tools import queued_mail
from trytond.modules.spsti_questionnaire.exceptions import (
    AnswerError, QuestionnaireFrozenError, QuestionnaireValidationError,
    ResponseError)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def create_questionnaire(code, questions, risks=(), visit_types=()):
    """A questionnaire of questions (code, kind, required, text, extra
    values), for the risk and visit type codes; conditions are given as
    extra 'if': (code, value)."""
    pool = Pool()
    Questionnaire = pool.get('spsti.questionnaire')
    Question = pool.get('spsti.questionnaire.question')
    Risk = pool.get('spsti.risk')
    VisitType = pool.get('spsti.visit.type')
    questionnaire, = Questionnaire.create([{
                'code': code,
                'name': f"Questionnaire {code}",
                'risks': [('add', [r.id for r in Risk.search(
                                [('code', 'in', list(risks))])])],
                'visit_types': [('add', [v.id for v in VisitType.search(
                                [('code', 'in', list(visit_types))])])],
                'questions': [('create', [{
                                'sequence': i,
                                'code': q[0],
                                'kind': q[1],
                                'required': q[2],
                                'text': q[3],
                                **{k: v for k, v in q[4].items()
                                    if k != 'if'},
                                } for i, q in enumerate(questions)])],
                }])
    by_code = {q.code: q for q in questionnaire.questions}
    args = []
    for code, _, _, _, extra in questions:
        if 'if' in extra:
            on, value = extra['if']
            args.extend(([by_code[code]], {
                        'condition_question': by_code[on].id,
                        'condition_value': value,
                        }))
    if args:
        Question.write(*args)
    return questionnaire


HEALTH_QUESTIONS = [
    ('TRAITEMENT', 'boolean', True, "Prenez-vous un traitement ?", {}),
    ('TRAITEMENT_DETAIL', 'char', True, "Lequel ?",
        {'if': ('TRAITEMENT', 'yes')}),
    ('SOMMEIL', 'scale', True, "Votre sommeil", {
            'scale_min': 0, 'scale_max': 10}),
    ('DOULEURS', 'multiple', False, "Douleurs", {
            'choices': "Dos\nÉpaules\nGenoux"}),
    ('DOS', 'text', True, "Depuis quand avez-vous mal au dos ?",
        {'if': ('DOULEURS', 'Dos')}),
    ('BRUIT', 'boolean', True, "Portez-vous vos bouchons ?", {}),
    ('POIDS', 'number', False, "Votre poids", {}),
    ('SIR', 'date', True, "Date de votre dernier examen SIR", {}),
    ]


def setup_questionnaires():
    """An employee exposed to noise with an initial VIP to plan; a health
    questionnaire for every visit (its noise question for noise only, its
    SIR question at SIR visits only), one for the physical agents (noise
    is one), one for the chemical agents and one for SIR exams only."""
    pool = Pool()
    VisitRequest = pool.get('spsti.visit.request')
    Risk = pool.get('spsti.risk')
    VisitType = pool.get('spsti.visit.type')
    Question = pool.get('spsti.questionnaire.question')
    org = setup_referentials()
    _, establishment = create_member("Garage Martin", 201, team=org['team'])
    employee = create_employee("Martin", "Rémi", dt.date(1988, 4, 4))
    employee.email = 'remi.martin@example.org'
    employee.consent_email = True
    employee.save()
    assignment = create_assignment(employee, establishment,
        risks=['PHYS.BRUIT'], start=dt.date(2026, 1, 5))
    VisitRequest.compute_due_visits([assignment])
    request, = VisitRequest.search([
            ('assignment', '=', assignment.id),
            ('visit_type.code', '=', 'VIP-I')])
    health = create_questionnaire('SANTE', HEALTH_QUESTIONS)
    by_code = {q.code: q for q in health.questions}
    Question.write([by_code['BRUIT']], {
            'risks': [('add', [Risk.search(
                                [('code', '=', 'PHYS.BRUIT')])[0].id])],
            }, [by_code['SIR']], {
            'visit_types': [('add', [VisitType.search(
                                [('code', '=', 'SIR-I')])[0].id])],
            })
    physical = create_questionnaire('PHYS', [
            ('PROTECTIONS', 'choice', True, "Protections", {
                    'choices': "Toujours\nJamais"})], risks=['PHYS'])
    create_questionnaire('CHIM', [
            ('GANTS', 'boolean', True, "Gants", {})], risks=['CHIM'])
    create_questionnaire('SIR', [
            ('APTE', 'boolean', True, "Apte", {})], visit_types=['SIR-I'])
    return org, employee, request, health, physical


def answers_of(response):
    return {a.question.code: a.value for a in response.answers}


class SpstiQuestionnaireTestCase(ModuleTestCase):
    "Test spsti_questionnaire module"
    module = 'spsti_questionnaire'
    # The completion indicator is computed by spsti_pilotage.
    extras = ['spsti_pilotage']

    def send(self, request):
        "Plan request: its responses, the health questionnaire's first."
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Response = pool.get('spsti.questionnaire.response')
        VisitRequest.plan([request])
        return sorted(Response.search([('request', '=', request.id)]),
            key=lambda r: (r.questionnaire.code != 'SANTE', r.id))

    def raw(self, response, **values):
        "Raw answers by question code."
        codes = {q.code: q.id for q in response.questionnaire.questions}
        return {codes[c]: v for c, v in values.items()}

    @with_transaction()
    def test_sent_with_convocation_by_visit_type_and_risk(self):
        "The questionnaires of the visit type and the employee's risks leave "
        "with the convocation, once, with a kiosk code; the employee is told"
        pool = Pool()
        Response = pool.get('spsti.questionnaire.response')
        VisitRequest = pool.get('spsti.visit.request')
        _, employee, request, health, physical = setup_questionnaires()
        responses = self.send(request)
        self.assertEqual([r.questionnaire for r in responses],
            [health, physical])
        self.assertEqual({r.state for r in responses}, {'sent'})
        self.assertEqual({r.file.employee for r in responses}, {employee})
        codes = [r.kiosk_code for r in responses]
        self.assertTrue(all(len(c) == 8 for c in codes))
        self.assertNotEqual(codes[0], codes[1])
        health_response = responses[0]
        self.assertEqual([q.code for q in health_response.questions()], [
                'TRAITEMENT', 'TRAITEMENT_DETAIL', 'SOMMEIL', 'DOULEURS',
                'DOS', 'BRUIT', 'POIDS'])
        mail, = [m for m in queued_mail()
            if m['To'] == 'remi.martin@example.org']
        body = mail.get_body().get_content()
        self.assertIn(f'/me/visits/{request.id}/questionnaire', body)
        self.assertIn(codes[0], body)
        self.assertNotIn("traitement", body.lower())
        # A rerun sends nothing twice.
        self.assertEqual(Response.send([request]), [])
        self.assertEqual(Response.search_count([]), 2)
        # The visit called off, the questionnaires are no longer to answer.
        VisitRequest.cancel([request])
        self.assertEqual({r.state for r in Response.browse(responses)},
            {'cancelled'})
        self.assertEqual({r.kiosk_code for r in Response.browse(responses)},
            {None})

    @with_transaction()
    def test_conditions_and_required(self):
        "Required and conditional questions are checked, each error names "
        "its question; hidden questions are not kept"
        _, _, request, _, _ = setup_questionnaires()
        response = self.send(request)[0]
        with self.assertRaises(AnswerError) as cm:
            response.submit(self.raw(response, SOMMEIL='12', POIDS='lourd'),
                'portal')
        errors = cm.exception.message.split('\n')
        self.assertEqual(len(errors), 4, errors)
        self.assertIn('"Prenez-vous un traitement ?" needs an answer',
            errors[0])
        self.assertIn('"Votre sommeil" is a whole number from 0 to 10',
            errors[1])
        self.assertIn('"Portez-vous vos bouchons ?"', errors[2])
        self.assertIn('"Votre poids" must be a number', errors[3])
        # The treatment given, its detail is required.
        with self.assertRaises(AnswerError) as cm:
            response.submit(self.raw(response, TRAITEMENT='yes',
                    SOMMEIL='7', BRUIT='no', DOULEURS=['Genoux']), 'portal')
        self.assertEqual(cm.exception.message,
            'The question "Lequel ?" needs an answer.')
        with self.assertRaises(AnswerError) as cm:
            response.submit(self.raw(response, TRAITEMENT='no',
                    SOMMEIL='7', BRUIT='no', DOULEURS=['Dos', 'Nuque']),
                'portal')
        self.assertIn('"Nuque" is not one of the choices of "Douleurs"',
            cm.exception.message)
        self.assertEqual(response.state, 'sent')
        self.assertEqual(response.answers, ())
        # No treatment: its detail, given anyway, is not kept.
        response.submit(self.raw(response, TRAITEMENT='no',
                TRAITEMENT_DETAIL="Aspirine", SOMMEIL='7', BRUIT='yes',
                DOULEURS=['Genoux', 'Dos'], DOS="Depuis l'hiver",
                POIDS='81,5'), 'portal')
        self.assertEqual(response.state, 'answered')
        self.assertEqual(response.channel, 'portal')
        self.assertIsNone(response.kiosk_code)
        self.assertEqual(answers_of(response), {
                'TRAITEMENT': 'no', 'SOMMEIL': '7', 'BRUIT': 'yes',
                'DOULEURS': 'Dos\nGenoux', 'DOS': "Depuis l'hiver",
                'POIDS': '81.5'})
        with self.assertRaises(ResponseError):
            response.submit({}, 'portal')

    @with_transaction()
    def test_decline(self):
        "The employee may decline: nothing is kept and it cannot be answered"
        pool = Pool()
        Response = pool.get('spsti.questionnaire.response')
        _, _, request, _, _ = setup_questionnaires()
        response = self.send(request)[0]
        Response.decline([response], 'kiosk')
        self.assertEqual((response.state, response.channel,
                response.kiosk_code), ('declined', 'kiosk', None))
        with self.assertRaises(ResponseError):
            response.submit(self.raw(response, TRAITEMENT='no'), 'portal')

    @with_transaction()
    def test_qualified_by_the_team_only(self):
        "The nurse of the team reads the answers (logged) beside the "
        "previous ones and qualifies them; planning staff, another team's "
        "doctor and the administrators read nothing"
        pool = Pool()
        Response = pool.get('spsti.questionnaire.response')
        Answer = pool.get('spsti.questionnaire.answer')
        AccessLog = pool.get('spsti.dmst.access_log')
        VisitRequest = pool.get('spsti.visit.request')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        org, employee, request, _, _ = setup_questionnaires()
        users = org['users']
        first = self.send(request)[0]
        first.submit(self.raw(first, TRAITEMENT='yes',
                TRAITEMENT_DETAIL="Ventoline", SOMMEIL='4', BRUIT='no'),
            'portal')
        Response.qualify([first])
        # The next visit: its questionnaire answered again.
        later, = VisitRequest.copy([request], default={
                'visit_type': request.visit_type.id, 'state': 'to_plan'})
        second = self.send(later)[0]
        second.submit(self.raw(second, TRAITEMENT='no', SOMMEIL='8',
                BRUIT='yes'), 'kiosk')
        other_doctor = org['other_team'].lead
        other, = User.create([{
                    'login': 'medecin2',
                    'name': other_doctor.rec_name,
                    'groups': [('add', [ModelData.get_id(
                                    'spsti_base', 'group_spsti_doctor')])],
                    }])
        other_doctor.user = other
        other_doctor.save()
        answer_ids = [a.id for a in second.answers]
        for login in ['planification', 'facturation', 'relation',
                'pilotage', 'admin']:
            with self.subTest(login=login), as_user(users[login]):
                for Model, ids in [(Response, [second.id]),
                        (Answer, answer_ids)]:
                    with self.assertRaises(AccessError):
                        Model.read(ids, ['file'])
                    with self.assertRaises(AccessError):
                        Model.search([])
                with self.assertRaises((AccessError, AccessButtonError)):
                    Response.qualify([second])
        with as_user(other):
            self.assertEqual(Response.search([]), [])
            with self.assertRaises(AccessError):
                Response.read([second.id], ['state'])
        self.assertEqual(AccessLog.search([('user', '=', other.id)]), [])
        nurse = users['infirmier']
        with as_user(nurse):
            pending, = Response.search_read([('state', '=', 'answered')],
                fields_names=['employee', 'questionnaire', 'visit_type',
                    'sent_date', 'answered_date', 'channel', 'state',
                    'qualified_by', 'employee.rec_name'])
            self.assertEqual(pending['id'], second.id)
            rows = Answer.read(answer_ids,
                ['question.code', 'answer', 'previous_answer'])
            self.assertEqual(
                {r['question.']['code']: (r['answer'], r['previous_answer'])
                    for r in rows}, {
                    'TRAITEMENT': ('No', 'Yes'),
                    'SOMMEIL': ('8', '4'),
                    'BRUIT': ('Yes', 'No'),
                    })
            sleep, = [a for a in Answer.browse(answer_ids)
                if a.question.code == 'SOMMEIL']
            Answer.write([sleep], {'qualified_value': '6',
                    'note': "Réveils nocturnes"})
            Response.write([second], {
                    'qualification_note': "Sommeil à revoir"})
            Response.qualify([second])
        log = AccessLog.search([('user', '=', nurse.id)])
        self.assertTrue(log)
        self.assertEqual({e.file for e in log}, {second.file})
        self.assertEqual((second.state, second.qualified_by),
            ('qualified', org['nurse']))
        with as_user(nurse), self.assertRaises(ResponseError):
            Answer.write([sleep], {'note': "Trop tard"})

    @with_transaction()
    def test_consultation_shows_the_response(self):
        "The consultation of the visit lists its responses"
        pool = Pool()
        Consultation = pool.get('spsti.dmst.consultation')
        org, _, request, _, _ = setup_questionnaires()
        responses = self.send(request)
        consultation, = Consultation.create([{
                    'file': responses[0].file.id,
                    'request': request.id,
                    'visit_type': request.visit_type.id,
                    'professional': org['doctor'].id,
                    }])
        self.assertEqual(set(consultation.questionnaire_responses),
            set(responses))
        self.assertEqual(set(responses[0].file.questionnaire_responses),
            set(responses))

    @with_transaction()
    def test_frozen_and_new_version(self):
        "A questionnaire sent is frozen; its new version keeps its "
        "conditions, the sent one answers with its own questions"
        pool = Pool()
        Questionnaire = pool.get('spsti.questionnaire')
        Question = pool.get('spsti.questionnaire.question')
        _, _, request, health, _ = setup_questionnaires()
        detail, = [q for q in health.questions
            if q.code == 'TRAITEMENT_DETAIL']
        response = self.send(request)[0]
        with self.assertRaises(QuestionnaireFrozenError):
            Question.write([detail], {'text': "Quel traitement ?"})
        with self.assertRaises(QuestionnaireFrozenError):
            Questionnaire.write([health], {'name': "Autre"})
        new_id, = Questionnaire.new_version([health])
        new = Questionnaire(new_id)
        self.assertEqual((new.code, new.version, new.active),
            ('SANTE', 2, True))
        self.assertFalse(health.active)
        new_detail, = [q for q in new.questions
            if q.code == 'TRAITEMENT_DETAIL']
        self.assertEqual(new_detail.condition_question.questionnaire, new)
        Question.write([new_detail], {'text': "Quel traitement ?"})
        self.assertEqual(response.questionnaire, health)
        self.assertEqual(detail.text, "Lequel ?")
        # A failed write stays in the test's transaction: checked last.
        with self.assertRaises(QuestionnaireValidationError):
            Question.write([new_detail], {'condition_value': 'peut-être'})

    @with_transaction()
    def test_kiosk(self):
        "A kiosk opened by the reception identifies the employee by the "
        "convocation's code, forgets them, and locks after wrong codes"
        pool = Pool()
        Kiosk = pool.get('spsti.questionnaire.kiosk')
        Centre = pool.get('spsti.centre')
        Configuration = pool.get('spsti.adherent.configuration')
        org, _, request, _, _ = setup_questionnaires()
        response = self.send(request)[0]
        kiosk, = Kiosk.create([{
                    'name': "Accueil", 'centre': Centre.search([])[0].id}])
        with as_user(org['users']['planification']):
            Kiosk.open_session([kiosk])
        kiosk = Kiosk(kiosk.id)
        self.assertIsNone(Kiosk.activate('WRONG'))
        token = Kiosk.activate(kiosk.activation_code.lower())
        self.assertTrue(token)
        kiosk = Kiosk(kiosk.id)
        self.assertIsNone(kiosk.activation_code)
        self.assertEqual(Kiosk.from_token(token), kiosk)
        self.assertIsNone(Kiosk.from_token('forged'))
        code = response.kiosk_code
        self.assertEqual(
            kiosk.identify(f' {code[:4].lower()}-{code[4:]} '), response)
        self.assertEqual(kiosk.current(), response)
        # The timeout passed, the kiosk forgets the employee.
        kiosk.response_until = dt.datetime.now() - dt.timedelta(seconds=1)
        kiosk.save()
        self.assertIsNone(kiosk.current())
        self.assertIsNone(kiosk.response)
        attempts = Configuration(1).kiosk_attempts
        for i in range(attempts):
            with self.assertRaisesRegex(ResponseError, "does not open"):
                kiosk.identify(f'ZZZZZZZ{i}')
        with self.assertRaisesRegex(ResponseError, "Too many wrong codes"):
            kiosk.identify(code)
        self.assertIsNone(kiosk.response)
        # Closed by the reception, the device's session is void.
        Kiosk.close_session([kiosk])
        self.assertIsNone(Kiosk.from_token(token))

    @with_transaction()
    def test_convocation_gives_the_code(self):
        "The employee's convocation gives the kiosk codes to answer"
        pool = Pool()
        Convocation = pool.get('spsti.slot.convocation.employee',
            type='report')
        Slot = pool.get('spsti.slot')
        _, _, request, _, _ = setup_questionnaires()
        responses = self.send(request)
        slot = Slot(request=request, id=-1)
        with Transaction().set_context(language='en'):
            notice, = Convocation.notices([slot])[-1]
        for response in responses:
            self.assertIn(response.kiosk_code, notice)

    @with_transaction()
    def test_demo(self):
        "The demo sends its questionnaires, answers and qualifies part of "
        "them, once"
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Response = pool.get('spsti.questionnaire.response')
        load_lists()
        ctx = DemoContext(members=5, employees=80, seed=3)
        Demo.generate(ctx)
        states = {r.state for r in Response.search([])}
        self.assertTrue({'sent', 'answered', 'qualified'} <= states, states)
        count = Response.search_count([])
        Demo.generate(ctx)
        self.assertEqual(Response.search_count([]), count)

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_questionnaire'), [])


    @with_transaction()
    def test_completion_indicator(self):
        "Completion rate: responses answered over responses sent in the "
        "period, by member"
        pool = Pool()
        Indicator = pool.get('spsti.indicator')
        Response = pool.get('spsti.questionnaire.response')
        VisitRequest = pool.get('spsti.visit.request')
        org, employee, request, health, physical = setup_questionnaires()
        member_b, establishment_b = create_member(
            "Boulangerie Petit", 202, team=org['team'])
        other = create_employee("Petit", "Léa", dt.date(1990, 1, 2), 'F', 2)
        assignment_b = create_assignment(other, establishment_b,
            risks=['PHYS.BRUIT'], start=dt.date(2026, 1, 5))
        VisitRequest.compute_due_visits([assignment_b])
        request_b, = VisitRequest.search([
                ('assignment', '=', assignment_b.id),
                ('visit_type.code', '=', 'VIP-I')])
        # Member A: health answered, physical declined.
        health_a, physical_a = self.send(request)
        health_a.submit(self.raw(health_a, TRAITEMENT='no', SOMMEIL='5',
                BRUIT='no'), 'portal')
        Response.decline([physical_a], 'portal')
        # Member B: health answered and qualified, physical to answer; a
        # third response sent before the period, answered.
        health_b, physical_b = self.send(request_b)
        health_b.submit(self.raw(health_b, TRAITEMENT='no', SOMMEIL='5',
                BRUIT='no'), 'kiosk')
        Response.qualify([health_b])
        later, = VisitRequest.copy([request_b], default={'state': 'to_plan'})
        old, cancelled = self.send(later)
        old.submit(self.raw(old, TRAITEMENT='no', SOMMEIL='5', BRUIT='no'),
            'kiosk')
        Response.write([old], {'sent_date': dt.datetime(2025, 12, 31, 23)})
        # A cancelled one counts nowhere.
        Response.cancel([cancelled])
        indicator, = Indicator.search([('code', '=', 'QUESTIONNAIRE')])
        today = dt.date.today()
        start = dt.date(2026, 1, 1)
        measure, = Indicator.compute([indicator], start, today)
        self.assertEqual((measure.numerator, measure.denominator),
            (2, 4))
        self.assertEqual(measure.value, 0.5)
        measures = Indicator.compute([indicator], start, today,
            scope='member')
        self.assertEqual(
            {m.member.party.name: (m.numerator, m.denominator)
                for m in measures},
            {"Garage Martin": (1, 2), "Boulangerie Petit": (1, 2)})


del ModuleTestCase
