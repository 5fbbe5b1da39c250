"""Consultations of the medical file: the visit, its structured health data
and its outcome (attestation de suivi, avis d'aptitude or d'inaptitude,
proposition d'aménagement de poste, advice), printed for the employee and,
without any health content, for the employer."""
from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.spsti_planning.visit_request import OUTCOMES
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.report import Report
from trytond.rpc import RPC
from trytond.transaction import without_check_access

from .exceptions import ConsultationError
from .medical_file import MedicalRecordMixin

MODES = [
    ('centre', "At the centre"),
    ('on_site', "On site"),
    ('teleconsultation', "Teleconsultation"),
    ]
STATES = [
    ('draft', "Draft"),
    ('issued', "Issued"),
    ]
# Only a doctor issues an opinion on aptitude or a certificate.
DOCTOR_OUTCOMES = {'fit', 'fit_with_adjustment', 'unfit', 'certificate'}
_draft = {'readonly': Eval('state') != 'draft'}


class Consultation(
        MedicalRecordMixin, Workflow, ModelSQL, ModelView):
    """Consultation (visite) recorded in the medical file: who saw the
    employee, when and how, the health data collected and the outcome.

    Entries of a health professional who is not a doctor (nurse, intern…)
    are delegated: they are marked to be validated by a doctor."""
    __name__ = 'spsti.dmst.consultation'
    __string__ = "Consultation"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, ondelete='CASCADE',
        states=_draft)
    employee = fields.Function(
        fields.Many2One('spsti.employee', "Employee"), 'get_employee',
        searcher='search_employee')
    request = fields.Many2One(
        'spsti.visit.request', "Visit Request", ondelete='RESTRICT',
        domain=[If(Bool(Eval('employee')),
                ('employee', '=', Eval('employee', -1)), ())],
        states=_draft,
        help="Closed with the outcome when it is issued.")
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", required=True,
        ondelete='RESTRICT', states=_draft)
    professional = fields.Many2One(
        'spsti.professional', "Professional", ondelete='RESTRICT',
        domain=[('health_professional', '=', True)],
        states={
            'readonly': Eval('state') != 'draft',
            'required': ~Bool(Eval('origin_service')),
            })
    date = fields.Date("Date", required=True, states=_draft)
    mode = fields.Selection(MODES, "Mode", required=True, states=_draft)

    # Données de santé
    anamnesis = fields.Text("Anamnesis", states=_draft)
    height = fields.Float("Height (cm)", digits=(3, 0), states=_draft)
    weight = fields.Float("Weight (kg)", digits=(3, 1), states=_draft)
    bmi = fields.Function(
        fields.Float("BMI", digits=(2, 1)), 'on_change_with_bmi')
    systolic = fields.Integer("Systolic Pressure (mmHg)", states=_draft)
    diastolic = fields.Integer("Diastolic Pressure (mmHg)", states=_draft)
    heart_rate = fields.Integer("Heart Rate (bpm)", states=_draft)
    vision = fields.Char(
        "Vision Test", states=_draft, help="e.g. OD 10/10, OG 9/10.")
    hearing = fields.Char(
        "Hearing Test", states=_draft, help="Audiogram summary.")
    complementary_exams = fields.Text(
        "Complementary Exams", states=_draft,
        help="Spirometry, biology, imaging… and their results.")
    exposures = fields.Text(
        "Occupational Exposures", states=_draft,
        help="Exposures reported or observed at this visit.")
    clinical_notes = fields.Text("Clinical Notes", states=_draft)

    # Outcome
    outcome = fields.Selection(
        OUTCOMES, "Outcome", states={
            'readonly': Eval('state') != 'draft',
            'required': Eval('state') == 'issued',
            })
    orientation = fields.Boolean(
        "Orientation to the Doctor", states=_draft,
        help="The professional refers the employee to the doctor.")
    employer_recommendations = fields.Text(
        "Recommendations to the Employer", states=_draft,
        help="Restrictions and recommendations written on the opinion; the "
        "employer's copy shows them.")
    adjustment_proposal = fields.Text(
        "Adjustment Proposal", states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('outcome') != 'fit_with_adjustment',
            },
        help="Proposition d'aménagement de poste (annexe 4).")
    advice = fields.Many2Many(
        'spsti.dmst.consultation-spsti.advice.type', 'consultation',
        'advice', "Advice", states=_draft)
    employee_advice = fields.Text(
        "Advice to the Employee", states=_draft,
        help="Personal advice, on the employee's copy only.")
    next_visit = fields.Char(
        "Next Visit", states=_draft,
        help="Periodicity told to the employee and the employer, e.g. "
        "\"dans 5 ans au plus tard\".")

    origin_service = fields.Char(
        "Received From", readonly=True,
        help="The service that recorded this consultation, for a file "
        "received from another service.")
    origin_professional = fields.Char(
        "Professional of the Service", readonly=True)
    origin_profession = fields.Char(
        "Profession of the Professional", readonly=True)
    origin_doctor = fields.Boolean(
        "By a Doctor of the Service", readonly=True)

    delegated = fields.Boolean(
        "Delegated", readonly=True,
        help="Entered by a health professional who is not a doctor: to be "
        "validated by a doctor.")
    validated_by = fields.Many2One(
        'spsti.professional', "Validated By", readonly=True,
        ondelete='RESTRICT')
    validated_date = fields.Date("Validation Date", readonly=True)
    issued_date = fields.Date("Issue Date", readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.file, Index.Equality()), (t.date, Index.Range())),
                Index(t, (t.request, Index.Equality())),
                Index(t, (t.date, Index.Range()),
                    where=t.delegated & (t.validated_by == Null)),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'issued')}
        cls._buttons.update({
                'issue': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'validate_entry': {
                    'invisible': (~Eval('delegated', False)
                        | Bool(Eval('validated_by'))),
                    'depends': ['delegated', 'validated_by'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_mode(cls):
        return 'centre'

    @classmethod
    def default_professional(cls):
        professional = Pool().get('spsti.professional').get_current()
        return professional.id if professional else None

    @classmethod
    def default_orientation(cls):
        return False

    def get_employee(self, name):
        return self.file.employee.id

    @classmethod
    def search_employee(cls, name, clause):
        return [('file.employee' + clause[0][len(name):],)
            + tuple(clause[1:])]

    @fields.depends('height', 'weight')
    def on_change_with_bmi(self, name=None):
        if self.height and self.weight:
            return round(self.weight / (self.height / 100) ** 2, 1)

    @fields.depends('request', '_parent_request.visit_type')
    def on_change_request(self):
        if self.request:
            self.visit_type = self.request.visit_type

    def origin_professional_values(self):
        "Who saw the employee at the service the file comes from."
        return [
            ('name', self.origin_professional),
            ('profession', self.origin_profession),
            ('doctor', bool(self.origin_doctor)),
            ]

    def get_rec_name(self, name):
        return (f'{self.visit_type.rec_name} '
            f'{self.date.strftime("%d/%m/%Y")}')

    @classmethod
    def create(cls, vlist):
        "Entries of a professional who is not a doctor are delegated."
        Professional = Pool().get('spsti.professional')
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if values.get('professional') and 'delegated' not in values:
                values['delegated'] = not Professional(
                    values['professional']).doctor
        return super().create(vlist)

    @classmethod
    def copy(cls, consultations, default=None):
        default = default.copy() if default is not None else {}
        for name in ['request', 'validated_by', 'validated_date',
                'issued_date']:
            default.setdefault(name)
        return super().copy(consultations, default=default)

    @classmethod
    @ModelView.button
    def validate_entry(cls, consultations):
        "A doctor validates the entries delegated to another professional."
        pool = Pool()
        Professional = pool.get('spsti.professional')
        Date = pool.get('ir.date')
        professional = Professional.get_current()
        if not professional or not professional.doctor:
            raise ConsultationError(gettext(
                    'spsti_dmst.msg_validation_doctor_only'))
        cls.write([c for c in consultations if c.delegated], {
                'validated_by': professional.id,
                'validated_date': Date.today(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('issued')
    def issue(cls, consultations):
        """The outcome is given: the visit request is done on the date of
        the consultation with this outcome, which computes what is due
        next."""
        pool = Pool()
        Date = pool.get('ir.date')
        VisitRequest = pool.get('spsti.visit.request')
        for consultation in consultations:
            consultation.check_outcome()
        cls.write(consultations, {'issued_date': Date.today()})
        by_key = {}
        for consultation in consultations:
            request = consultation.request
            if request and request.state in {'to_plan', 'planned'}:
                by_key.setdefault(
                    (consultation.date, consultation.outcome), []
                    ).append(request)
        # The planning side is not the professional's to edit.
        with without_check_access():
            for (date, outcome), requests in by_key.items():
                VisitRequest.done(
                    VisitRequest.browse(requests), date=date, outcome=outcome)

    def check_outcome(self):
        if not self.outcome:
            raise ConsultationError(gettext(
                    'spsti_dmst.msg_outcome_required',
                    consultation=self.rec_name))
        if self.outcome in DOCTOR_OUTCOMES and not self.professional.doctor:
            raise ConsultationError(gettext(
                    'spsti_dmst.msg_outcome_doctor_only',
                    consultation=self.rec_name,
                    professional=self.professional.rec_name))
        if (self.outcome == 'fit_with_adjustment'
                and not self.adjustment_proposal):
            raise ConsultationError(gettext(
                    'spsti_dmst.msg_adjustment_required',
                    consultation=self.rec_name))


class ConsultationAdvice(ModelSQL):
    __name__ = 'spsti.dmst.consultation-spsti.advice.type'
    __string__ = "Consultation - Advice"
    consultation = fields.Many2One(
        'spsti.dmst.consultation', "Consultation", required=True,
        ondelete='CASCADE')
    advice = fields.Many2One(
        'spsti.advice.type', "Advice", required=True, ondelete='RESTRICT')


class OutcomeReport(Report):
    """The outcome document of issued consultations. Its records are health
    data: printing checks the scope of the user and is logged."""

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['execute'] = RPC(readonly=False)

    @classmethod
    def execute(cls, ids, data):
        Consultation = Pool().get('spsti.dmst.consultation')
        result = super().execute(ids, data)
        Consultation.audit(ids, 'print')
        return result

    @classmethod
    def get_context(cls, records, header, data):
        for consultation in records:
            if consultation.state != 'issued':
                raise ConsultationError(gettext(
                        'spsti_dmst.msg_outcome_not_issued',
                        consultation=consultation.rec_name))
        context = super().get_context(records, header, data)
        context['day'] = lambda value: value.strftime('%d/%m/%Y')
        context['outcome_label'] = lambda c: dict(
            c.fields_get(['outcome'])['outcome']['selection'])[c.outcome]
        context['assignment'] = cls.assignment
        return context

    @staticmethod
    def assignment(consultation):
        "The assignment the consultation was about, else the latest one."
        if consultation.request:
            return consultation.request.assignment
        assignments = sorted(consultation.file.employee.assignments,
            key=lambda a: a.start_date)
        return assignments[-1] if assignments else None


class EmployeeOutcome(OutcomeReport):
    "Exemplaire salarié: the opinion with the advice to the employee."
    __name__ = 'spsti.dmst.consultation.outcome.employee'


class EmployerOutcome(OutcomeReport):
    """Exemplaire employeur: the opinion and the recommendations meant for
    the employer, never any health data (no anamnesis, measurements,
    exams, pathologies nor personal advice)."""
    __name__ = 'spsti.dmst.consultation.outcome.employer'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['employer_advice'] = lambda c: [a for a in c.advice
            if a.audience in {'employer', 'both'}]
        return context
