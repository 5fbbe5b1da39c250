"""Affectations (job assignments), their exposures and the follow-up
category they imply."""
import datetime as dt
from collections import defaultdict

from trytond.i18n import gettext
from sql import Null

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import AssignmentValidationError

CONTRACT_TYPES = [
    ('cdi', "Permanent (CDI)"),
    ('cdd', "Fixed-term (CDD)"),
    ('interim', "Temporary agency work (intérim)"),
    ('apprentice', "Apprenticeship"),
    ('professionalisation', "Professionalisation contract"),
    ('intern', "Internship (stagiaire)"),
    ('seasonal', "Seasonal"),
    ('other', "Other"),
    ]
SOURCES = [
    ('manual', "Entered by the service"),
    ('dpae', "DPAE file"),
    ('dsn', "DSN file"),
    ('portal', "Employer portal"),
    ('portability', "Transfer from another service"),
    ]
# Fields whose change may change the follow-up category.
CATEGORY_FIELDS = {
    'start_date', 'end_date', 'contract_type', 'night_work',
    'disabled_worker', 'invalidity_pension', 'pregnancy', 'employee',
    }


# The flags of an assignment that are personal situations of the rules.
CONDITION_FIELDS = [
    'night_work', 'disabled_worker', 'invalidity_pension', 'pregnancy']


def evaluation_date(start_date, end_date, today):
    """The date whose rules apply to an assignment: today when in force,
    its start when future, its end when ended."""
    if today < start_date:
        return start_date
    if end_date and today > end_date:
        return end_date
    return today


def personal_conditions(flags, contract_type, under_18):
    """The personal situations, as keys of the follow-up rules, from the
    CONDITION_FIELDS flags, the contract type and the age at the start."""
    conditions = {name for name, value in flags.items() if value}
    if contract_type == 'apprentice':
        conditions.add('apprentice')
    if under_18:
        conditions.add('under_18')
    return conditions


class Assignment(ModelSQL, ModelView):
    """Affectation: an employee holding a job at an establishment of a
    member, between two dates, with the exposures of the post. The
    follow-up category (SIG, SIA, SIR) is computed from the rules in force
    and may be overridden by a doctor, with a reason."""
    __name__ = 'spsti.assignment'
    __string__ = "Job Assignment"
    employee = fields.Many2One(
        'spsti.employee', "Employee", required=True, ondelete='RESTRICT')
    member = fields.Many2One(
        'spsti.member', "Employer", required=True, ondelete='RESTRICT')
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", required=True,
        ondelete='RESTRICT',
        domain=[('member', '=', Eval('member', -1))])
    job = fields.Many2One(
        'spsti.job', "Job (PCS-ESE)", ondelete='RESTRICT',
        domain=[('level', '=', 'profession')])
    job_title = fields.Char("Job Title", help="As the employer words it.")
    contract_type = fields.Selection(
        CONTRACT_TYPES, "Contract Type", required=True)
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date(
        "End Date",
        domain=[If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    night_work = fields.Boolean("Night Work")
    under_18 = fields.Function(fields.Boolean(
            "Under 18 at Start",
            help="From the birth date and the start date."),
        'get_under_18')
    disabled_worker = fields.Boolean("Disabled Worker (RQTH)")
    invalidity_pension = fields.Boolean("Invalidity Pension")
    pregnancy = fields.Boolean(
        "Pregnancy Declared",
        help="Declared pregnant, recently delivered or breastfeeding.")
    exposures = fields.One2Many(
        'spsti.assignment.exposure', 'assignment', "Exposures")
    category = fields.Many2One(
        'spsti.follow_up.category', "Computed Category", readonly=True,
        ondelete='RESTRICT',
        help="Computed from the exposures and situations with the rules in "
        "force on the category date.")
    category_date = fields.Date(
        "Category Date", readonly=True,
        help="The date whose rules gave the computed category.")
    specific_visits = fields.Many2Many(
        'spsti.assignment-spsti.visit.type', 'assignment', 'visit_type',
        "Specific Visits", readonly=True,
        help="Visits required by an exposure beside those of the category "
        "(e.g. certificate of no contraindication).")
    category_override = fields.Many2One(
        'spsti.follow_up.category', "Category Set by the Doctor",
        readonly=True, ondelete='RESTRICT')
    override_reason = fields.Text(
        "Override Reason", readonly=True,
        states={'invisible': ~Eval('category_override')})
    override_user = fields.Many2One(
        'res.user', "Overridden By", readonly=True,
        states={'invisible': ~Eval('category_override')})
    override_date = fields.Date(
        "Override Date", readonly=True,
        states={'invisible': ~Eval('category_override')})
    team = fields.Function(fields.Many2One(
            'spsti.team', "Team",
            help="The team of the establishment, else of the member."),
        'get_team', searcher='search_team')
    effective_category = fields.Function(fields.Many2One(
            'spsti.follow_up.category', "Follow-up Category"),
        'get_effective_category', searcher='search_effective_category')
    category_explanation = fields.Function(
        fields.Text("Why this Category"), 'get_category_explanation')
    source = fields.Selection(SOURCES, "Source", readonly=True)
    external_key = fields.Char(
        "External Key", readonly=True,
        help="Identifier of the contract in the file it came from "
        "(makes a re-import update it instead of duplicating it).")
    in_force = fields.Function(fields.Boolean("In Force"),
        'get_in_force', searcher='search_in_force')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('member')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.member, Index.Equality()),
                    (t.start_date, Index.Range())),
                Index(t, (t.employee, Index.Equality()),
                    (t.start_date, Index.Range())),
                Index(t, (t.external_key, Index.Equality()),
                    where=t.external_key != Null),
                })
        cls._buttons.update({
                'copy_profile': {
                    'icon': 'tryton-copy',
                    },
                'override_category': {
                    'icon': 'tryton-edit',
                    },
                'recompute_category': {
                    'icon': 'tryton-refresh',
                    },
                })

    @classmethod
    def default_contract_type(cls):
        return 'cdi'

    @classmethod
    def default_source(cls):
        return 'manual'

    def get_rec_name(self, name):
        job = self.job_title or (self.job.name if self.job else '')
        return f'{self.employee.rec_name} @ {self.member.rec_name} {job}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('employee.rec_name', operator, operand, *extra),
            ('member.rec_name', operator, operand, *extra),
            ('job_title', operator, operand, *extra),
            ]

    @staticmethod
    def active_domain(date, prefix=''):
        "Domain of the assignments in force on date."
        return [
            (prefix + 'start_date', '<=', date),
            ['OR',
                (prefix + 'end_date', '=', None),
                (prefix + 'end_date', '>=', date)],
            ]

    def get_in_force(self, name):
        today = dt.date.today()
        return (self.start_date <= today
            and (not self.end_date or self.end_date >= today))

    @classmethod
    def search_in_force(cls, name, clause):
        _, operator, value = clause
        domain = cls.active_domain(dt.date.today())
        if (operator == '=') == bool(value):
            return domain
        return ['OR',
            ('start_date', '>', dt.date.today()),
            ('end_date', '<', dt.date.today())]

    def get_team(self, name):
        team = self.establishment.effective_team
        return team.id if team else None

    @classmethod
    def search_team(cls, name, clause):
        nested = clause[0][len(name):]
        return ['OR',
            ('establishment.team' + nested,) + tuple(clause[1:]),
            [('establishment.team', '=', None),
                ('member.team' + nested,) + tuple(clause[1:])],
            ]

    def get_under_18(self, name):
        return self.employee.get_age(None, on=self.start_date) < 18

    def get_effective_category(self, name):
        category = self.category_override or self.category
        return category.id if category else None

    @classmethod
    def search_effective_category(cls, name, clause):
        nested = clause[0][len(name):]
        return ['OR',
            ('category_override' + nested,) + tuple(clause[1:]),
            [('category_override', '=', None),
                ('category' + nested,) + tuple(clause[1:])],
            ]

    @classmethod
    def validate_fields(cls, assignments, field_names):
        super().validate_fields(assignments, field_names)
        if field_names & {'establishment', 'member'}:
            for assignment in assignments:
                if assignment.establishment.member != assignment.member:
                    raise AssignmentValidationError(gettext(
                            'spsti_adherent.msg_assignment_establishment',
                            assignment=assignment.rec_name,
                            establishment=assignment.establishment.rec_name))

    # Follow-up category

    def evaluation_date(self, today=None):
        return evaluation_date(
            self.start_date, self.end_date, today or dt.date.today())

    def conditions(self):
        "The personal situations, as keys of the follow-up rules."
        return personal_conditions(
            {n: getattr(self, n) for n in CONDITION_FIELDS},
            self.contract_type, self.under_18)

    def risks_at(self, date):
        return [e.risk for e in self.exposures if e.is_valid_at(date)]

    @classmethod
    def compute_categories(cls, assignments, today=None):
        """Store the computed category of assignments; rules are read once
        per evaluation date and the writes are grouped by result."""
        pool = Pool()
        Rule = pool.get('spsti.follow_up.rule')
        Category = pool.get('spsti.follow_up.category')
        ModelData = pool.get('ir.model.data')
        default = Category(ModelData.get_id('spsti_base', 'category_sig'))
        rules_by_date = {}
        groups = defaultdict(list)
        for assignment in assignments:
            date = assignment.evaluation_date(today)
            if date not in rules_by_date:
                rules_by_date[date] = Rule.rules_at(date)
            category, visits = Rule.evaluate(rules_by_date[date],
                risks=assignment.risks_at(date),
                conditions=assignment.conditions())
            category = category or default
            visits = tuple(sorted(v.id for v in visits))
            if (assignment.category != category
                    or assignment.category_date != date
                    or tuple(sorted(
                            v.id for v in assignment.specific_visits))
                    != visits):
                groups[(category.id, date, visits)].append(assignment)
        args = []
        for (category, date, visits), records in groups.items():
            args.extend((records, {
                        'category': category,
                        'category_date': date,
                        'specific_visits': cls._visits_actions(
                            records, visits),
                        }))
        if args:
            cls.write(*args)

    @classmethod
    def _visits_actions(cls, records, visits):
        current = set().union(*({v.id for v in r.specific_visits}
                for r in records))
        actions = []
        if current - set(visits):
            actions.append(('remove', sorted(current - set(visits))))
        if visits:
            actions.append(('add', list(visits)))
        return actions

    @classmethod
    def recompute_all_categories(cls, today=None, chunk=5000):
        """Recompute the category of every assignment in force or future,
        chunk by chunk (nightly task, and after a change of the rules)."""
        today = today or dt.date.today()
        ids = [a.id for a in cls.search(['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', today)], order=[('id', 'ASC')])]
        for sub_ids in grouped_slice(ids, chunk):
            cls.compute_categories(cls.browse(list(sub_ids)), today)
        return len(ids)

    @classmethod
    def create(cls, vlist):
        # The exposures created with the assignments leave the computation
        # to the assignments' own on_modification: once per batch.
        with Transaction().set_context(_spsti_assignment_create=True):
            return super().create(vlist)

    @classmethod
    def on_modification(cls, mode, assignments, field_names=None):
        super().on_modification(mode, assignments, field_names=field_names)
        if mode == 'create' or (
                mode == 'write' and field_names & CATEGORY_FIELDS):
            cls.compute_categories(assignments)

    def get_category_explanation(self, name):
        pool = Pool()
        Rule = pool.get('spsti.follow_up.rule')
        date = self.category_date or self.evaluation_date()
        rules = Rule.rules_at(date)
        risks = self.risks_at(date)
        risk_ids = set()
        for risk in risks:
            while risk:
                risk_ids.add(risk.id)
                risk = risk.parent
        conditions = self.conditions()
        lines = [gettext('spsti_adherent.msg_category_rules_date',
                date=date.strftime('%d/%m/%Y'))]
        for rule in rules:
            if ((rule.risk and rule.risk.id in risk_ids)
                    or (rule.condition and rule.condition in conditions)):
                lines.append(f'- {rule.category.code} ({rule.code}): '
                    f'{(rule.risk or rule).rec_name} '
                    f'[{rule.legal_reference or ""}]')
        if len(lines) == 1:
            lines.append(gettext('spsti_adherent.msg_category_no_rule'))
        if self.category_override:
            lines.append(gettext('spsti_adherent.msg_category_overridden',
                    category=self.category_override.rec_name,
                    user=self.override_user.rec_name
                    if self.override_user else '',
                    reason=self.override_reason or ''))
        return '\n'.join(lines)

    @classmethod
    @ModelView.button_action('spsti_adherent.wizard_copy_profile')
    def copy_profile(cls, assignments):
        pass

    @classmethod
    @ModelView.button_action('spsti_adherent.wizard_override_category')
    def override_category(cls, assignments):
        pass

    @classmethod
    @ModelView.button
    def recompute_category(cls, assignments):
        cls.compute_categories(assignments)

    @classmethod
    def set_override(cls, assignments, category, reason):
        "A doctor sets the category (None gives back the computed one)."
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        transaction = Transaction()
        doctor = ModelData.get_id('spsti_base', 'group_spsti_doctor')
        if transaction.user and doctor not in User.get_groups():
            raise AssignmentValidationError(gettext(
                    'spsti_adherent.msg_override_doctor_only'))
        cls.write(assignments, {
                'category_override': category.id if category else None,
                'override_reason': reason if category else None,
                'override_user': Transaction().user if category else None,
                'override_date': dt.date.today() if category else None,
                })

    @classmethod
    def copy_exposures(cls, assignments, risks, replace=False):
        "Give assignments the exposures of a profile (declared by employer)."
        Exposure = Pool().get('spsti.assignment.exposure')
        if replace:
            Exposure.delete([e for a in assignments for e in a.exposures])
        to_create = []
        for assignment in assignments:
            existing = {e.risk for e in assignment.exposures} if not replace \
                else set()
            for risk in risks:
                if risk not in existing:
                    to_create.append({
                            'assignment': assignment.id,
                            'risk': risk.id,
                            'source': 'employer',
                            'start_date': assignment.start_date,
                            })
        Exposure.create(to_create)


class AssignmentVisitType(ModelSQL):
    __name__ = 'spsti.assignment-spsti.visit.type'
    __string__ = "Assignment - Visit Type"
    assignment = fields.Many2One(
        'spsti.assignment', "Assignment", required=True, ondelete='CASCADE')
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The échéancier reads them by chunk of assignments.
        cls._sql_indexes.add(Index(t, (t.assignment, Index.Equality())))


class Exposure(ModelSQL, ModelView):
    """Exposition: a risk of the thésaurus the post exposes to, declared by
    the employer or observed by the team, over a period."""
    __name__ = 'spsti.assignment.exposure'
    __string__ = "Exposure"
    assignment = fields.Many2One(
        'spsti.assignment', "Assignment", required=True, ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='RESTRICT')
    source = fields.Selection([
            ('employer', "Declared by the employer"),
            ('team', "Observed by the team"),
            ], "Source", required=True)
    start_date = fields.Date("Start Date")
    end_date = fields.Date(
        "End Date",
        domain=[If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('assignment')

    @classmethod
    def default_source(cls):
        return 'employer'

    def is_valid_at(self, date):
        return ((not self.start_date or self.start_date <= date)
            and (not self.end_date or date <= self.end_date))

    @classmethod
    def _assignments_of(cls, exposures):
        Assignment = Pool().get('spsti.assignment')
        return Assignment.browse(list({e.assignment.id for e in exposures}))

    @classmethod
    def on_modification(cls, mode, exposures, field_names=None):
        super().on_modification(mode, exposures, field_names=field_names)
        if (mode in {'create', 'write'} and not Transaction().context.get(
                    '_spsti_assignment_create')):
            Assignment = Pool().get('spsti.assignment')
            Assignment.compute_categories(cls._assignments_of(exposures))

    @classmethod
    def on_delete(cls, exposures):
        callbacks = super().on_delete(exposures)
        Assignment = Pool().get('spsti.assignment')
        ids = list({e.assignment.id for e in exposures})
        callbacks.append(lambda: Assignment.compute_categories(
                Assignment.browse(Assignment.search(
                        [('id', 'in', ids)]))))
        return callbacks


class CopyProfileStart(ModelView):
    __name__ = 'spsti.assignment.copy_profile.start'
    __string__ = "Copy an Exposure Profile"
    source = fields.Selection([
            ('position', "Job position of the establishment"),
            ('assignment', "Assignment of another employee"),
            ], "Copy From", required=True)
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", readonly=True)
    position = fields.Many2One(
        'spsti.position', "Job Position",
        domain=[('establishment', '=', Eval('establishment', -1))],
        states={
            'required': Eval('source') == 'position',
            'invisible': Eval('source') != 'position',
            })
    assignment = fields.Many2One(
        'spsti.assignment', "Assignment",
        states={
            'required': Eval('source') == 'assignment',
            'invisible': Eval('source') != 'assignment',
            })
    replace = fields.Boolean(
        "Replace", help="Remove the current exposures first.")

    @classmethod
    def default_source(cls):
        return 'position'


class CopyProfile(Wizard):
    "Copier un profil d'exposition"
    __name__ = 'spsti.assignment.copy_profile'
    start = StateView('spsti.assignment.copy_profile.start',
        'spsti_adherent.assignment_copy_profile_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Copy", 'copy', 'tryton-ok', default=True),
            ])
    copy = StateTransition()

    def default_start(self, fields):
        establishments = {a.establishment.id for a in self.records}
        return {
            'establishment': establishments.pop()
            if len(establishments) == 1 else None,
            }

    def transition_copy(self):
        Assignment = Pool().get('spsti.assignment')
        if self.start.source == 'position':
            risks = [e.risk for e in self.start.position.exposures]
            if self.start.position.night_work:
                Assignment.write(list(self.records), {'night_work': True})
            job = self.start.position.job
        else:
            source = self.start.assignment
            risks = [e.risk for e in source.exposures
                if e.is_valid_at(source.evaluation_date())]
            job = source.job
        if job:
            Assignment.write([a for a in self.records if not a.job],
                {'job': job.id})
        Assignment.copy_exposures(
            list(self.records), risks, replace=self.start.replace)
        return 'end'


class OverrideCategoryStart(ModelView):
    __name__ = 'spsti.assignment.override_category.start'
    __string__ = "Set the Follow-up Category"
    category = fields.Many2One(
        'spsti.follow_up.category', "Category",
        help="Empty: go back to the computed category.")
    reason = fields.Text(
        "Reason", states={'required': Bool(Eval('category'))})


class OverrideCategory(Wizard):
    "Catégorie fixée par le médecin"
    __name__ = 'spsti.assignment.override_category'
    start = StateView('spsti.assignment.override_category.start',
        'spsti_adherent.assignment_override_category_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Apply", 'apply', 'tryton-ok', default=True),
            ])
    apply = StateTransition()

    def transition_apply(self):
        Assignment = Pool().get('spsti.assignment')
        Assignment.set_override(
            list(self.records), self.start.category, self.start.reason)
        return 'end'
