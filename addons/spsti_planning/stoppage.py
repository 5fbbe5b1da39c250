"Arrêts de travail déclarés par l'employeur."
import datetime as dt

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.spsti_base.periodicity import STOPPAGES
from trytond.pool import Pool
from trytond.pyson import Eval, If


def stoppage_days(start_date, end_date):
    "The days off of a stoppage, both ends included; None while it lasts."
    if end_date:
        return (end_date - start_date).days + 1


def return_date(end_date):
    "The day back at work after a stoppage; None while it lasts."
    if end_date:
        return end_date + dt.timedelta(days=1)


class WorkStoppage(ModelSQL, ModelView):
    """Arrêt de travail: declared by the employer; its kind and length
    decide whether a return-to-work visit (visite de reprise) is due."""
    __name__ = 'spsti.work_stoppage'
    __string__ = "Work Stoppage"
    employee = fields.Many2One(
        'spsti.employee', "Employee", required=True, ondelete='CASCADE')
    member = fields.Many2One(
        'spsti.member', "Employer", required=True, ondelete='RESTRICT')
    kind = fields.Selection(
        [s for s in STOPPAGES if s[0]], "Kind", required=True)
    start_date = fields.Date("First Day Off", required=True)
    end_date = fields.Date(
        "Last Day Off",
        domain=[If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())],
        help="Empty while the stoppage goes on.")
    days = fields.Function(fields.Integer("Days"), 'get_days')
    return_date = fields.Function(
        fields.Date("Return to Work"), 'get_return_date')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('member')
        t = cls.__table__()
        # The échéancier reads them by chunk of employees.
        cls._sql_indexes.add(Index(t, (t.employee, Index.Equality())))

    def get_days(self, name):
        return stoppage_days(self.start_date, self.end_date)

    def get_return_date(self, name):
        return return_date(self.end_date)

    @classmethod
    def on_modification(cls, mode, stoppages, field_names=None):
        super().on_modification(mode, stoppages, field_names=field_names)
        if mode in {'create', 'write'}:
            cls._recompute(stoppages)

    @classmethod
    def _recompute(cls, stoppages):
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        VisitRequest = pool.get('spsti.visit.request')
        assignments = Assignment.search([
                ('employee', 'in', list({s.employee.id for s in stoppages})),
                ])
        VisitRequest.compute_due_visits(assignments)
