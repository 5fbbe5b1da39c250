"Déclaration annuelle d'effectif (annual workforce declaration)."
import datetime as dt
from collections import Counter

from sql import Null
from sql.aggregate import Count

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import DeclarationError, DeclarationWarning

STATES = [
    ('open', "Open"),
    ('validated', "Validated"),
    ('superseded', "Superseded"),
    ]
_readonly = {'readonly': Eval('state') != 'open'}


class Declaration(Workflow, ModelSQL, ModelView):
    """Déclaration annuelle d'effectif: the workforce a member declares for
    a year, per follow-up category. The service opens it, it is filled from
    the assignments in force on the reference date, corrected by the
    employer or the staff, then validated and locked; an amendment creates
    a new version."""
    __name__ = 'spsti.declaration'
    __string__ = "Workforce Declaration"
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='RESTRICT',
        states=_readonly)
    year = fields.Integer("Year", required=True, states=_readonly)
    version = fields.Integer("Version", required=True, readonly=True)
    reference_date = fields.Date(
        "Reference Date", required=True, states=_readonly,
        help="The workforce in force on this date is declared.")
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    lines = fields.One2Many(
        'spsti.declaration.line', 'declaration', "Lines", states=_readonly)
    validation_date = fields.Date("Validation Date", readonly=True)
    validated_by = fields.Many2One('res.user', "Validated By", readonly=True)
    count_sig = fields.Integer("SIG", readonly=True)
    count_sia = fields.Integer("SIA", readonly=True)
    count_sir = fields.Integer("SIR", readonly=True)
    count_total = fields.Integer("Total", readonly=True)
    issues = fields.Function(fields.Text("Inconsistencies"), 'get_issues')
    overdue = fields.Function(fields.Boolean(
            "Overdue", help="Still open after the declaration delay."),
        'get_overdue', searcher='search_overdue')
    previous = fields.Many2One(
        'spsti.declaration', "Previous Version", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('member_year_version_unique',
                Unique(t, t.member, t.year, t.version),
                'spsti_adherent.msg_declaration_unique'),
            ]
        cls._order = [('year', 'DESC'), ('version', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('member')
        cls._transitions |= {
            ('open', 'validated'),
            ('validated', 'superseded'),
            }
        cls._buttons.update({
                'fill': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'validate_declaration': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'amend': {
                    'invisible': Eval('state') != 'validated',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_version(cls):
        return 1

    @classmethod
    def default_year(cls):
        return dt.date.today().year

    @classmethod
    def default_reference_date(cls):
        return dt.date(dt.date.today().year, 1, 1)

    def get_rec_name(self, name):
        return f'{self.member.rec_name} {self.year} v{self.version}'

    @classmethod
    def check_modification(cls, mode, declarations, values=None,
            external=False):
        super().check_modification(
            mode, declarations, values=values, external=external)
        if mode == 'delete':
            for declaration in declarations:
                if declaration.state != 'open':
                    raise DeclarationError(gettext(
                            'spsti_adherent.msg_declaration_locked',
                            declaration=declaration.rec_name))

    @classmethod
    def open_year(cls, year, members=None, reference_date=None):
        """Open and fill the declaration of year for the members (all those
        in membership by default) that have none yet; returns them."""
        pool = Pool()
        Member = pool.get('spsti.member')
        if members is None:
            members = Member.search([('state', '=', 'member')])
        reference_date = reference_date or dt.date(year, 1, 1)
        existing = set()
        for sub in grouped_slice([m.id for m in members], MAX_QUERY_PARAMS):
            existing.update(d.member.id for d in cls.search([
                        ('member', 'in', list(sub)),
                        ('year', '=', year),
                        ]))
        declarations = cls.create([{
                    'member': m.id,
                    'year': year,
                    'reference_date': reference_date,
                    } for m in members if m.id not in existing])
        cls.fill(declarations)
        return declarations

    @classmethod
    @ModelView.button
    def fill(cls, declarations):
        """Replace the lines by the assignments in force on the reference
        date, in one query per group of members."""
        pool = Pool()
        Line = pool.get('spsti.declaration.line')
        Assignment = pool.get('spsti.assignment')
        for declaration in declarations:
            if declaration.state != 'open':
                raise DeclarationError(gettext(
                        'spsti_adherent.msg_declaration_locked',
                        declaration=declaration.rec_name))
        Line.delete(Line.search([('declaration', 'in',
                        [d.id for d in declarations])]))
        by_key = {(d.member.id, d.reference_date): d for d in declarations}
        values = []
        for (member, date), declaration in by_key.items():
            for assignment in Assignment.search([
                        ('member', '=', member),
                        ] + Assignment.active_domain(date)):
                values.append(Line.values_from_assignment(
                        declaration, assignment))
        Line.create(values)

    @staticmethod
    def _overdue_limit():
        "Open declarations whose reference date is before it are overdue."
        Configuration = Pool().get('spsti.adherent.configuration')
        return dt.date.today() - dt.timedelta(
            days=Configuration(1).declaration_delay)

    def get_overdue(self, name):
        return (self.state == 'open'
            and self.reference_date < self._overdue_limit())

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        domain = [
            ('state', '=', 'open'),
            ('reference_date', '<', cls._overdue_limit()),
            ]
        if (operator == '=') != bool(value):
            domain = ['NOT', domain]
        return domain

    def get_issues(self, name):
        return '\n'.join(message for _, message in self.check_consistency())

    def check_consistency(self):
        """The inconsistencies of the declaration, as (line, message): job
        missing, exposures without a job, implausible age, duplicates by
        NIR or by name and birth date."""
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        Employee = pool.get('spsti.employee')
        max_age = Configuration(1).max_employee_age
        issues = []
        lines = [l for l in self.lines if l.included]
        for line in lines:
            employee = line.employee
            if not line.job:
                issues.append((line, gettext(
                            'spsti_adherent.msg_declaration_missing_job',
                            employee=employee.rec_name)))
                if line.assignment and line.assignment.exposures:
                    issues.append((line, gettext(
                                'spsti_adherent'
                                '.msg_declaration_exposure_without_job',
                                employee=employee.rec_name)))
            if employee.get_age(None, on=self.reference_date) > max_age:
                issues.append((line, gettext(
                            'spsti_adherent.msg_declaration_too_old',
                            employee=employee.rec_name, age=max_age)))
        employees = {l.employee: l for l in lines}
        for first, second in Employee.find_duplicates(list(employees)):
            issues.append((employees[second], gettext(
                        'spsti_adherent.msg_declaration_duplicate',
                        employee=second.rec_name, other=first.rec_name)))
        return issues

    @classmethod
    @ModelView.button
    @Workflow.transition('validated')
    def validate_declaration(cls, declarations):
        pool = Pool()
        Warning = pool.get('res.user.warning')
        for declaration in declarations:
            issues = declaration.check_consistency()
            if issues:
                key = Warning.format('declaration_issues', [declaration])
                if Warning.check(key):
                    raise DeclarationWarning(key, gettext(
                            'spsti_adherent.msg_declaration_has_issues',
                            declaration=declaration.rec_name,
                            count=len(issues),
                            issues='\n'.join(m for _, m in issues[:20])))
        cls.store_counts(declarations)
        cls.write(declarations, {
                'validation_date': dt.date.today(),
                'validated_by': Transaction().user,
                })

    @classmethod
    def store_counts(cls, declarations):
        "Counts of distinct employees per category, aggregated in SQL."
        pool = Pool()
        Line = pool.get('spsti.declaration.line')
        Category = pool.get('spsti.follow_up.category')
        line, category = Line.__table__(), Category.__table__()
        cursor = Transaction().connection.cursor()
        counts = {d.id: Counter() for d in declarations}
        for sub in grouped_slice(list(counts), MAX_QUERY_PARAMS):
            sub = list(sub)
            cursor.execute(*line.join(category,
                    condition=line.category == category.id
                    ).select(line.declaration, category.code,
                    Count(line.employee, distinct=True),
                    where=line.declaration.in_(sub)
                    & (line.included == True)  # noqa: E712
                    & (line.category != Null),
                    group_by=[line.declaration, category.code]))
            for declaration, code, count in cursor:
                counts[declaration][code] = count
            cursor.execute(*line.select(line.declaration,
                    Count(line.employee, distinct=True),
                    where=line.declaration.in_(sub)
                    & (line.included == True),  # noqa: E712
                    group_by=[line.declaration]))
            for declaration, count in cursor:
                counts[declaration]['total'] = count
        args = [x for d in declarations for x in ([d], {
                    'count_sig': counts[d.id]['SIG'],
                    'count_sia': counts[d.id]['SIA'],
                    'count_sir': counts[d.id]['SIR'],
                    'count_total': counts[d.id]['total'],
                    })]
        if args:
            cls.write(*args)

    @classmethod
    @ModelView.button
    def amend(cls, declarations):
        "Start a new version from validated declarations; returns them."
        for declaration in declarations:
            if declaration.state != 'validated':
                raise DeclarationError(gettext(
                        'spsti_adherent.msg_declaration_amend_validated',
                        declaration=declaration.rec_name))
        new = cls.copy(declarations, default={
                'version': lambda d: d['version'] + 1,
                'previous': lambda d: d['id'],
                })
        cls.supersede(declarations)
        return new

    @classmethod
    @Workflow.transition('superseded')
    def supersede(cls, declarations):
        pass

    @classmethod
    def copy(cls, declarations, default=None):
        default = default.copy() if default else {}
        for name in ['validation_date', 'validated_by', 'count_sig',
                'count_sia', 'count_sir', 'count_total']:
            default.setdefault(name, None)
        default.setdefault('state', 'open')
        return super().copy(declarations, default=default)


class DeclarationLine(ModelSQL, ModelView):
    "Ligne de déclaration: one declared job assignment."
    __name__ = 'spsti.declaration.line'
    __string__ = "Workforce Declaration Line"
    declaration = fields.Many2One(
        'spsti.declaration', "Declaration", required=True,
        ondelete='CASCADE')
    employee = fields.Many2One(
        'spsti.employee', "Employee", required=True, ondelete='RESTRICT')
    assignment = fields.Many2One(
        'spsti.assignment', "Assignment", ondelete='SET NULL',
        domain=[('employee', '=', Eval('employee', -1))])
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", ondelete='RESTRICT')
    job = fields.Many2One(
        'spsti.job', "Job (PCS-ESE)", ondelete='RESTRICT',
        domain=[('level', '=', 'profession')])
    category = fields.Many2One(
        'spsti.follow_up.category', "Category", ondelete='RESTRICT')
    included = fields.Boolean(
        "Included", help="Unchecked: the employer says this person does "
        "not belong to the workforce of the year.")
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('declaration')

    @classmethod
    def default_included(cls):
        return True

    @staticmethod
    def values_from_assignment(declaration, assignment):
        category = assignment.effective_category
        return {
            'declaration': declaration.id,
            'employee': assignment.employee.id,
            'assignment': assignment.id,
            'establishment': assignment.establishment.id,
            'job': assignment.job.id if assignment.job else None,
            'category': category.id if category else None,
            }

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        for line in lines:
            if line.declaration.state != 'open':
                raise DeclarationError(gettext(
                        'spsti_adherent.msg_declaration_locked',
                        declaration=line.declaration.rec_name))


class OpenYearStart(ModelView):
    __name__ = 'spsti.declaration.open_year.start'
    __string__ = "Open the workforce declarations"
    year = fields.Integer("Year", required=True)
    reference_date = fields.Date("Reference Date", required=True,
        help="The workforce in force on this date is declared.")

    @classmethod
    def default_year(cls):
        return dt.date.today().year

    @fields.depends('year')
    def on_change_with_reference_date(self):
        if self.year:
            return dt.date(self.year, 1, 1)


class OpenYear(Wizard):
    """Ouvrir les déclarations d'une année: one declaration per member in
    membership that has none for the year, filled from its assignments."""
    __name__ = 'spsti.declaration.open_year'
    start = StateView('spsti.declaration.open_year.start',
        'spsti_adherent.declaration_open_year_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Open", 'open_', 'tryton-ok', default=True),
            ])
    open_ = StateAction('spsti_adherent.act_declaration')

    def do_open_(self, action):
        Declaration = Pool().get('spsti.declaration')
        Declaration.open_year(
            self.start.year, reference_date=self.start.reference_date)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('year', '=', self.start.year)])
        return action, {}
