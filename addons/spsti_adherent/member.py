"Adhérents: member companies and their membership lifecycle."
import datetime as dt

from sql.aggregate import Count

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import (
    ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import MemberValidationError
from .identifier import set_identifiers

STATES = [
    ('prospect', "Prospect"),
    ('requested', "Membership Requested"),
    ('member', "Member"),
    ('struck_off', "Struck Off"),
    ]
STRIKE_OFF_REASONS = [
    (None, ""),
    ('resignation', "Resignation"),
    ('closure', "Closure of the company"),
    ('non_payment', "Non-payment"),
    ('no_employee', "No employee any more"),
    ('transfer', "Transfer to another service"),
    ('other', "Other"),
    ]


class Member(Workflow, ModelSQL, ModelView):
    """Adhérent: a company (SIREN) that joins the service to have its
    employees followed. Membership is compulsory from the first employee and
    ends by radiation."""
    __name__ = 'spsti.member'
    __string__ = "Member"
    _rec_name = 'number'
    party = fields.Many2One(
        'party.party', "Company", required=True, ondelete='RESTRICT',
        states={'readonly': Eval('state') == 'struck_off'})
    number = fields.Char(
        "Member Number", readonly=True,
        help="Given when the membership is accepted.")
    name = fields.Function(fields.Char("Name"), 'get_name',
        searcher='search_name')
    siren = fields.Function(fields.Char(
            "SIREN", help="The company's SIREN, kept on the company party."),
        'get_siren', setter='set_siren', searcher='search_siren')
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    request_date = fields.Date("Request Date", readonly=True)
    membership_date = fields.Date(
        "Membership Date", readonly=True,
        help="First day of the current membership.")
    strike_off_date = fields.Date("Strike-off Date", readonly=True)
    strike_off_reason = fields.Selection(
        STRIKE_OFF_REASONS, "Strike-off Reason", readonly=True)
    sector = fields.Many2One(
        'spsti.sector', "Sector", ondelete='RESTRICT',
        states={'required': Eval('state') == 'member'})
    team = fields.Many2One(
        'spsti.team', "Team", ondelete='RESTRICT',
        domain=[If(Eval('sector'), ('sector', '=', Eval('sector', -1)), ())],
        states={'required': Eval('state') == 'member'},
        help="The multidisciplinary team that follows the member.")
    establishments = fields.One2Many(
        'spsti.establishment', 'member', "Establishments")
    assignments = fields.One2Many(
        'spsti.assignment', 'member', "Job Assignments", readonly=True)
    history = fields.One2Many(
        'spsti.member.history', 'member', "History", readonly=True,
        order=[('create_date', 'DESC'), ('id', 'DESC')])
    declaration_overdue = fields.Function(fields.Boolean(
            "Declaration Overdue",
            help="A workforce declaration is still open after its delay."),
        'get_declaration_overdue', searcher='search_declaration_overdue')
    workforce = fields.Function(fields.Integer(
            "Workforce", help="Employees with an assignment in force today."),
        'get_workforce')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_unique', Unique(t, t.party),
                'spsti_adherent.msg_member_party_unique'),
            ('number_unique', Unique(t, t.number),
                'spsti_adherent.msg_member_number_unique'),
            ]
        cls._order = [('number', 'ASC NULLS LAST'), ('id', 'DESC')]
        cls._transitions |= {
            ('prospect', 'requested'),
            ('requested', 'member'),
            ('requested', 'prospect'),
            ('member', 'struck_off'),
            ('struck_off', 'requested'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': ~Eval('state').in_(
                        ['prospect', 'struck_off']),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'accept': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'back_to_prospect': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'strike_off': {
                    'invisible': Eval('state') != 'member',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'prospect'

    def get_name(self, name):
        return self.party.name

    @classmethod
    def search_name(cls, name, clause):
        return [('party.name',) + tuple(clause[1:])]

    def get_rec_name(self, name):
        if self.number:
            return f'{self.number} - {self.party.name}'
        return self.party.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('number', operator, operand, *extra),
            ('party.rec_name', operator, operand, *extra),
            ]

    @classmethod
    def get_siren(cls, members, name):
        return {m.id: m.party.siren.code if m.party.siren else None
            for m in members}

    @classmethod
    def set_siren(cls, members, name, value):
        set_identifiers([(m.party, None, m.party.siren) for m in members],
            'fr_siren', value)

    @classmethod
    def search_siren(cls, name, clause):
        _, operator, value = clause[:3]
        return [('party.identifiers', 'where', [
                    ('type', '=', 'fr_siren'),
                    ('code_compact', operator, value),
                    ])]

    @classmethod
    def get_declaration_overdue(cls, members, name):
        Declaration = Pool().get('spsti.declaration')
        overdue = set()
        for sub in grouped_slice([m.id for m in members], MAX_QUERY_PARAMS):
            overdue.update(d.member.id for d in Declaration.search([
                        ('member', 'in', list(sub)),
                        ('overdue', '=', True),
                        ]))
        return {m.id: m.id in overdue for m in members}

    @classmethod
    def search_declaration_overdue(cls, name, clause):
        _, operator, value = clause
        positive = (operator == '=') == bool(value)
        Declaration = Pool().get('spsti.declaration')
        return [('id', 'in' if positive else 'not in', [
                    d.member.id for d in Declaration.search(
                        [('overdue', '=', True)])])]

    @classmethod
    def get_workforce(cls, members, name):
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        table = Assignment.__table__()
        cursor = Transaction().connection.cursor()
        today = dt.date.today()
        result = {m.id: 0 for m in members}
        for sub_ids in grouped_slice(
                [m.id for m in members], MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.member, Count(table.employee, distinct=True),
                    where=table.member.in_(list(sub_ids))
                    & (table.start_date <= today)
                    & ((table.end_date == None)  # noqa: E711
                        | (table.end_date >= today)),
                    group_by=[table.member]))
            result.update(dict(cursor))
        return result

    @classmethod
    def validate_fields(cls, members, field_names):
        super().validate_fields(members, field_names)
        if field_names & {'party', 'state'}:
            cls.check_siren_unique(members)

    @classmethod
    def check_siren_unique(cls, members):
        "Two members (prospects aside) cannot share a SIREN."
        for member in members:
            if member.state == 'prospect' or not member.party.siren:
                continue
            others = cls.search([
                    ('id', '!=', member.id),
                    ('state', '!=', 'prospect'),
                    ('siren', '=', member.party.siren.code_compact),
                    ], limit=1)
            if others:
                raise MemberValidationError(gettext(
                        'spsti_adherent.msg_member_siren_duplicate',
                        siren=member.party.siren.code,
                        member=member.rec_name,
                        other=others[0].rec_name))

    @classmethod
    def record_history(cls, members, state, reason=None, note=None):
        History = Pool().get('spsti.member.history')
        History.save([History(member=m, from_state=m.state, to_state=state,
                    date=dt.date.today(), reason=reason, note=note)
                for m in members])

    @classmethod
    @ModelView.button
    @Workflow.transition('requested')
    def request(cls, members):
        cls.record_history(members, 'requested')
        cls.write(members, {'request_date': dt.date.today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('prospect')
    def back_to_prospect(cls, members):
        cls.record_history(members, 'prospect')

    @classmethod
    @ModelView.button
    @Workflow.transition('member')
    def accept(cls, members):
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        config = Configuration(1)
        cls.record_history(members, 'member')
        for member in members:
            if not member.number:
                member.number = config.member_sequence.get()
            member.membership_date = dt.date.today()
            member.strike_off_date = None
            member.strike_off_reason = None
        cls.save(members)

    @classmethod
    @ModelView.button_action('spsti_adherent.wizard_strike_off')
    def strike_off(cls, members):
        pass

    @classmethod
    @Workflow.transition('struck_off')
    def do_strike_off(cls, members, date, reason, note=None):
        cls.record_history(members, 'struck_off', reason=reason, note=note)
        cls.write(members, {
                'strike_off_date': date,
                'strike_off_reason': reason,
                })

    @classmethod
    def copy(cls, members, default=None):
        default = default.copy() if default else {}
        for name in ['number', 'request_date', 'membership_date',
                'strike_off_date', 'strike_off_reason', 'history',
                'assignments']:
            default.setdefault(name, None)
        default.setdefault('state', 'prospect')
        return super().copy(members, default=default)


class MemberHistory(ModelSQL, ModelView):
    "Historique d'adhésion: one change of state, who made it and why."
    __name__ = 'spsti.member.history'
    __string__ = "Membership History"
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    from_state = fields.Selection(STATES, "From")
    to_state = fields.Selection(STATES, "To", required=True)
    reason = fields.Selection(STRIKE_OFF_REASONS, "Reason")
    note = fields.Text("Note")
    user = fields.Function(
        fields.Many2One('res.user', "User"), 'get_user')

    def get_user(self, name):
        return self.create_uid.id if self.create_uid else None

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')
        cls._order.insert(0, ('create_date', 'DESC'))


class StrikeOffStart(ModelView):
    __name__ = 'spsti.member.strike_off.start'
    __string__ = "Strike Off a Member"
    date = fields.Date("Date", required=True)
    reason = fields.Selection(
        [r for r in STRIKE_OFF_REASONS if r[0]], "Reason", required=True)
    note = fields.Text("Note")

    @classmethod
    def default_date(cls):
        return dt.date.today()


class StrikeOff(Wizard):
    "Radiation d'un adhérent"
    __name__ = 'spsti.member.strike_off'
    start = StateView('spsti.member.strike_off.start',
        'spsti_adherent.member_strike_off_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Strike Off", 'strike_off', 'tryton-ok', default=True),
            ])
    strike_off = StateTransition()

    def transition_strike_off(self):
        Member = Pool().get('spsti.member')
        Member.do_strike_off(list(self.records), self.start.date,
            self.start.reason, self.start.note)
        return 'end'
