"""Fiche d'entreprise: the risk sheet of each establishment, versioned,
written by the team within a year of membership and renewed at least every
four years (parameters)."""
import datetime as dt

from dateutil.relativedelta import relativedelta
from sql.aggregate import Max

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

STATES = [
    ('draft', "Draft"),
    ('validated', "Validated"),
    ]
# The six yes/no questions of the prevention-culture score (seeds/004
# §3.2.1.3), scored from 0 to 5.
CULTURE_QUESTIONS = [
    'duerp', 'duerp_with_employees', 'action_plan', 'action_plan_reviewed',
    'staff_representatives', 'onboarding',
    ]
_draft = {'readonly': Eval('state') != 'draft'}


class CompanySheet(Workflow, ModelSQL, ModelView):
    """Fiche d'entreprise of an establishment, in the plan of the service
    offer (seeds/004 annexe 1): identification and advice, working
    environment, staff and prevention, risks and exposures. Each update is
    a new version; a validated version no longer changes."""
    __name__ = 'spsti.company_sheet'
    __string__ = "Company Risk Sheet"
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", required=True,
        ondelete='RESTRICT', states=_draft)
    member = fields.Function(
        fields.Many2One('spsti.member', "Member"), 'get_member',
        searcher='search_member')
    version = fields.Integer("Version", readonly=True)
    date = fields.Date("Date", required=True, states=_draft)
    author = fields.Many2One(
        'spsti.professional', "Author", required=True, ondelete='RESTRICT',
        states=_draft)
    team = fields.Many2Many(
        'spsti.company_sheet-spsti.professional', 'sheet', 'professional',
        "Team Members", states=_draft)
    contact = fields.Char(
        "Company Contact", states=_draft,
        help="The person of the company met for the sheet.")

    # Page 1: identification and advice
    synthesis = fields.Text(
        "Synthesis and Recommendations", states=_draft)
    activity_plan = fields.Text("Activity Plan", states=_draft)
    annexes = fields.Text("Annexes", states=_draft)
    sir_declared = fields.Integer(
        "SIR Declared", readonly=True,
        help="Assignments in reinforced follow-up declared by the employer "
        "on the date of the sheet.")
    sir_observed = fields.Integer(
        "SIR Observed", states=_draft,
        help="Posts the team found exposed to a risk of reinforced "
        "follow-up.")

    # Page 2: working environment
    premises = fields.Text("Premises", states=_draft)
    hygiene = fields.Text("General Hygiene", states=_draft)
    impression = fields.Text("General Impression", states=_draft)
    process = fields.Text("Process", states=_draft,
        help="Intensity and frequency.")
    workstations = fields.Text("Workstations", states=_draft)
    visited_workstations = fields.Text("Workstations Visited", states=_draft)
    metrology = fields.Text("Metrology", states=_draft)
    workshops = fields.Integer("Workshops", states=_draft)

    # Page 3: staff and prevention
    working_hours = fields.Char("Working Hours", states=_draft)
    collective_agreement = fields.Char("Collective Agreement", states=_draft)
    prevention_plan = fields.Boolean("Prevention Plan", states=_draft)
    cse = fields.Boolean("CSE", states=_draft)
    first_aiders = fields.Integer("First Aiders", states=_draft)
    turnover = fields.Char("Turnover", states=_draft)
    absenteeism = fields.Char("Absenteeism", states=_draft)
    work_accidents = fields.Integer(
        "Work Accidents and Occupational Diseases", states=_draft)
    headcount = fields.Integer(
        "Headcount", readonly=True,
        help="Assignments in force on the date of the sheet.")
    temporary_workers = fields.Integer("Temporary Workers", states=_draft)
    women = fields.Integer("Women", states=_draft)
    men = fields.Integer("Men", states=_draft)

    # Page 4: risks and prevention
    risks = fields.One2Many(
        'spsti.company_sheet.risk', 'sheet', "Risks and Exposures",
        states=_draft)
    prevention_actions = fields.Text("Prevention Actions", states=_draft)
    safety_data_sheets = fields.Boolean(
        "Safety Data Sheets Available", states=_draft)

    # Prevention culture
    duerp = fields.Boolean(
        "DUERP", states=_draft,
        help="The single risk-assessment document exists.")
    duerp_with_employees = fields.Boolean(
        "DUERP Built with the Employees", states=_draft)
    action_plan = fields.Boolean("Prevention Action Plan", states=_draft)
    action_plan_reviewed = fields.Boolean(
        "Action Plan Reviewed and Updated", states=_draft)
    staff_representatives = fields.Boolean(
        "Staff Representatives or Competent Employees", states=_draft)
    onboarding = fields.Boolean(
        "Onboarding of New Employees", states=_draft,
        help="A process or a booklet welcomes the new employees.")
    culture_score = fields.Function(
        fields.Float("Prevention Culture Score", digits=(1, 1),
            help="From 0 to 5: the share of yes to the six questions."),
        'on_change_with_culture_score')

    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('establishment_version_unique',
                Unique(t, t.establishment, t.version),
                'spsti_dmst.msg_company_sheet_version_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.establishment, Index.Equality()),
                (t.date, Index.Range()), where=t.state == 'validated'))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'validated')}
        cls._buttons.update({
                'validate_sheet': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'new_version': {
                    'invisible': Eval('state') != 'validated',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_author(cls):
        professional = Pool().get('spsti.professional').get_current()
        return professional.id if professional else None

    def get_member(self, name):
        return self.establishment.member.id

    @classmethod
    def search_member(cls, name, clause):
        return [('establishment.member' + clause[0][len(name):],)
            + tuple(clause[1:])]

    @fields.depends(*CULTURE_QUESTIONS)
    def on_change_with_culture_score(self, name=None):
        yes = sum(1 for q in CULTURE_QUESTIONS if getattr(self, q))
        return round(yes * 5 / len(CULTURE_QUESTIONS), 1)

    def get_rec_name(self, name):
        return f'{self.establishment.rec_name} v{self.version or 0}'

    @classmethod
    def create(cls, vlist):
        "Each sheet of an establishment gets the next version number."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        vlist = [v.copy() for v in vlist]
        establishments = {v['establishment'] for v in vlist}
        cls.lock()
        last = {}
        for sub in grouped_slice(list(establishments), MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.establishment, Max(table.version),
                    where=table.establishment.in_(list(sub)),
                    group_by=[table.establishment]))
            last.update(cursor)
        for values in vlist:
            establishment = values['establishment']
            last[establishment] = (last.get(establishment) or 0) + 1
            values['version'] = last[establishment]
        return super().create(vlist)

    @classmethod
    def copy(cls, sheets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('version')
        default.setdefault('date', cls.default_date())
        default.setdefault('sir_declared')
        default.setdefault('headcount')
        return super().copy(sheets, default=default)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for sheets, values in zip(actions, actions):
            if any(s.state == 'validated' for s in sheets):
                raise AccessError(gettext(
                        'spsti_dmst.msg_company_sheet_validated',
                        sheet=next(s for s in sheets
                            if s.state == 'validated').rec_name))
        super().write(*args)

    @classmethod
    @ModelView.button
    @Workflow.transition('validated')
    def validate_sheet(cls, sheets):
        """The version is final: the workforce figures of its date are
        stored with it."""
        for sheet in sheets:
            headcount, sir = sheet.workforce_figures()
            # Still a draft: the transition writes the state afterwards.
            cls.write([sheet], {'headcount': headcount, 'sir_declared': sir})
        cls.apply_observed_exposures(sheets)

    @classmethod
    def apply_observed_exposures(cls, sheets):
        """The risks the team observed become exposures (observed by the
        team, from the date of the sheet) of the assignments they name,
        where the assignment does not carry the risk on that date; the
        follow-up categories are computed again."""
        Exposure = Pool().get('spsti.assignment.exposure')
        vlist = []
        for sheet in sheets:
            for line in sheet.risks:
                if line.source != 'observed':
                    continue
                for assignment in line.assignments:
                    if line.risk not in assignment.risks_at(sheet.date):
                        vlist.append({
                                'assignment': assignment.id,
                                'risk': line.risk.id,
                                'source': 'team',
                                'start_date': sheet.date,
                                'note': sheet.rec_name,
                                })
        # The team's observation updates the workforce data whoever
        # validates it.
        with without_check_access():
            Exposure.create(vlist)

    def workforce_figures(self):
        "The assignments in force on the date and those in SIR."
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        ModelData = pool.get('ir.model.data')
        sir = ModelData.get_id('spsti_base', 'category_sir')
        domain = [
            ('establishment', '=', self.establishment.id),
            ('start_date', '<=', self.date),
            ['OR',
                ('end_date', '=', None),
                ('end_date', '>=', self.date)],
            ]
        return (Assignment.search_count(domain),
            Assignment.search_count(
                domain + [('effective_category', '=', sir)]))

    @classmethod
    @ModelView.button_action('spsti_dmst.act_company_sheet_new_version')
    def new_version(cls, sheets):
        "The next version starts as a copy of the validated one."
        return {'res_id': [s.id for s in cls.copy(sheets)]}

    @classmethod
    def due_dates(cls, establishments):
        """{establishment id: date} the next sheet is due: within the first
        delay of membership without any validated sheet, else the renewal
        period after the latest validated one."""
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        config = Configuration(1)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        latest = {}
        ids = [e.id for e in establishments]
        for sub in grouped_slice(ids, MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.establishment, Max(table.date),
                    where=table.establishment.in_(list(sub))
                    & (table.state == 'validated'),
                    group_by=[table.establishment]))
            latest.update(cursor)
        result = {}
        for establishment in establishments:
            last = latest.get(establishment.id)
            if last:
                last = to_date(last)
                result[establishment.id] = last + relativedelta(
                    years=config.company_sheet_renewal_years)
            elif establishment.member.membership_date:
                result[establishment.id] = (
                    establishment.member.membership_date + relativedelta(
                        months=config.company_sheet_first_months))
            else:
                result[establishment.id] = None
        return result


def to_date(value):
    "A date column as read by the cursor (text on SQLite)."
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


class CompanySheetProfessional(ModelSQL):
    __name__ = 'spsti.company_sheet-spsti.professional'
    __string__ = "Company Sheet - Professional"
    sheet = fields.Many2One(
        'spsti.company_sheet', "Company Sheet", required=True,
        ondelete='CASCADE')
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='RESTRICT')


class CompanySheetRisk(ModelSQL, ModelView):
    """A risk or exposure of the sheet, coded with the thésaurus: declared
    by the employer or observed by the team, with the posts concerned and
    the prevention in place."""
    __name__ = 'spsti.company_sheet.risk'
    __string__ = "Company Sheet Risk"
    sheet = fields.Many2One(
        'spsti.company_sheet', "Company Sheet", required=True,
        ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='RESTRICT')
    source = fields.Selection([
            ('declared', "Declared by the employer"),
            ('observed', "Observed by the team"),
            ], "Source", required=True)
    workstations = fields.Char("Workstations Concerned")
    assignments = fields.Many2Many(
        'spsti.company_sheet.risk-spsti.assignment', 'line', 'assignment',
        "Assignments Exposed",
        domain=[('establishment', '=', Eval('_parent_sheet', {}).get(
                    'establishment', -1))],
        help="Validating the sheet adds the risks observed by the team to "
        "the exposures of these assignments.")
    prevention = fields.Text(
        "Prevention in Place", help="Collective and individual protection, "
        "training and information.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.sheet, Index.Equality())))

    @classmethod
    def default_source(cls):
        return 'observed'


class CompanySheetRiskAssignment(ModelSQL):
    __name__ = 'spsti.company_sheet.risk-spsti.assignment'
    __string__ = "Company Sheet Risk - Assignment"
    line = fields.Many2One(
        'spsti.company_sheet.risk', "Risk", required=True,
        ondelete='CASCADE')
    assignment = fields.Many2One(
        'spsti.assignment', "Assignment", required=True, ondelete='CASCADE')


class Establishment(metaclass=PoolMeta):
    __name__ = 'spsti.establishment'
    company_sheet_due = fields.Function(
        fields.Date("Company Sheet Due",
            help="When the next company risk sheet is due."),
        'get_company_sheet_due')

    @classmethod
    def get_company_sheet_due(cls, establishments, name):
        return Pool().get('spsti.company_sheet').due_dates(establishments)


class CompanySheetReport(Report):
    "Fiche d'entreprise, for the employer."
    __name__ = 'spsti.company_sheet'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['day'] = lambda value: (
            value.strftime('%d/%m/%Y') if value else '')
        context['yes_no'] = lambda value: "oui" if value else "non"
        return context
