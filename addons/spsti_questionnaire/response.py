"""Réponses aux questionnaires pré-visite: sent with the convocation,
answered by the employee on the portal or at a kiosk of the centre (or
declined), then qualified by a health professional. The answers are
health data: they live in the medical file, under its secrecy and its
access log."""
import datetime as dt
import secrets
from email.message import EmailMessage

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.spsti_dmst.medical_file import MedicalRecordMixin
from trytond.modules.spsti_planning import sms
from trytond.modules.spsti_planning.slot import format_datetime, timezone
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host

from .exceptions import AnswerError, ResponseError
from .questionnaire import exposure_risks

STATES = [
    ('sent', "To Answer"),
    ('answered', "Pending Qualification"),
    ('declined', "Declined"),
    ('qualified', "Qualified"),
    ('cancelled', "Cancelled"),
    ]
CHANNELS = [
    (None, ""),
    ('portal', "Portal"),
    ('kiosk', "Kiosk at the centre"),
    ]
# The one-time code printed on the convocation: no letters or digits that
# read alike.
CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
CODE_LENGTH = 8


def new_code():
    return ''.join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code):
    "The code as typed (spaces, dashes, lower case) as it is stored."
    return ''.join(c for c in (code or '').upper() if c.isalnum())


class Response(MedicalRecordMixin, Workflow, ModelSQL, ModelView):
    """Réponse à un questionnaire pré-visite: one per questionnaire and
    visit request, created when the convocation is sent. Its answers wait
    in the medical file, pending qualification, until a health
    professional qualifies them."""
    __name__ = 'spsti.questionnaire.response'
    __string__ = "Questionnaire Response"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, readonly=True,
        ondelete='CASCADE')
    employee = fields.Function(
        fields.Many2One('spsti.employee', "Employee"), 'get_employee',
        searcher='search_employee')
    request = fields.Many2One(
        'spsti.visit.request', "Visit Request", required=True,
        readonly=True, ondelete='CASCADE')
    visit_type = fields.Function(
        fields.Many2One('spsti.visit.type', "Visit Type"), 'get_visit_type')
    questionnaire = fields.Many2One(
        'spsti.questionnaire', "Questionnaire", required=True,
        readonly=True, ondelete='RESTRICT')
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    sent_date = fields.DateTime("Sent", required=True, readonly=True)
    answered_date = fields.DateTime("Answered", readonly=True)
    channel = fields.Selection(CHANNELS, "Answered On", readonly=True)
    kiosk_code = fields.Char(
        "Kiosk Code", readonly=True, strip=False,
        help="The one-time code printed on the convocation, with which the "
        "employee opens the questionnaire at a kiosk of the centre.")
    answers = fields.One2Many(
        'spsti.questionnaire.answer', 'response', "Answers", readonly=True)
    qualification_note = fields.Text(
        "Qualification Note", states={
            'readonly': Eval('state') != 'answered',
            },
        help="What the professional retains of the answers.")
    qualified_by = fields.Many2One(
        'spsti.professional', "Qualified By", readonly=True,
        ondelete='RESTRICT')
    qualified_date = fields.Date("Qualification Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('request_questionnaire_unique',
                Unique(t, t.request, t.questionnaire),
                'spsti_questionnaire.msg_response_unique'),
            ('kiosk_code_unique', Unique(t, t.kiosk_code),
                'spsti_questionnaire.msg_response_code_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.file, Index.Equality())),
                Index(t, (t.sent_date, Index.Range())),
                Index(t, (t.state, Index.Equality()),
                    where=t.state == 'answered'),
                })
        cls._order = [('sent_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('sent', 'answered'),
            ('sent', 'declined'),
            ('answered', 'qualified'),
            ('sent', 'cancelled'),
            }
        cls._buttons.update({
                'qualify': {
                    'invisible': Eval('state') != 'answered',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'sent'

    def get_employee(self, name):
        return self.file.employee.id

    @classmethod
    def search_employee(cls, name, clause):
        return [('file.employee' + clause[0][len(name):],)
            + tuple(clause[1:])]

    def get_visit_type(self, name):
        return self.request.visit_type.id

    def get_rec_name(self, name):
        return f'{self.questionnaire.name} — {self.file.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR', ('file.rec_name',) + tuple(clause[1:]),
            ('questionnaire.rec_name',) + tuple(clause[1:])]

    # Sending

    @classmethod
    def send(cls, requests):
        """Create the responses of the questionnaires that apply to each
        request, as its convocation is sent, and invite the employees;
        requests that already have them are left as they are."""
        pool = Pool()
        Questionnaire = pool.get('spsti.questionnaire')
        MedicalFile = pool.get('spsti.dmst')
        requests = [r for r in requests if r.state in {'to_plan', 'planned'}]
        if not requests:
            return []
        created = []
        # The planning staff send convocations; the files and responses
        # they create are not theirs to read.
        with without_check_access():
            for sub in grouped_slice(requests, 500):
                sub = list(sub)
                existing = {(r.request.id, r.questionnaire.id)
                    for r in cls.search([
                            ('request', 'in', [r.id for r in sub]),
                            ], order=[])}
                applicable = Questionnaire.applicable(sub)
                pairs = [(r, q) for r in sub for q in applicable[r.id]
                    if (r.id, q.id) not in existing]
                if not pairs:
                    continue
                files = MedicalFile.get_or_create(
                    [r.employee for r, _ in pairs])
                now = dt.datetime.now()
                created.extend(cls.create([{
                                'file': f.id,
                                'request': r.id,
                                'questionnaire': q.id,
                                'sent_date': now,
                                'kiosk_code': new_code(),
                                } for (r, q), f in zip(pairs, files)]))
            cls.invite(created)
        return created

    @classmethod
    def invite(cls, responses):
        """Tell the employees who consented, by email and SMS, that a
        questionnaire waits for them: the link to the portal and the code
        for the kiosk, never a question."""
        by_request = {}
        for response in responses:
            by_request.setdefault(response.request, []).append(response)
        if not by_request:
            return
        tz = timezone()
        sender = None
        from_ = config.get('email', 'from')
        database = Transaction().database.name
        with Transaction().set_context(language='fr'):
            for request, sent in by_request.items():
                employee = request.employee
                slot = request.slot
                text = gettext('spsti_questionnaire.msg_invitation_text',
                    visit_type=request.visit_type.name,
                    date=(format_datetime(slot.start, tz) if slot
                        else gettext('spsti_questionnaire.msg_date_to_come')),
                    url=(f'{http_host()}/{database}/portal/me/visits/'
                        f'{request.id}/questionnaire'),
                    codes=', '.join(r.kiosk_code for r in sent))
                if employee.email and employee.consent_email:
                    msg = EmailMessage()
                    msg['From'] = from_
                    msg['To'] = employee.email
                    msg['Subject'] = gettext(
                        'spsti_questionnaire.msg_invitation_subject')
                    msg.set_content(text)
                    send_message_transactional(msg)
                if employee.mobile and employee.consent_sms:
                    sender = sender or sms.get_sender()
                    sms.send_transactional(sender, employee.mobile, text)

    @classmethod
    def kiosk_codes(cls, requests):
        """The kiosk codes of the responses still to answer of requests:
        {request id: [code, ...]}, for the convocation."""
        codes = {}
        with without_check_access():
            for sub in grouped_slice([r.id for r in requests]):
                for response in cls.search([
                            ('request', 'in', list(sub)),
                            ('state', '=', 'sent'),
                            ], order=[('id', 'ASC')]):
                    codes.setdefault(response.request.id, []).append(
                        response.kiosk_code)
        return codes

    # Answering

    def questions(self):
        """The questions of the questionnaire asked at this visit (its
        type, the exposures of the assignment), in their order."""
        risks = exposure_risks([self.request])[self.request.id]
        return [q for q in self.questionnaire.questions
            if q.applies(self.request.visit_type, risks)]

    def check_answers(self, raw):
        """The stored values of the raw answers posted ({question id: str
        or list}) for the questions shown, in their order; raises
        AnswerError with every error, each naming its question."""
        values, errors = {}, []
        for question in self.questions():
            if not question.shown(values):
                continue
            try:
                value = question.parse(raw.get(question.id))
            except AnswerError as e:
                errors.append(e.message)
                continue
            if value is None:
                if question.required:
                    errors.append(gettext(
                            'spsti_questionnaire.msg_answer_required',
                            question=question.text))
                continue
            values[question.id] = value
        if errors:
            raise AnswerError('\n'.join(errors))
        return values

    def submit(self, raw, channel):
        "The employee sends the answers: the response waits to be qualified."
        Answer = Pool().get('spsti.questionnaire.answer')
        self.check_state('sent')
        values = self.check_answers(raw)
        Answer.create([{
                    'response': self.id,
                    'file': self.file.id,
                    'question': q,
                    'value': v,
                    } for q, v in values.items()])
        self.__class__.answer([self], channel)

    def check_state(self, state):
        if self.state != state:
            raise ResponseError(gettext(
                    'spsti_questionnaire.msg_response_state',
                    response=self.questionnaire.name,
                    state=dict(STATES)[self.state]))

    @classmethod
    @Workflow.transition('answered')
    def answer(cls, responses, channel):
        cls.write(responses, {
                'answered_date': dt.datetime.now(),
                'channel': channel,
                'kiosk_code': None,
                })

    @classmethod
    @Workflow.transition('declined')
    def decline(cls, responses, channel):
        "The employee does not want to answer; the visit takes place anyway."
        cls.write(responses, {
                'answered_date': dt.datetime.now(),
                'channel': channel,
                'kiosk_code': None,
                })

    @classmethod
    @Workflow.transition('cancelled')
    def cancel(cls, responses):
        cls.write(responses, {'kiosk_code': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('qualified')
    def qualify(cls, responses):
        """A health professional validates the answers, corrected and
        annotated where needed: they become part of the file."""
        pool = Pool()
        Professional = pool.get('spsti.professional')
        Date = pool.get('ir.date')
        professional = Professional.get_current()
        if Transaction().check_access and not (
                professional and professional.health_professional):
            raise ResponseError(gettext(
                    'spsti_questionnaire.msg_qualify_health_only'))
        cls.write(responses, {
                'qualified_by': professional.id if professional else None,
                'qualified_date': Date.today(),
                })


class Answer(MedicalRecordMixin, ModelSQL, ModelView):
    """Réponse à une question: the employee's answer as given, kept; the
    professional's qualified value and note beside it, and the answer to
    the same question at the previous response of the file."""
    __name__ = 'spsti.questionnaire.answer'
    __string__ = "Questionnaire Answer"
    response = fields.Many2One(
        'spsti.questionnaire.response', "Response", required=True,
        readonly=True, ondelete='CASCADE')
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, readonly=True,
        ondelete='CASCADE')
    question = fields.Many2One(
        'spsti.questionnaire.question', "Question", required=True,
        readonly=True, ondelete='RESTRICT')
    value = fields.Text("Stored Answer", readonly=True)
    answer = fields.Function(
        fields.Char("Employee's Answer"), 'get_answer')
    previous_answer = fields.Function(
        fields.Char(
            "Previous Answer",
            help="The answer to the same question at the previous response "
            "of the employee."),
        'get_previous_answer')
    response_state = fields.Function(
        fields.Selection(STATES, "Response State"), 'get_response_state')
    qualified_value = fields.Text(
        "Qualified Answer", states={
            'readonly': Eval('response_state') != 'answered',
            },
        help="The answer as the professional retains it, when it differs.")
    note = fields.Char(
        "Note", states={
            'readonly': Eval('response_state') != 'answered',
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.response, Index.Equality())),
                Index(t, (t.file, Index.Equality())),
                })

    def get_answer(self, name):
        return self.question.label(self.value)

    def get_response_state(self, name):
        return self.response.state

    @classmethod
    def get_previous_answer(cls, answers, name):
        """The answer to the question of the same code in the latest
        response of the file answered before this one."""
        result = {a.id: None for a in answers}
        files = {a.file.id for a in answers}
        if not files:
            return result
        earlier = cls.search([
                ('file', 'in', list(files)),
                ('response.state', 'in', ['answered', 'qualified']),
                ], order=[('response.answered_date', 'DESC'),
                    ('response.id', 'DESC')])
        for answer in answers:
            response = answer.response
            if not response.answered_date:
                continue
            # Answered within the same second, the first sent is earlier.
            key = (response.answered_date, response.id)
            for other in earlier:
                if (other.file == answer.file
                        and other.question.code == answer.question.code
                        and (other.response.answered_date,
                            other.response.id) < key):
                    result[answer.id] = other.question.label(
                        other.qualified_value or other.value)
                    break
        return result

    @classmethod
    def write(cls, *args):
        "Only the answers of a response pending qualification change."
        actions = iter(args)
        for answers, _ in zip(actions, actions):
            for answer in answers:
                answer.response.check_state('answered')
        super().write(*args)
