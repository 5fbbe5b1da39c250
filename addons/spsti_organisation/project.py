"""Projets internes du service on stock project and timesheet: the
certification of the service against its quality standard (procedures and
evidence per chapter), content production, the service project and the
objectives of the CPOM; tasks with an owner, a deadline and the time
spent; templates copied into a new project with their periodic reviews."""
import csv
import os

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import file_open
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import ProjectError

KINDS = [
    (None, ""),
    ('certification', "Certification of the service"),
    ('content', "Content production"),
    ('service_project', "Service project"),
    ('cpom', "CPOM objective"),
    ('other', "Other"),
    ]


class Work(metaclass=PoolMeta):
    __name__ = 'project.work'
    spsti_kind = fields.Selection(KINDS, "Kind of Project")
    owner = fields.Many2One(
        'company.employee', "Owner", ondelete='RESTRICT',
        help="The person in charge of the project or task.")
    start_date = fields.Date(
        "Start Date", states={'invisible': Eval('type') != 'project'})
    deadline = fields.Date("Deadline")
    deadline_months = fields.Integer(
        "Deadline (months after start)",
        domain=['OR',
            ('deadline_months', '=', None),
            ('deadline_months', '>=', 0)],
        states={'invisible': ~Eval('is_template')},
        help="In a template: the deadline of the task counted from the "
        "start of the project made from it.")
    is_template = fields.Boolean(
        "Template",
        help="A model of project copied into new projects (e.g. the "
        "certification campaign); it is not worked on.")
    review_months = fields.Integer(
        "Review Every (months)",
        domain=['OR',
            ('review_months', '=', None),
            ('review_months', '>', 0)],
        states={'invisible': Eval('type') != 'project'},
        help="Progress reviews of the project are planned at this "
        "interval (3: quarterly follow-up).")
    quality_chapter = fields.Char(
        "Chapter of the Standard",
        help="The chapter of the quality standard the task answers "
        "(certification projects).")
    evidence = fields.Text(
        "Procedures and Evidence",
        help="The procedures written and the evidence gathered for the "
        "auditors; the documents themselves are attached.")
    done = fields.Function(
        fields.Boolean("Done"), 'get_done', searcher='search_done')
    late = fields.Function(
        fields.Boolean("Late"), 'get_late', searcher='search_late')
    reviews = fields.One2Many(
        'spsti.project.review', 'project', "Progress Reviews",
        states={'invisible': Eval('type') != 'project'})

    @classmethod
    def default_is_template(cls):
        return False

    def get_done(self, name):
        return bool((self.progress or 0) >= 1
            or (self.status and (self.status.progress or 0) >= 1))

    @classmethod
    def search_done(cls, name, clause):
        _, operator, value = clause
        if (operator == '=') == bool(value):
            return ['OR',
                ('progress', '>=', 1),
                ('status.progress', '>=', 1),
                ]
        return [
            ['OR', ('progress', '=', None), ('progress', '<', 1)],
            ['OR',
                ('status', '=', None),
                ('status.progress', '=', None),
                ('status.progress', '<', 1)],
            ]

    def get_late(self, name):
        Date = Pool().get('ir.date')
        return bool(self.deadline and self.deadline < Date.today()
            and not self.done and not self.is_template)

    @classmethod
    def search_late(cls, name, clause):
        Date = Pool().get('ir.date')
        _, operator, value = clause
        today = Date.today()
        if (operator == '=') == bool(value):
            return [
                ('deadline', '<', today),
                ('done', '=', False),
                ('is_template', '=', False),
                ]
        return ['OR',
            ('deadline', '=', None),
            ('deadline', '>=', today),
            ('done', '=', True),
            ('is_template', '=', True),
            ]

    @classmethod
    def copy(cls, works, default=None):
        default = default.copy() if default else {}
        default.setdefault('reviews', None)
        return super().copy(works, default=default)

    @classmethod
    def instantiate(cls, template, name, start_date, end_date=None,
            owner=None):
        """A new project from template: its tree copied, the deadlines set
        from the start date, time recorded on every task, and the progress
        reviews planned every review_months until end_date (else the last
        deadline)."""
        pool = Pool()
        Review = pool.get('spsti.project.review')
        if not template.is_template or template.type != 'project':
            raise ProjectError(gettext(
                    'spsti_organisation.msg_project_not_template',
                    project=template.rec_name))
        project, = cls.copy([template], default={
                'name': name,
                'parent': None,
                })
        works, stack = [], [project]
        while stack:
            work = stack.pop()
            works.append(work)
            stack.extend(work.children)
        for work in works:
            work.is_template = False
            work.timesheet_available = True
            if work.deadline_months is not None:
                work.deadline = start_date + relativedelta(
                    months=work.deadline_months)
            if work.owner is None:
                work.owner = owner
        project.start_date = start_date
        project.owner = owner
        deadlines = [w.deadline for w in works if w.deadline]
        end_date = end_date or (max(deadlines) if deadlines else None)
        project.deadline = end_date
        cls.save(works)
        if project.review_months and end_date:
            reviews, months = [], project.review_months
            date = start_date + relativedelta(months=months)
            while date <= end_date:
                reviews.append(Review(project=project, date=date))
                months += project.review_months
                date = start_date + relativedelta(months=months)
            Review.save(reviews)
        return project

    @classmethod
    def certification_template(cls):
        """The template of the certification campaign of the company,
        made from data/certification_template.csv (one task per step of
        the preparation and per chapter of the AFNOR Spec 2217 standard,
        its deadline in months and the evidence expected) when missing."""
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        company = (Company(company_id) if company_id
            else Company.search([], limit=1)[0])
        name = gettext('spsti_organisation.msg_certification_template')
        templates = cls.search([
                ('is_template', '=', True),
                ('spsti_kind', '=', 'certification'),
                ('company', '=', company.id),
                ('parent', '=', None),
                ], limit=1)
        if templates:
            return templates[0]
        path = os.path.join('spsti_organisation', 'data',
            'certification_template.csv')
        with file_open(path, encoding='utf-8') as file:
            rows = list(csv.DictReader(file))
        template, = cls.create([{
                    'name': name,
                    'type': 'project',
                    'company': company.id,
                    'spsti_kind': 'certification',
                    'is_template': True,
                    'review_months': 3,
                    'children': [('create', [{
                                    'name': row['task'],
                                    'type': 'task',
                                    'company': company.id,
                                    'sequence': i,
                                    'spsti_kind': 'certification',
                                    'is_template': True,
                                    'quality_chapter': row['chapter'],
                                    'deadline_months': int(
                                        row['deadline_months']),
                                    'evidence': row['evidence'],
                                    } for i, row in enumerate(rows, 1)])],
                    }])
        return template

    def tasks(self):
        "The tasks of the project, at any depth."
        return self.search([
                ('parent', 'child_of', [self.id]),
                ('type', '=', 'task'),
                ])


class Review(Workflow, ModelSQL, ModelView):
    """Point d'avancement (revue trimestrielle): on its date, the share of
    the tasks done, those late and the chapters they belong to, what was
    decided."""
    __name__ = 'spsti.project.review'
    __string__ = "Progress Review"
    _states = {'readonly': Eval('state') != 'planned'}
    project = fields.Many2One(
        'project.work', "Project", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'project')], states=_states)
    date = fields.Date("Planned Date", required=True, states=_states)
    done_date = fields.Date("Review Date", readonly=True)
    tasks_total = fields.Integer("Tasks", readonly=True)
    tasks_done = fields.Integer("Tasks Done", readonly=True)
    tasks_late = fields.Integer("Tasks Late", readonly=True)
    progress = fields.Float(
        "Progress", digits=(1, 4), readonly=True,
        help="Share of the tasks done on the review date.")
    late_chapters = fields.Text(
        "Chapters Late", readonly=True,
        help="The chapters of the standard with a task late.")
    notes = fields.Text("Notes and Decisions")
    state = fields.Selection([
            ('planned', "Planned"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls.__access__.add('project')
        cls._transitions |= {('planned', 'done')}
        cls._buttons.update({
                'record': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'planned'

    def get_rec_name(self, name):
        return f'{self.project.rec_name} {self.date.strftime("%d/%m/%Y")}'

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def record(cls, reviews):
        "Take the measure of the project's tasks today."
        Date = Pool().get('ir.date')
        today = Date.today()
        for review in reviews:
            tasks = review.project.tasks()
            done = [t for t in tasks if t.done]
            late = [t for t in tasks if t.late]
            review.done_date = today
            review.tasks_total = len(tasks)
            review.tasks_done = len(done)
            review.tasks_late = len(late)
            review.progress = (round(len(done) / len(tasks), 4)
                if tasks else None)
            review.late_chapters = '\n'.join(sorted(
                    {t.quality_chapter for t in late if t.quality_chapter}))
        cls.save(reviews)


class FromTemplateStart(ModelView):
    __name__ = 'spsti.project.from_template.start'
    __string__ = "New Project from a Template"
    template = fields.Many2One(
        'project.work', "Template", required=True,
        domain=[('is_template', '=', True), ('type', '=', 'project')])
    name = fields.Char("Name", required=True)
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date(
        "End Date",
        domain=['OR',
            ('end_date', '=', None),
            ('end_date', '>=', Eval('start_date', None))],
        help="The deadline of the project (e.g. the certification audit); "
        "empty: its last task's.")
    owner = fields.Many2One('company.employee', "Owner",
        help="Of the project and of the tasks the template leaves without "
        "an owner.")

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('template', 'name')
    def on_change_template(self):
        if self.template and not self.name:
            self.name = self.template.name


class FromTemplate(Wizard):
    "Nouveau projet depuis un modèle"
    __name__ = 'spsti.project.from_template'
    start = StateView('spsti.project.from_template.start',
        'spsti_organisation.project_from_template_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateAction('project.act_project_form')

    def default_start(self, fields):
        values = {}
        if (self.model and self.model.__name__ == 'project.work'
                and self.record and self.record.is_template):
            values['template'] = self.record.id
            values['name'] = self.record.name
        return values

    def do_create_(self, action):
        Work = Pool().get('project.work')
        project = Work.instantiate(self.start.template, self.start.name,
            self.start.start_date, self.start.end_date, self.start.owner)
        return action, {'res_id': [project.id]}



class CertificationTemplate(Wizard):
    "Modèle de campagne de certification"
    __name__ = 'spsti.project.certification_template'
    start = StateAction('project.act_project_form')

    def do_start(self, action):
        Work = Pool().get('project.work')
        return action, {'res_id': [Work.certification_template().id]}
