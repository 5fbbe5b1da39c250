"""Questionnaires pré-visite: the questions the service asks the employee
before a visit, by visit type and by risk, frozen once sent so that the
answers always keep the questions they answered."""
import datetime as dt
from decimal import Decimal, InvalidOperation

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import (
    AnswerError, QuestionnaireFrozenError, QuestionnaireValidationError)

KINDS = [
    ('boolean', "Yes / No"),
    ('choice', "Choice"),
    ('multiple', "Multiple Choice"),
    ('number', "Number"),
    ('date', "Date"),
    ('char', "Short Text"),
    ('text', "Long Text"),
    ('scale', "Scale"),
    ]
# The stored value of a yes/no answer.
YES, NO = 'yes', 'no'
# How long a short text answer may be.
CHAR_SIZE = 200


def risk_closure(risk_ids):
    "The risks of risk_ids and all the risks under them in the thésaurus."
    if not risk_ids:
        return set()
    Risk = Pool().get('spsti.risk')
    return {r.id for r in Risk.search(
            [('parent', 'child_of', list(risk_ids), 'parent')], order=[])}


class Questionnaire(DeactivableMixin, ModelSQL, ModelView):
    """Questionnaire pré-visite: sent with the convocations of the visit
    types it is for (all when none) to the employees exposed to one of its
    risks (all when none). Once sent it is frozen: a new version is made
    by copy and the old one deactivated."""
    __name__ = 'spsti.questionnaire'
    __string__ = "Pre-visit Questionnaire"
    code = fields.Char(
        "Code", required=True,
        states={'readonly': Eval('frozen', False)},
        help="Shared by the versions of the questionnaire.")
    version = fields.Integer("Version", required=True, readonly=True)
    name = fields.Char(
        "Name", required=True, states={'readonly': Eval('frozen', False)})
    introduction = fields.Text(
        "Introduction", states={'readonly': Eval('frozen', False)},
        help="Shown to the employee above the questions.")
    visit_types = fields.Many2Many(
        'spsti.questionnaire-spsti.visit.type', 'questionnaire',
        'visit_type', "Visit Types",
        states={'readonly': Eval('frozen', False)},
        help="Sent with the convocations of these visit types; all when "
        "empty.")
    risks = fields.Many2Many(
        'spsti.questionnaire-spsti.risk', 'questionnaire', 'risk', "Risks",
        states={'readonly': Eval('frozen', False)},
        help="Sent to the employees whose assignment has an exposure to one "
        "of these risks (or a risk under them in the thésaurus); to all "
        "when empty.")
    questions = fields.One2Many(
        'spsti.questionnaire.question', 'questionnaire', "Questions",
        states={'readonly': Eval('frozen', False)})
    frozen = fields.Function(
        fields.Boolean(
            "Frozen", help="Sent at least once: a new version is needed to "
            "change it."),
        'get_frozen')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_version_unique', Unique(t, t.code, t.version),
                'spsti_questionnaire.msg_questionnaire_version_unique'),
            ]
        cls._order = [('code', 'ASC'), ('version', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'new_version': {
                    'invisible': ~Eval('frozen', False),
                    'depends': ['frozen'],
                    },
                })

    @classmethod
    def default_version(cls):
        return 1

    @classmethod
    def get_frozen(cls, questionnaires, name):
        Response = Pool().get('spsti.questionnaire.response')
        table = Response.__table__()
        cursor = Transaction().connection.cursor()
        ids = [q.id for q in questionnaires]
        cursor.execute(*table.select(table.questionnaire,
                where=table.questionnaire.in_(ids),
                group_by=[table.questionnaire]))
        sent = {q for q, in cursor}
        return {i: i in sent for i in ids}

    def get_rec_name(self, name):
        return f'{self.name} (v{self.version})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR', ('name',) + tuple(clause[1:]),
            ('code',) + tuple(clause[1:])]

    @classmethod
    def check_not_frozen(cls, questionnaires):
        for questionnaire in questionnaires:
            if questionnaire.frozen:
                raise QuestionnaireFrozenError(gettext(
                        'spsti_questionnaire.msg_questionnaire_frozen',
                        questionnaire=questionnaire.rec_name))

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for questionnaires, values in zip(actions, actions):
            if values.keys() - {'active'}:
                cls.check_not_frozen(questionnaires)
        super().write(*args)

    @classmethod
    def delete(cls, questionnaires):
        cls.check_not_frozen(questionnaires)
        super().delete(questionnaires)

    @classmethod
    def copy(cls, questionnaires, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('version', 1)
        default.setdefault('code', lambda data: data['code'] + '-copie')
        return super().copy(questionnaires, default=default)

    @classmethod
    @ModelView.button
    def new_version(cls, questionnaires):
        """Copy each questionnaire as its next version, the new one active
        and the sent one deactivated (its answers keep their questions)."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        new = []
        for questionnaire in questionnaires:
            cursor.execute(*table.select(
                    table.version, where=table.code == questionnaire.code,
                    order_by=[table.version.desc], limit=1))
            version, = cursor.fetchone()
            new.extend(cls.copy([questionnaire], default={
                        'code': questionnaire.code,
                        'version': version + 1,
                        }))
        cls.write(list(questionnaires), {'active': False})
        return [q.id for q in new]

    @classmethod
    def applicable(cls, requests):
        """The active questionnaires that apply to each visit request, by
        its visit type and the exposures of its assignment in force at the
        request: {request id: [questionnaire, ...]}."""
        exposures = exposure_risks(requests)
        questionnaires = cls.search([], order=[('code', 'ASC')])
        closures = {q.id: risk_closure([r.id for r in q.risks])
            for q in questionnaires}
        result = {}
        for request in requests:
            result[request.id] = [q for q in questionnaires
                if q.applies(request.visit_type, exposures[request.id],
                    closures[q.id])]
        return result

    def applies(self, visit_type, risk_ids, closure):
        "Whether the questionnaire is for visit_type and the risks."
        if self.visit_types and visit_type not in self.visit_types:
            return False
        return not self.risks or bool(closure & set(risk_ids))


def exposure_risks(requests):
    """The risks of the exposures in force of the assignment of each
    request: {request id: set of risk ids}, read at once."""
    Exposure = Pool().get('spsti.assignment.exposure')
    today = dt.date.today()
    by_assignment = {}
    assignments = {r.assignment.id for r in requests}
    for exposure in Exposure.search([
                ('assignment', 'in', list(assignments)),
                ['OR', ('end_date', '=', None), ('end_date', '>=', today)],
                ], order=[]):
        by_assignment.setdefault(exposure.assignment.id, set()).add(
            exposure.risk.id)
    return {r.id: by_assignment.get(r.assignment.id, set())
        for r in requests}


class QuestionnaireVisitType(ModelSQL):
    __name__ = 'spsti.questionnaire-spsti.visit.type'
    __string__ = "Questionnaire - Visit Type"
    questionnaire = fields.Many2One(
        'spsti.questionnaire', "Questionnaire", required=True,
        ondelete='CASCADE')
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", required=True, ondelete='CASCADE')


class QuestionnaireRisk(ModelSQL):
    __name__ = 'spsti.questionnaire-spsti.risk'
    __string__ = "Questionnaire - Risk"
    questionnaire = fields.Many2One(
        'spsti.questionnaire', "Questionnaire", required=True,
        ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='CASCADE')


class Question(sequence_ordered(), ModelSQL, ModelView):
    """Question of a questionnaire: its type, whether an answer is
    required, the earlier answer it depends on, and the visit types and
    risks it is asked for."""
    __name__ = 'spsti.questionnaire.question'
    __string__ = "Question"
    questionnaire = fields.Many2One(
        'spsti.questionnaire', "Questionnaire", required=True,
        ondelete='CASCADE')
    code = fields.Char(
        "Code", required=True,
        help="The same question in every version of the questionnaire: the "
        "answers of the previous responses are shown beside it.")
    text = fields.Char("Question", required=True)
    help = fields.Char("Help", help="Shown to the employee under the "
        "question.")
    kind = fields.Selection(KINDS, "Type", required=True, sort=False)
    required = fields.Boolean("Required")
    choices = fields.Text(
        "Choices", help="One choice per line.",
        states={
            'invisible': ~Eval('kind').in_(['choice', 'multiple']),
            'required': Eval('kind').in_(['choice', 'multiple']),
            })
    scale_min = fields.Integer(
        "Scale From", states={
            'invisible': Eval('kind') != 'scale',
            'required': Eval('kind') == 'scale',
            })
    scale_max = fields.Integer(
        "Scale To", states={
            'invisible': Eval('kind') != 'scale',
            'required': Eval('kind') == 'scale',
            })
    condition_question = fields.Many2One(
        'spsti.questionnaire.question', "Shown If", ondelete='RESTRICT',
        domain=[
            ('questionnaire', '=', Eval('questionnaire', -1)),
            If(Eval('id', -1) >= 0, ('id', '!=', Eval('id', -1)), ()),
            ],
        help="An earlier question: this one is shown only when its answer "
        "has the value below.")
    condition_value = fields.Char(
        "Value", states={
            'invisible': ~Eval('condition_question'),
            'required': Eval('condition_question', -1) > 0,
            },
        help="\"yes\" or \"no\" for a yes/no question, else one of its "
        "choices.")
    visit_types = fields.Many2Many(
        'spsti.questionnaire.question-spsti.visit.type', 'question',
        'visit_type', "Visit Types",
        help="Asked at these visit types only; at all when empty.")
    risks = fields.Many2Many(
        'spsti.questionnaire.question-spsti.risk', 'question', 'risk',
        "Risks", help="Asked to the employees exposed to one of these risks "
        "only; to all when empty.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.questionnaire, t.code),
                'spsti_questionnaire.msg_question_code_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.questionnaire, Index.Equality())))

    @classmethod
    def default_kind(cls):
        return 'boolean'

    @classmethod
    def default_required(cls):
        return False

    @fields.depends('kind', 'scale_min', 'scale_max')
    def on_change_kind(self):
        if self.kind == 'scale':
            if self.scale_min is None:
                self.scale_min = 0
            if self.scale_max is None:
                self.scale_max = 10

    def get_rec_name(self, name):
        return self.text

    @property
    def options(self):
        "The choices, one per line."
        return [c.strip() for c in (self.choices or '').splitlines()
            if c.strip()]

    @classmethod
    def create(cls, vlist):
        Questionnaire = Pool().get('spsti.questionnaire')
        Questionnaire.check_not_frozen(Questionnaire.browse(
                {v['questionnaire'] for v in vlist
                    if v.get('questionnaire')}))
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        Questionnaire = Pool().get('spsti.questionnaire')
        actions = iter(args)
        for questions, values in zip(actions, actions):
            Questionnaire.check_not_frozen(
                {q.questionnaire for q in questions})
            if values.get('questionnaire'):
                Questionnaire.check_not_frozen(
                    [Questionnaire(values['questionnaire'])])
        super().write(*args)

    @classmethod
    def delete(cls, questions):
        Questionnaire = Pool().get('spsti.questionnaire')
        Questionnaire.check_not_frozen({q.questionnaire for q in questions})
        super().delete(questions)

    @classmethod
    def copy(cls, questions, default=None):
        """The conditions of questions copied together point to the copies
        (a new version's condition is its own earlier question)."""
        default = default.copy() if default is not None else {}
        default.setdefault('condition_question')
        new = super().copy(questions, default=default)
        copies = {o.id: n for o, n in zip(questions, new)}
        to_save = []
        for old, question in zip(questions, new):
            condition = old.condition_question
            if condition:
                question.condition_question = copies.get(
                    condition.id, condition)
                to_save.append(question)
        cls.save(to_save)
        return new

    @classmethod
    def validate_fields(cls, questions, field_names):
        super().validate_fields(questions, field_names)
        if field_names & {'kind', 'choices', 'scale_min', 'scale_max',
                'condition_question', 'condition_value', 'sequence'}:
            for question in questions:
                question.check_definition()

    def check_definition(self):
        if self.kind in {'choice', 'multiple'} and not self.options:
            raise QuestionnaireValidationError(gettext(
                    'spsti_questionnaire.msg_question_choices',
                    question=self.rec_name))
        if self.kind == 'scale' and not (
                self.scale_min is not None and self.scale_max is not None
                and self.scale_min < self.scale_max):
            raise QuestionnaireValidationError(gettext(
                    'spsti_questionnaire.msg_question_scale',
                    question=self.rec_name))
        condition = self.condition_question
        if condition:
            if (condition.questionnaire != self.questionnaire
                    or condition.position >= self.position):
                raise QuestionnaireValidationError(gettext(
                        'spsti_questionnaire.msg_question_condition_order',
                        question=self.rec_name,
                        condition=condition.rec_name))
            if condition.kind not in {'boolean', 'choice', 'multiple'}:
                raise QuestionnaireValidationError(gettext(
                        'spsti_questionnaire.msg_question_condition_kind',
                        question=self.rec_name,
                        condition=condition.rec_name))
            allowed = ([YES, NO] if condition.kind == 'boolean'
                else condition.options)
            if self.condition_value not in allowed:
                raise QuestionnaireValidationError(gettext(
                        'spsti_questionnaire.msg_question_condition_value',
                        question=self.rec_name,
                        value=self.condition_value or '',
                        condition=condition.rec_name,
                        allowed=', '.join(allowed)))

    @property
    def position(self):
        "The rank of the question in its questionnaire (sequence, id)."
        return (self.sequence if self.sequence is not None else 2 ** 31,
            self.id)

    def applies(self, visit_type, risk_ids):
        "Whether the question is asked at visit_type to these risks."
        if self.visit_types and visit_type not in self.visit_types:
            return False
        if not self.risks:
            return True
        return bool(risk_closure([r.id for r in self.risks]) & set(risk_ids))

    def shown(self, values):
        """Whether the question is shown given the answers values
        ({question id: stored value}) of the earlier questions."""
        condition = self.condition_question
        if not condition:
            return True
        value = values.get(condition.id)
        if value is None:
            return False
        if condition.kind == 'multiple':
            return self.condition_value in value.split('\n')
        return value == self.condition_value

    def parse(self, raw):
        """The stored value of the raw answer posted (a string, or a list
        for a multiple choice), None when not answered; raises AnswerError
        naming the question when it is not valid."""
        if self.kind == 'multiple':
            items = [r.strip() for r in (raw or []) if r and r.strip()]
            wrong = [i for i in items if i not in self.options]
            if wrong:
                self.invalid(wrong[0])
            return '\n'.join(o for o in self.options if o in items) or None
        raw = (raw or '').strip()
        if not raw:
            return None
        if self.kind == 'boolean':
            if raw not in {YES, NO}:
                self.invalid(raw)
        elif self.kind == 'choice':
            if raw not in self.options:
                self.invalid(raw)
        elif self.kind == 'number':
            try:
                number = Decimal(raw.replace(',', '.').replace(' ', ''))
            except InvalidOperation:
                self.invalid(raw)
            if not number.is_finite():
                self.invalid(raw)
            raw = str(number)
        elif self.kind == 'date':
            try:
                raw = dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                self.invalid(raw)
        elif self.kind == 'scale':
            if not (raw.lstrip('-').isdigit()
                    and self.scale_min <= int(raw) <= self.scale_max):
                raise AnswerError(gettext(
                        'spsti_questionnaire.msg_answer_scale',
                        question=self.text, value=raw,
                        minimum=self.scale_min, maximum=self.scale_max))
        elif self.kind == 'char' and len(raw) > CHAR_SIZE:
            raise AnswerError(gettext(
                    'spsti_questionnaire.msg_answer_too_long',
                    question=self.text, size=CHAR_SIZE))
        return raw

    def invalid(self, value):
        raise AnswerError(gettext(
                f'spsti_questionnaire.msg_answer_{self.kind}',
                question=self.text, value=value))

    def label(self, value):
        "The answer stored as value, as the employee and the staff read it."
        if value is None:
            return ''
        if self.kind == 'boolean':
            return gettext(f'spsti_questionnaire.msg_answer_{value}')
        if self.kind == 'date':
            return dt.date.fromisoformat(value).strftime('%d/%m/%Y')
        if self.kind == 'multiple':
            return ', '.join(value.split('\n'))
        return value


class QuestionVisitType(ModelSQL):
    __name__ = 'spsti.questionnaire.question-spsti.visit.type'
    __string__ = "Question - Visit Type"
    question = fields.Many2One(
        'spsti.questionnaire.question', "Question", required=True,
        ondelete='CASCADE')
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", required=True, ondelete='CASCADE')


class QuestionRisk(ModelSQL):
    __name__ = 'spsti.questionnaire.question-spsti.risk'
    __string__ = "Question - Risk"
    question = fields.Many2One(
        'spsti.questionnaire.question', "Question", required=True,
        ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='CASCADE')
