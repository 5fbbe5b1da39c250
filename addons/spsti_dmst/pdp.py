"""Prévention de la désinsertion professionnelle (PDP): job-retention cases,
their accompaniment plan and a pluggable, versioned detection score whose
inputs are stored with each score."""
import operator

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.modules.spsti_adherent.employee import age
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .medical_file import MedicalRecordMixin

SOURCES = [
    ('employee', "Employee"),
    ('employer', "Employer"),
    ('occupational_doctor', "Occupational doctor or team"),
    ('attending_doctor', "Attending doctor"),
    ('health_insurance', "Health insurance (CPAM, medical adviser)"),
    ('social_worker', "Social worker"),
    ('other', "Other"),
    ]
OUTCOMES = [
    (None, ""),
    ('kept', "Kept in the job"),
    ('adjusted', "Kept with an adjustment of the post"),
    ('internal', "Redeployed within the company"),
    ('external', "Reclassified outside the company"),
    ('training', "Training or career change"),
    ('unfit', "Unfitness"),
    ('other', "Other"),
    ]
# The inputs a score method may weigh, computed by ScoreMethod.inputs.
INPUTS = [
    ('age', "Age (years)"),
    ('stoppage_days_12m', "Days of work stoppage over 12 months"),
    ('stoppages_12m', "Work stoppages over 12 months"),
    ('restrictions_5y',
        "Opinions with restrictions or unfitness over 5 years"),
    ('pathologies', "Pathologies in progress"),
    ('sir_exposures', "Exposures of reinforced follow-up in force"),
    ]
OPERATORS = {
    '>=': operator.ge,
    '>': operator.gt,
    '=': operator.eq,
    }
_open = {'readonly': Eval('state') != 'open'}


class Case(MedicalRecordMixin, Workflow, ModelSQL, ModelView):
    """Cas de maintien en emploi: an employee at risk of losing their job
    for health reasons, followed by the PDP cell from the signal to the
    impact review a year after the accompaniment plan."""
    __name__ = 'spsti.pdp.case'
    __string__ = "Job Retention Case"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, ondelete='RESTRICT',
        states=_open)
    signal_source = fields.Selection(
        SOURCES, "Signal From", required=True, states=_open)
    signal_date = fields.Date("Signal Date", required=True, states=_open)
    description = fields.Text("Situation", states=_open)
    partners = fields.Many2Many(
        'spsti.pdp.case-party.party', 'case', 'party', "Partners",
        states=_open,
        help="CARSAT, CPAM, Cap Emploi, MDPH, training bodies…")
    decisions = fields.One2Many(
        'spsti.pdp.decision', 'case', "Cell Decisions", states=_open)
    plan_date = fields.Date(
        "Plan Date", states=_open,
        help="When the individual accompaniment plan started: the "
        "follow-ups at 3 and 6 months and the impact review at one year "
        "count from it.")
    actions = fields.One2Many(
        'spsti.pdp.action', 'case', "Plan Actions", states=_open)
    follow_up_3m = fields.Function(
        fields.Date("Follow-up at 3 Months"), 'get_milestone')
    follow_up_6m = fields.Function(
        fields.Date("Follow-up at 6 Months"), 'get_milestone')
    impact_review = fields.Function(
        fields.Date("Impact Review"), 'get_milestone')
    follow_up_3m_done = fields.Date("3-Month Follow-up Done", states=_open)
    follow_up_6m_done = fields.Date("6-Month Follow-up Done", states=_open)
    impact_review_done = fields.Date("Impact Review Done", states=_open)
    impact = fields.Text("Impact", states=_open)
    outcome = fields.Selection(OUTCOMES, "Outcome", states={
            'readonly': Eval('state') != 'open',
            'required': Eval('state') == 'closed',
            })
    closing_date = fields.Date("Closing Date", readonly=True)
    state = fields.Selection([
            ('open', "Open"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.file, Index.Equality())))
        cls._order = [('signal_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('open', 'closed'), ('closed', 'open')}
        cls._buttons.update({
                'close': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'closed',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_signal_date(cls):
        return Pool().get('ir.date').today()

    def get_milestone(self, name):
        months = {'follow_up_3m': 3, 'follow_up_6m': 6, 'impact_review': 12}
        if self.plan_date:
            return self.plan_date + relativedelta(months=months[name])

    def get_rec_name(self, name):
        return (f'{self.file.rec_name} '
            f'{self.signal_date.strftime("%d/%m/%Y")}')

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, cases):
        Date = Pool().get('ir.date')
        for case in cases:
            if not case.outcome:
                raise ValidationError(gettext(
                        'spsti_dmst.msg_pdp_outcome_required',
                        case=case.rec_name))
        cls.write(cases, {'closing_date': Date.today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, cases):
        cls.write(cases, {'closing_date': None})


class CaseParty(ModelSQL):
    __name__ = 'spsti.pdp.case-party.party'
    __string__ = "Job Retention Case - Partner"
    case = fields.Many2One(
        'spsti.pdp.case', "Case", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='RESTRICT')


class CaseRecordMixin(MedicalRecordMixin):
    "A record of a job retention case: health data of the case's file."
    __slots__ = ()
    file_column = 'case'
    file_path = 'case.file'

    @classmethod
    def medical_file_ids(cls, ids):
        Case = Pool().get('spsti.pdp.case')
        return Case.medical_file_ids(super().medical_file_ids(ids))

    @classmethod
    def values_file_ids(cls, vlist):
        Case = Pool().get('spsti.pdp.case')
        return Case.medical_file_ids(super().values_file_ids(vlist))


class Decision(CaseRecordMixin, ModelSQL, ModelView):
    "Décision de la cellule PDP on a case."
    __name__ = 'spsti.pdp.decision'
    __string__ = "Job Retention Cell Decision"
    case = fields.Many2One(
        'spsti.pdp.case', "Case", required=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    decision = fields.Text("Decision", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]


class Action(sequence_ordered(), CaseRecordMixin, ModelSQL, ModelView):
    "Action of the individual accompaniment plan."
    __name__ = 'spsti.pdp.action'
    __string__ = "Accompaniment Plan Action"
    case = fields.Many2One(
        'spsti.pdp.case', "Case", required=True, ondelete='CASCADE')
    description = fields.Char("Action", required=True)
    owner = fields.Char(
        "Owner", help="Who carries it out: the team, the employer, a "
        "partner…")
    due_date = fields.Date("Due Date")
    done_date = fields.Date("Done")


class ScoreMethod(ModelSQL, ModelView):
    """Méthode de score de détection PDP: a versioned, documented way to
    score the risk of losing one's job for health reasons. The weighted
    criteria method adds the weights of the criteria its inputs meet; the
    kind is a selection other modules may extend with their own compute."""
    __name__ = 'spsti.pdp.score.method'
    __string__ = "Detection Score Method"
    code = fields.Char("Code", required=True)
    version = fields.Integer("Version", required=True)
    name = fields.Char("Name", required=True)
    description = fields.Text(
        "Description", help="What the method is based on and its limits.")
    kind = fields.Selection([
            ('weighted_criteria', "Weighted criteria"),
            ], "Kind", required=True)
    criteria = fields.One2Many(
        'spsti.pdp.score.criterion', 'method', "Criteria")
    medium_threshold = fields.Float(
        "Watch From", required=True,
        help="A score from this value is a situation to watch.")
    high_threshold = fields.Float(
        "High Risk From", required=True,
        help="A score from this value calls for the PDP cell.")
    active = fields.Boolean("Active")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_version_unique', Unique(t, t.code, t.version),
                'spsti_dmst.msg_score_method_unique'),
            ]
        cls._order = [('code', 'ASC'), ('version', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_kind(cls):
        return 'weighted_criteria'

    @classmethod
    def default_active(cls):
        return True

    def get_rec_name(self, name):
        return f'{self.code} v{self.version} - {self.name}'

    @classmethod
    def write(cls, *args):
        "A method that scored once no longer changes: make a new version."
        Score = Pool().get('spsti.pdp.score')
        actions = iter(args)
        for methods, values in zip(actions, actions):
            if values.keys() - {'active'} and Score.search(
                    [('method', 'in', [m.id for m in methods])], limit=1):
                raise ValidationError(gettext(
                        'spsti_dmst.msg_score_method_used',
                        method=methods[0].rec_name))
        super().write(*args)

    def compute(self, inputs):
        "The score of inputs ({input: value})."
        return getattr(self, f'_compute_{self.kind}')(inputs)

    def _compute_weighted_criteria(self, inputs):
        return sum(c.weight for c in self.criteria
            if inputs.get(c.input) is not None
            and OPERATORS[c.operator](inputs[c.input], c.threshold))

    def level(self, score):
        if score >= self.high_threshold:
            return 'high'
        if score >= self.medium_threshold:
            return 'medium'
        return 'low'

    @staticmethod
    @without_check_access
    def inputs(file, date):
        """The values of INPUTS for the employee of file on date, read from
        the file, the assignments and the declared stoppages."""
        pool = Pool()
        Stoppage = pool.get('spsti.work_stoppage')
        Consultation = pool.get('spsti.dmst.consultation')
        Pathology = pool.get('spsti.dmst.pathology')
        Assignment = pool.get('spsti.assignment')
        ModelData = pool.get('ir.model.data')
        employee = file.employee
        year_ago = date - relativedelta(months=12)
        days = 0
        stoppages = Stoppage.search([
                ('employee', '=', employee.id),
                ('start_date', '<=', date),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', year_ago)],
                ])
        for stoppage in stoppages:
            start = max(stoppage.start_date, year_ago)
            end = min(stoppage.end_date or date, date)
            days += (end - start).days + 1
        sir = ModelData.get_id('spsti_base', 'category_sir')
        return {
            'age': age(employee.birth_date, date),
            'stoppage_days_12m': days,
            'stoppages_12m': len(stoppages),
            'restrictions_5y': Consultation.search_count([
                    ('file', '=', file.id),
                    ('outcome', 'in', ['fit_with_adjustment', 'unfit']),
                    ('date', '>', date - relativedelta(years=5)),
                    ('date', '<=', date),
                    ]),
            'pathologies': Pathology.search_count([
                    ('file', '=', file.id),
                    ['OR',
                        ('end_date', '=', None),
                        ('end_date', '>=', date)],
                    ]),
            'sir_exposures': Assignment.search_count([
                    ('employee', '=', employee.id),
                    ('effective_category', '=', sir),
                    ('start_date', '<=', date),
                    ['OR',
                        ('end_date', '=', None),
                        ('end_date', '>=', date)],
                    ]),
            }


class ScoreCriterion(sequence_ordered(), ModelSQL, ModelView):
    "A criterion of a weighted score method: input, threshold and weight."
    __name__ = 'spsti.pdp.score.criterion'
    __string__ = "Detection Score Criterion"
    method = fields.Many2One(
        'spsti.pdp.score.method', "Method", required=True,
        ondelete='CASCADE')
    input = fields.Selection(INPUTS, "Input", required=True)
    operator = fields.Selection(
        [(o, o) for o in OPERATORS], "Operator", required=True)
    threshold = fields.Float("Threshold", required=True)
    weight = fields.Float("Weight", required=True)
    rationale = fields.Char("Rationale")

    @classmethod
    def default_operator(cls):
        return '>='


class Score(MedicalRecordMixin, ModelSQL, ModelView):
    """Score de détection PDP of an employee on a date, with the method
    version and the inputs it used, so that it can be computed again."""
    __name__ = 'spsti.pdp.score'
    __string__ = "Detection Score"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, ondelete='CASCADE',
        readonly=True)
    method = fields.Many2One(
        'spsti.pdp.score.method', "Method", required=True,
        ondelete='RESTRICT', readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    inputs = fields.Dict(None, "Inputs", readonly=True)
    value = fields.Float("Score", readonly=True)
    level = fields.Selection([
            ('low', "Low"),
            ('medium', "To watch"),
            ('high', "High"),
            ], "Level", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.file, Index.Equality()), (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def score(cls, files, method, date=None):
        "Score files with method on date (today); returns the scores."
        date = date or Pool().get('ir.date').today()
        vlist = []
        for file in files:
            inputs = method.inputs(file, date)
            value = method.compute(inputs)
            vlist.append({
                    'file': file.id,
                    'method': method.id,
                    'date': date,
                    'inputs': inputs,
                    'value': value,
                    'level': method.level(value),
                    })
        return cls.create(vlist)

    @classmethod
    def score_latest(cls, files, date=None):
        "Score files with the latest version of the active methods."
        Method = Pool().get('spsti.pdp.score.method')
        methods = {}
        for method in Method.search([('active', '=', True)]):
            methods.setdefault(method.code, method)
        return [s for m in methods.values()
            for s in cls.score(files, m, date=date)]

    def recompute(self):
        "The score from the stored inputs with the stored method."
        return self.method.compute(dict(self.inputs))

