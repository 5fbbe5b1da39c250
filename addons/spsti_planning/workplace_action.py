"""Actions en milieu de travail (AMT): the team's activities at the members'
sites, planned in the same agendas as the visits."""
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .exceptions import WorkplaceActionError

STATES = [
    ('draft', "Draft"),
    ('planned', "Planned"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
_draft = {'readonly': Eval('state') != 'draft'}


class WorkplaceAction(Workflow, ModelSQL, ModelView):
    """Action en milieu de travail: a workplace visit, job study, risk
    analysis, metrology, CSE meeting, awareness session… dated, at a
    member's establishment, by professionals of the team, possibly about
    some employees.

    Planned, it takes one slot in the agenda of each participant: no visit
    can then be booked over it (the same guarantee as between visits) and
    the free slots it covers are removed. The agendas follow the action
    whoever may press its buttons (the slots themselves are not theirs to
    delete)."""
    __name__ = 'spsti.workplace_action'
    __string__ = "Workplace Action"
    type = fields.Many2One(
        'spsti.workplace_action.type', "Type", required=True,
        ondelete='RESTRICT', states=_draft)
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='RESTRICT',
        states=_draft)
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", ondelete='RESTRICT',
        domain=[('member', '=', Eval('member', -1))], states=_draft)
    team = fields.Many2One(
        'spsti.team', "Team", ondelete='RESTRICT', states=_draft)
    theme = fields.Char("Theme", required=True, states=_draft)
    start = fields.DateTime(
        "Start", format='%H:%M', required=True, states=_draft)
    end = fields.DateTime(
        "End", format='%H:%M', required=True, states=_draft,
        domain=[('end', '>', Eval('start'))])
    participants = fields.Many2Many(
        'spsti.workplace_action-spsti.professional', 'action',
        'professional', "Participants", states=_draft,
        help="The professionals of the team who take part: the action "
        "takes their agendas.")
    employees = fields.Many2Many(
        'spsti.workplace_action-spsti.employee', 'action', 'employee',
        "Employees Concerned",
        domain=[('assignments.member', '=', Eval('member', -1))],
        states={'readonly': Eval('state') == 'cancelled'})
    report = fields.Text(
        "Report", states={'readonly': Eval('state') != 'planned'},
        help="Compte rendu of the action, written once it took place.")
    slots = fields.One2Many(
        'spsti.slot', 'workplace_action', "Slots", readonly=True)
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.member, Index.Equality()),
                    (t.start, Index.Range())),
                Index(t, (t.start, Index.Range())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'planned'),
            ('planned', 'draft'),
            ('planned', 'done'),
            ('draft', 'cancelled'),
            ('planned', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(['planned', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'plan': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'planned']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('member', 'establishment')
    def on_change_member(self):
        if self.establishment and self.establishment.member != self.member:
            self.establishment = None
        if self.member and self.member.team:
            self.team = self.member.team

    @fields.depends('establishment', 'member')
    def on_change_establishment(self):
        if self.establishment and self.establishment.team:
            self.team = self.establishment.team

    def get_rec_name(self, name):
        return f'{self.type.rec_name} — {self.member.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('theme', operator, operand, *extra),
            ('type.rec_name', operator, operand, *extra),
            ('member.rec_name', operator, operand, *extra),
            ]

    @classmethod
    def copy(cls, actions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('slots')
        default.setdefault('report')
        return super().copy(actions, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, actions):
        cls._release_agendas(actions)

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, actions):
        cls._take_agendas(actions)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, actions):
        Slot = Pool().get('spsti.slot')
        with without_check_access():
            Slot.write([s for a in actions for s in a.slots],
                {'state': 'done'})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, actions):
        cls._release_agendas(actions)

    @classmethod
    @without_check_access
    def _take_agendas(cls, actions):
        """One booked slot per participant and action; the free slots of
        the participants over the period are removed first. A visit
        already booked over it is refused with the overlap error."""
        Slot = Pool().get('spsti.slot')
        free, vlist = [], []
        for action in actions:
            if not action.participants:
                raise WorkplaceActionError(gettext(
                        'spsti_planning.msg_workplace_action_participants',
                        action=action.rec_name))
            ids = [p.id for p in action.participants]
            free.extend(Slot.search([
                        ('professional', 'in', ids),
                        ('state', '=', 'free'),
                        ('start', '<', action.end),
                        ('end', '>', action.start),
                        ], order=[]))
            vlist.extend({
                    'professional': professional,
                    'start': action.start,
                    'end': action.end,
                    'state': 'booked',
                    'workplace_action': action.id,
                    } for professional in ids)
        Slot.delete(free)
        Slot.create(vlist)

    @classmethod
    @without_check_access
    def _release_agendas(cls, actions):
        "The slots of the actions are removed: the time is free again."
        Slot = Pool().get('spsti.slot')
        Slot.delete([s for a in actions for s in a.slots])


class WorkplaceActionProfessional(ModelSQL):
    __name__ = 'spsti.workplace_action-spsti.professional'
    __string__ = "Workplace Action - Professional"
    action = fields.Many2One(
        'spsti.workplace_action', "Workplace Action", required=True,
        ondelete='CASCADE')
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.professional, Index.Equality())))


class WorkplaceActionEmployee(ModelSQL):
    __name__ = 'spsti.workplace_action-spsti.employee'
    __string__ = "Workplace Action - Employee"
    action = fields.Many2One(
        'spsti.workplace_action', "Workplace Action", required=True,
        ondelete='CASCADE')
    employee = fields.Many2One(
        'spsti.employee', "Employee", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.employee, Index.Equality())))
