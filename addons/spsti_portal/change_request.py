"""Demandes de modification: what an employer asks the service to change
in its company's data, or an employee reports wrong in their identity or
post; the staff apply it in the back office and close the request."""
import datetime as dt

from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

KINDS = [
    ('company', "Company data"),
    ('employee', "Employee identity or post"),
    ]
STATES = [
    ('open', "Open"),
    ('done', "Done"),
    ('refused', "Refused"),
    ]


class ChangeRequest(Workflow, ModelSQL, ModelView):
    __name__ = 'spsti.portal.change_request'
    __string__ = "Change Request"
    web_user = fields.Many2One(
        'web.user', "Portal User", required=True, readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    member = fields.Many2One(
        'spsti.member', "Member", readonly=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'spsti.employee', "Employee", readonly=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True, readonly=True)
    description = fields.Text("Description", required=True, readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    answer = fields.Text(
        "Answer", states={'readonly': Eval('state') != 'open'},
        help="Shown to the requester on the portal.")
    handled_by = fields.Many2One('res.user', "Handled by", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('open', 'done'), ('open', 'refused')}
        cls._buttons.update({
                'done': {'invisible': Eval('state') != 'open',
                    'icon': 'tryton-ok'},
                'refuse': {'invisible': Eval('state') != 'open',
                    'icon': 'tryton-cancel'},
                })

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_date(cls):
        return dt.date.today()

    def get_rec_name(self, name):
        return f'{self.date:%d/%m/%Y} {self.web_user.rec_name}'

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, requests):
        cls.write(requests, {'handled_by': Transaction().user})

    @classmethod
    @ModelView.button
    @Workflow.transition('refused')
    def refuse(cls, requests):
        cls.write(requests, {'handled_by': Transaction().user})
