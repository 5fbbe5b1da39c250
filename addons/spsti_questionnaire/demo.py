"""Demo questionnaires: a general health questionnaire and one for the
employees exposed to noise, sent with the convocations booked; part of
them answered (some qualified, with the answers of an earlier visit), the
rest to answer, the portal's demo employee's among them; a kiosk at the
first centre."""
import datetime as dt

from trytond.modules.spsti_base.demo import DEMO_PASSWORD
from trytond.modules.spsti_portal.demo import EMPLOYEE_EMAIL
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# At most this many responses are answered by the demo.
ANSWERED = 60
QUESTIONNAIRES = [{
        'code': 'SANTE',
        'name': "Questionnaire de santé avant la visite",
        'introduction': (
            "Ces questions préparent votre entretien avec le professionnel "
            "de santé ; il en reparlera avec vous."),
        'risks': [],
        'questions': [
            ('TRAITEMENT', 'boolean', True,
                "Prenez-vous un traitement médical régulier ?", None, None),
            ('TRAITEMENT_DETAIL', 'char', True, "Lequel ?", None,
                ('TRAITEMENT', 'yes')),
            ('SOMMEIL', 'scale', True,
                "Comment évaluez-vous votre sommeil (0 : très mauvais, "
                "10 : excellent) ?", None, None),
            ('DOULEURS', 'multiple', False,
                "Ressentez-vous des douleurs pendant ou après le travail ?",
                "Dos\nÉpaules\nPoignets, mains\nGenoux", None),
            ('ARRET', 'boolean', True,
                "Avez-vous eu un arrêt de travail depuis votre dernière "
                "visite ?", None, None),
            ('ARRET_REPRISE', 'date', False, "Date de votre reprise", None,
                ('ARRET', 'yes')),
            ('TABAC', 'choice', False, "Tabac",
                "Non-fumeur\nAncien fumeur\nFumeur", None),
            ('REMARQUES', 'text', False,
                "Souhaitez-vous signaler autre chose au professionnel de "
                "santé ?", None, None),
            ],
        }, {
        'code': 'BRUIT',
        'name': "Exposition au bruit",
        'introduction': None,
        'risks': ['PHYS.BRUIT'],
        'questions': [
            ('PROTECTIONS', 'choice', True,
                "Portez-vous vos protections auditives au poste ?",
                "Toujours\nSouvent\nRarement\nJamais", None),
            ('ACOUPHENES', 'boolean', True,
                "Avez-vous des sifflements ou bourdonnements d'oreille ?",
                None, None),
            ],
        }]
TREATMENTS = ["Antihypertenseur", "Traitement de l'asthme",
    "Anti-inflammatoire ponctuel", "Lévothyrox"]
REMARKS = ["", "", "Fatigue en fin de semaine.",
    "Je souhaite parler de mon poste de travail."]


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_questionnaires(ctx)

    @classmethod
    def generate_questionnaires(cls, ctx):
        pool = Pool()
        Questionnaire = pool.get('spsti.questionnaire')
        Response = pool.get('spsti.questionnaire.response')
        VisitRequest = pool.get('spsti.visit.request')
        Kiosk = pool.get('spsti.questionnaire.kiosk')
        Centre = pool.get('spsti.centre')
        Risk = pool.get('spsti.risk')
        if Questionnaire.search([], limit=1):
            return
        risks = {r.code: r.id for r in Risk.search([('code', 'in', [
                            c for q in QUESTIONNAIRES for c in q['risks']])])}
        scale = {'scale_min': 0, 'scale_max': 10}
        questionnaires = Questionnaire.create([{
                    'code': q['code'],
                    'name': q['name'],
                    'introduction': q['introduction'],
                    'risks': [('add', [risks[c] for c in q['risks']
                                if c in risks])],
                    'questions': [('create', [{
                                    'sequence': i * 10,
                                    'code': code,
                                    'kind': kind,
                                    'required': required,
                                    'text': text,
                                    'choices': choices,
                                    **(scale if kind == 'scale' else {}),
                                    } for i, (code, kind, required, text,
                                        choices, _) in enumerate(
                                        q['questions'])])],
                    } for q in QUESTIONNAIRES])
        cls._demo_conditions(questionnaires)
        centres = Centre.search([], order=[('id', 'ASC')], limit=1)
        if centres:
            Kiosk.create([{
                        'name': "Borne de l'accueil",
                        'centre': centres[0].id,
                        }])
        responses = Response.send(VisitRequest.search([
                    ('state', '=', 'planned'),
                    ], order=[('id', 'ASC')]))
        cls._demo_answers(ctx, responses)
        doctor = cls._demo_doctor(ctx)
        ctx.report.append(f"questionnaires: {len(responses)} sent, "
            f"{Response.search_count([('state', '=', 'answered')])} "
            f"pending qualification; the doctor of {EMPLOYEE_EMAIL}: "
            f"{doctor or '-'}")

    @classmethod
    def _demo_doctor(cls, ctx):
        """The login of the doctor who reads the answers of the portal's
        demo employee: the lead of their team, given the login medecin2
        when the demo users have none there."""
        pool = Pool()
        WebUser = pool.get('web.user')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        users = WebUser.search([('email', '=', EMPLOYEE_EMAIL)], limit=1)
        teams = [a.team for a in users[0].employee.assignments
            if a.team and a.team.lead] if users else []
        if not teams:
            return None
        lead = teams[0].lead
        if not lead.user:
            lead.user, = User.create([{
                        'login': 'medecin2',
                        'name': lead.rec_name,
                        'password': DEMO_PASSWORD,
                        'groups': [('add', [ModelData.get_id(
                                        'spsti_base', 'group_spsti_doctor')])],
                        'companies': [('add', [ctx.company.id])],
                        'company': ctx.company.id,
                        }])
            lead.save()
        return lead.user.login

    @classmethod
    def _demo_conditions(cls, questionnaires):
        Question = Pool().get('spsti.questionnaire.question')
        conditions = {(q['code'], code): condition
            for q in QUESTIONNAIRES
            for code, _, _, _, _, condition in q['questions'] if condition}
        by_code = {(q.questionnaire.code, q.code): q
            for n in questionnaires for q in n.questions}
        args = []
        for (questionnaire, code), (on, value) in conditions.items():
            args.extend(([by_code[questionnaire, code]], {
                        'condition_question': by_code[questionnaire, on].id,
                        'condition_value': value,
                        }))
        if args:
            Question.write(*args)

    @classmethod
    def _demo_answers(cls, ctx, responses):
        """Answer part of responses (never those of the portal's demo
        employee, left to answer), qualify half of them, and give those
        employees an earlier response, qualified, on their last visit."""
        pool = Pool()
        Response = pool.get('spsti.questionnaire.response')
        WebUser = pool.get('web.user')
        VisitRequest = pool.get('spsti.visit.request')
        Answer = pool.get('spsti.questionnaire.answer')
        users = WebUser.search([('email', '=', EMPLOYEE_EMAIL)], limit=1)
        kept = users[0].employee if users else None
        others = [r for r in responses if r.employee != kept]
        # Spread over the members, and so over the teams.
        answering = others[::max(1, len(others) // ANSWERED)][:ANSWERED]
        for response in answering:
            response.submit(cls._demo_raw(ctx, response),
                ctx.rng.choice(['portal', 'portal', 'kiosk']))
        answered = [r for r in answering if r.state == 'answered']
        to_qualify = answered[::2]
        Response.qualify(to_qualify)
        Response.write(*[x for r in to_qualify if r.request.team
                and r.request.team.lead
                for x in ([r], {'qualified_by': r.request.team.lead.id})])
        # An earlier response on the last visit done, for the employees
        # answering now and the portal's employee: their answers are shown
        # beside the new ones.
        employees = {r.employee for r in answered[1::2]}
        if kept:
            employees.add(kept)
        earlier = {}
        for request in VisitRequest.search([
                    ('employee', 'in', [e.id for e in employees]),
                    ('state', '=', 'done'),
                    ], order=[('done_date', 'ASC')]):
            earlier[request.employee] = request
        now_responses = {(r.employee, r.questionnaire): r for r in responses}
        vlist = []
        for (employee, questionnaire), response in now_responses.items():
            request = earlier.get(employee)
            if not request or not request.done_date:
                continue
            sent = dt.datetime.combine(
                request.done_date - dt.timedelta(days=7), dt.time(9))
            vlist.append({
                    'file': response.file.id,
                    'request': request.id,
                    'questionnaire': questionnaire.id,
                    'sent_date': sent,
                    'answered_date': sent + dt.timedelta(days=2),
                    'channel': 'portal',
                    'state': 'qualified',
                    'qualified_date': request.done_date,
                    'qualified_by': (request.team.lead.id
                        if request.team and request.team.lead else None),
                    })
        previous = Response.create(vlist)
        answers = []
        for response in previous:
            values = response.check_answers(cls._demo_raw(ctx, response))
            answers.extend({
                    'response': response.id,
                    'file': response.file.id,
                    'question': q,
                    'value': v,
                    } for q, v in values.items())
        Answer.create(answers)

    @staticmethod
    def _demo_raw(ctx, response):
        "Plausible raw answers to the questions of response."
        rng = ctx.rng
        raw = {}
        for question in response.questions():
            kind = question.kind
            if kind == 'boolean':
                value = rng.choice(['yes', 'no', 'no'])
            elif kind == 'choice':
                value = rng.choice(question.options)
            elif kind == 'multiple':
                value = rng.sample(question.options, rng.randint(0, 2))
            elif kind == 'scale':
                value = str(rng.randint(3, 9))
            elif kind == 'date':
                value = (dt.date.today()
                    - dt.timedelta(days=rng.randint(20, 300))).isoformat()
            elif kind == 'char':
                value = rng.choice(TREATMENTS)
            else:
                value = rng.choice(REMARKS)
            raw[question.id] = value
        return raw
