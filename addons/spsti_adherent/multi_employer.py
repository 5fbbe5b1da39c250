"""Salariés multi-employeurs (décret 2023-547): an employee holding, on 31
January, posts at two members or more with the same PCS-ESE code and the
same follow-up category is followed once, by the principal employer (the
oldest assignment), and the contribution is shared."""
import datetime as dt

from sql import Null
from sql.aggregate import Count
from sql.conditionals import Coalesce

from trytond.backend import MAX_QUERY_PARAMS
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)


class MultiEmployer(ModelSQL, ModelView):
    "Salarié multi-employeurs d'une année"
    __name__ = 'spsti.multi_employer'
    __string__ = "Multi-employer Employee"
    year = fields.Integer("Year", required=True, readonly=True)
    employee = fields.Many2One(
        'spsti.employee', "Employee", required=True, readonly=True,
        ondelete='CASCADE')
    job = fields.Many2One(
        'spsti.job', "Job (PCS-ESE)", required=True, readonly=True,
        ondelete='RESTRICT')
    category = fields.Many2One(
        'spsti.follow_up.category', "Category", required=True,
        readonly=True, ondelete='RESTRICT')
    principal = fields.Many2One(
        'spsti.assignment', "Principal Assignment", required=True,
        readonly=True, ondelete='CASCADE',
        help="The oldest assignment: its employer follows the employee.")
    principal_member = fields.Function(
        fields.Many2One('spsti.member', "Principal Employer"),
        'get_principal_member', searcher='search_principal_member')
    assignments = fields.Many2Many(
        'spsti.multi_employer-spsti.assignment', 'multi_employer',
        'assignment', "Assignments", readonly=True)
    member_count = fields.Integer("Employers", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('year', 'DESC'), ('id', 'ASC')]

    def get_principal_member(self, name):
        return self.principal.member.id

    @classmethod
    def search_principal_member(cls, name, clause):
        return [('principal.member' + clause[0][len(name):],)
            + tuple(clause[1:])]

    @staticmethod
    def reference_date(year):
        return dt.date(year, 1, 31)

    @classmethod
    def detect(cls, year):
        """Replace the multi-employer list of year: one SQL aggregation finds
        the (employee, job, category) groups held at two members or more on
        31 January, then their assignments give the principal employer."""
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        a = Assignment.__table__()
        cursor = Transaction().connection.cursor()
        date = cls.reference_date(year)
        category = Coalesce(a.category_override, a.category)
        in_force = ((a.start_date <= date)
            & ((a.end_date == Null) | (a.end_date >= date))
            & (a.job != Null) & (category != Null))
        cursor.execute(*a.select(a.employee, a.job, category,
                Count(a.member, distinct=True),
                where=in_force,
                group_by=[a.employee, a.job, category],
                having=Count(a.member, distinct=True) >= 2))
        groups = {(e, j, c): n for e, j, c, n in cursor}

        cls.delete(cls.search([('year', '=', year)]))
        if not groups:
            return []
        employees = list({e for e, _, _ in groups})
        members = {}
        for sub in grouped_slice(employees, MAX_QUERY_PARAMS):
            cursor.execute(*a.select(a.id, a.employee, a.job, category,
                    a.start_date,
                    where=in_force & a.employee.in_(list(sub)),
                    order_by=[a.start_date.asc, a.id.asc]))
            for id_, employee, job, cat, _ in cursor:
                key = (employee, job, cat)
                if key in groups:
                    members.setdefault(key, []).append(id_)
        return cls.create([{
                    'year': year,
                    'employee': employee,
                    'job': job,
                    'category': cat,
                    'principal': ids[0],
                    'assignments': [('add', ids)],
                    'member_count': groups[(employee, job, cat)],
                    } for (employee, job, cat), ids in members.items()])


class MultiEmployerAssignment(ModelSQL):
    __name__ = 'spsti.multi_employer-spsti.assignment'
    __string__ = "Multi-employer - Assignment"
    multi_employer = fields.Many2One(
        'spsti.multi_employer', "Multi-employer", required=True,
        ondelete='CASCADE')
    assignment = fields.Many2One(
        'spsti.assignment', "Assignment", required=True, ondelete='CASCADE')


class DetectStart(ModelView):
    __name__ = 'spsti.multi_employer.detect.start'
    __string__ = "Detect Multi-employer Employees"
    year = fields.Integer("Year", required=True,
        help="Posts held on 31 January of this year are compared.")

    @classmethod
    def default_year(cls):
        return dt.date.today().year


class Detect(Wizard):
    "Détecter les salariés multi-employeurs"
    __name__ = 'spsti.multi_employer.detect'
    start = StateView('spsti.multi_employer.detect.start',
        'spsti_adherent.multi_employer_detect_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Detect", 'detect', 'tryton-ok', default=True),
            ])
    detect = StateTransition()
    open_ = StateAction('spsti_adherent.act_multi_employer')

    def transition_detect(self):
        Pool().get('spsti.multi_employer').detect(self.start.year)
        return 'open_'

    def do_open_(self, action):
        action['pyson_domain'] = PYSONEncoder().encode(
            [('year', '=', self.start.year)])
        action['name'] += f' {self.start.year}'
        return action, {}
