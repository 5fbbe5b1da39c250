"""Affectation des portefeuilles aux équipes: which team covers which
members (and establishments with a team of their own) over time, and the
reassignment of a portfolio from one team to another at a date.

The coverage periods are the history; the team and sector fields of the
member and of the establishment stay the current value every other module
reads, kept equal to the coverage in force today."""
import datetime as dt
from collections import defaultdict

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import ReassignmentError


def _in_force(table, date):
    "SQL condition: the period of table contains date."
    return ((table.start_date <= date)
        & ((table.end_date == None) | (table.end_date >= date)))  # noqa: E711


class Coverage(ModelSQL, ModelView):
    """Période d'affectation: from start to end, the team (and its sector)
    follows the member, or one establishment of it when the establishment
    has a team of its own."""
    __name__ = 'spsti.team.coverage'
    __string__ = "Team Coverage"
    team = fields.Many2One(
        'spsti.team', "Team", required=True, ondelete='RESTRICT')
    sector = fields.Many2One(
        'spsti.sector', "Sector", required=True, ondelete='RESTRICT')
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", ondelete='CASCADE',
        domain=[('member', '=', Eval('member', -1))],
        help="Empty: the whole member (its establishments without a team "
        "of their own).")
    start_date = fields.Date("From", required=True)
    end_date = fields.Date(
        "Until",
        domain=[If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    opened_by = fields.Many2One(
        'spsti.team.reassignment', "Opened By", readonly=True,
        ondelete='SET NULL')
    closed_by = fields.Many2One(
        'spsti.team.reassignment', "Closed By", readonly=True,
        ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.member, Index.Equality()),
                    (t.start_date, Index.Range())),
                Index(t, (t.establishment, Index.Equality()),
                    where=t.establishment != None),  # noqa: E711
                Index(t, (t.team, Index.Equality()),
                    (t.start_date, Index.Range())),
                })
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('member')

    def get_rec_name(self, name):
        target = (self.establishment or self.member).rec_name
        return f'{target} → {self.team.rec_name}'

    @staticmethod
    def _key(record):
        "The portfolio item of a member or an establishment."
        if record.__name__ == 'spsti.member':
            return (record.id, None)
        return (record.member.id, record.id)

    @classmethod
    def in_force(cls, keys, date):
        """The coverage in force on date of each (member, establishment)
        key, read in chunks of members."""
        result = {}
        members = sorted({m for m, _ in keys})
        for sub in grouped_slice(members, MAX_QUERY_PARAMS):
            for coverage in cls.search([
                        ('member', 'in', list(sub)),
                        ('start_date', '<=', date),
                        ['OR',
                            ('end_date', '=', None),
                            ('end_date', '>=', date)],
                        ], order=[('start_date', 'ASC')]):
                key = (coverage.member.id,
                    coverage.establishment.id if coverage.establishment
                    else None)
                result[key] = coverage
        return {k: result[k] for k in keys if k in result}

    @classmethod
    def move(cls, targets, date, reassignment=None):
        """Cover each (member, establishment) key of targets by its
        (team, sector) from date: the coverages in force end the day
        before, those planned from date on are replaced."""
        if not targets:
            return []
        previous = date - dt.timedelta(days=1)
        members = sorted({m for m, _ in targets})
        to_close, to_delete, to_shorten = [], [], []
        for sub in grouped_slice(members, MAX_QUERY_PARAMS):
            for coverage in cls.search([
                        ('member', 'in', list(sub)),
                        ['OR',
                            ('end_date', '=', None),
                            ('end_date', '>=', date)],
                        ], order=[]):
                key = (coverage.member.id,
                    coverage.establishment.id if coverage.establishment
                    else None)
                if key not in targets:
                    continue
                if coverage.start_date >= date:
                    to_delete.append(coverage)
                else:
                    (to_close if coverage.end_date is None
                        else to_shorten).append(coverage)
        if to_delete:
            cls.delete(to_delete)
        closing = {'end_date': previous}
        if reassignment:
            closing['closed_by'] = reassignment.id
        if to_close or to_shorten:
            cls.write(to_close + to_shorten, closing)
        return cls.create([{
                    'member': member,
                    'establishment': establishment,
                    'team': team,
                    'sector': sector,
                    'start_date': date,
                    'opened_by': reassignment.id if reassignment else None,
                    } for (member, establishment), (team, sector)
                in targets.items()])

    @classmethod
    def follow(cls, records, date=None):
        """Record in the history the team of members or establishments
        changed by hand: a new period from date (today) when the team or
        sector differs from the coverage in force; nothing otherwise. The
        history is a consequence of the change the user may make: it is
        written whatever their access to it."""
        if Transaction().context.get('_spsti_coverage_apply'):
            return
        date = date or Pool().get('ir.date').today()
        with without_check_access():
            cls._follow(records, date)

    @classmethod
    def _follow(cls, records, date):
        current = {}
        for record in records:
            key = cls._key(record)
            if record.__name__ == 'spsti.member':
                team, sector = record.team, record.sector
            else:
                team = record.team
                sector = record.sector or (team.sector if team else None)
            current[key] = (team.id if team else None,
                sector.id if sector else None)
        in_force = cls.in_force(list(current), date)
        targets, ended = {}, []
        for key, (team, sector) in current.items():
            coverage = in_force.get(key)
            if coverage and (coverage.team.id, coverage.sector.id) == (
                    team, sector):
                continue
            if team and sector:
                targets[key] = (team, sector)
            elif coverage:
                ended.append(coverage)
        # A period that would end before it starts did not happen.
        void = [c for c in ended if c.start_date >= date]
        ended = [c for c in ended if c.start_date < date]
        cls.delete(void)
        if ended:
            cls.write(ended, {'end_date': date - dt.timedelta(days=1)})
        cls.move(targets, date)

    @classmethod
    def initialise(cls):
        """Open a coverage for every member and establishment with a team
        and none in force today (those that existed before this module or
        were imported past it), from their membership date when known.
        A rerun finds nothing to do."""
        pool = Pool()
        Member = pool.get('spsti.member')
        Establishment = pool.get('spsti.establishment')
        Date = pool.get('ir.date')
        today = Date.today()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        coverage = cls.__table__()
        member = Member.__table__()
        establishment = Establishment.__table__()
        created = 0
        cursor.execute(*member.join(coverage, 'LEFT',
                condition=(coverage.member == member.id)
                & (coverage.establishment == None)  # noqa: E711
                & _in_force(coverage, today)
                ).select(member.id, member.team, member.sector,
                member.membership_date,
                where=(member.team != None)  # noqa: E711
                & (member.sector != None)  # noqa: E711
                & (coverage.id == None)))  # noqa: E711
        rows = cursor.fetchall()
        for sub in grouped_slice(rows, 1000):
            created += len(cls.create([{
                        'member': m, 'team': t, 'sector': s,
                        'start_date': min(d or today, today),
                        } for m, t, s, d in sub]))
        team_table = pool.get('spsti.team').__table__()
        cursor.execute(*establishment.join(team_table,
                condition=team_table.id == establishment.team
                ).join(member, condition=member.id == establishment.member
                ).join(coverage, 'LEFT',
                condition=(coverage.establishment == establishment.id)
                & _in_force(coverage, today)
                ).select(establishment.member, establishment.id,
                establishment.team, establishment.sector, team_table.sector,
                member.membership_date,
                where=coverage.id == None))  # noqa: E711
        rows = cursor.fetchall()
        for sub in grouped_slice(rows, 1000):
            created += len(cls.create([{
                        'member': m, 'establishment': e, 'team': t,
                        'sector': s or ts,
                        'start_date': min(d or today, today),
                        } for m, e, t, s, ts, d in sub]))
        return created

    @classmethod
    def apply_in_force(cls, date=None):
        """Set the team and sector of the members and establishments to
        the coverage in force on date (today): the reassignments planned
        for a later day take effect on that day. Grouped writes; run daily
        by the scheduler."""
        pool = Pool()
        Member = pool.get('spsti.member')
        Establishment = pool.get('spsti.establishment')
        Date = pool.get('ir.date')
        date = date or Date.today()
        cursor = Transaction().connection.cursor()
        coverage = cls.__table__()
        member = Member.__table__()
        establishment = Establishment.__table__()
        cursor.execute(*coverage.join(member,
                condition=member.id == coverage.member
                ).select(member.id, coverage.team, coverage.sector,
                where=(coverage.establishment == None)  # noqa: E711
                & _in_force(coverage, date)
                & ((member.team != coverage.team)
                    | (member.team == None)  # noqa: E711
                    | (member.sector != coverage.sector)
                    | (member.sector == None))))  # noqa: E711
        member_changes = defaultdict(list)
        for member_id, team, sector in cursor:
            member_changes[(team, sector)].append(member_id)
        cursor.execute(*coverage.join(establishment,
                condition=establishment.id == coverage.establishment
                ).select(establishment.id, coverage.team, coverage.sector,
                where=_in_force(coverage, date)
                & ((establishment.team != coverage.team)
                    | (establishment.team == None)  # noqa: E711
                    | (establishment.sector != coverage.sector)
                    | (establishment.sector == None))))  # noqa: E711
        establishment_changes = defaultdict(list)
        for establishment_id, team, sector in cursor:
            establishment_changes[(team, sector)].append(establishment_id)
        # The coverages are the source here: the write hooks stand aside.
        with Transaction().set_context(_spsti_coverage_apply=True):
            args = []
            for (team, sector), ids in member_changes.items():
                args.extend([Member.browse(ids),
                        {'team': team, 'sector': sector}])
            if args:
                Member.write(*args)
            args = []
            for (team, sector), ids in establishment_changes.items():
                args.extend([Establishment.browse(ids),
                        {'team': team, 'sector': sector}])
            if args:
                Establishment.write(*args)
        return (sum(map(len, member_changes.values()))
            + sum(map(len, establishment_changes.values())))

    @classmethod
    def daily(cls):
        "The scheduled task: open what is missing, apply what is due."
        cls.initialise()
        cls.apply_in_force()


class CoveredMixin:
    """A member or establishment whose team changes are recorded in the
    coverage history."""
    __slots__ = ()

    @classmethod
    def create(cls, vlist):
        records = super().create(vlist)
        Pool().get('spsti.team.coverage').follow(
            [r for r in records if r.team])
        return records

    @classmethod
    def write(cls, *args):
        super().write(*args)
        changed = set()
        actions = iter(args)
        for records, values in zip(actions, actions):
            if values.keys() & {'team', 'sector'}:
                changed.update(records)
        if changed:
            Pool().get('spsti.team.coverage').follow(
                cls.browse(sorted(r.id for r in changed)))

    @classmethod
    def copy(cls, records, default=None):
        default = default.copy() if default else {}
        default.setdefault('coverages', None)
        return super().copy(records, default=default)


class Member(CoveredMixin, metaclass=PoolMeta):
    __name__ = 'spsti.member'
    coverages = fields.One2Many(
        'spsti.team.coverage', 'member', "Team History", readonly=True,
        filter=[('establishment', '=', None)])


class Establishment(CoveredMixin, metaclass=PoolMeta):
    __name__ = 'spsti.establishment'
    coverages = fields.One2Many(
        'spsti.team.coverage', 'establishment', "Team History",
        readonly=True)


class Reassignment(Workflow, ModelSQL, ModelView):
    """Réaffectation d'un portefeuille: on a date, the members (or only
    some of them, or those of some sectors) followed by a team, and the
    establishments it follows on their own, pass to another team."""
    __name__ = 'spsti.team.reassignment'
    __string__ = "Portfolio Reassignment"
    _states = {'readonly': Eval('state') != 'draft'}
    date = fields.Date("Date", required=True, states=_states,
        help="First day followed by the new team.")
    from_team = fields.Many2One(
        'spsti.team', "From Team", required=True, ondelete='RESTRICT',
        states=_states)
    to_team = fields.Many2One(
        'spsti.team', "To Team", required=True, ondelete='RESTRICT',
        domain=[('id', '!=', Eval('from_team', -1))], states=_states)
    members = fields.Many2Many(
        'spsti.team.reassignment-spsti.member', 'reassignment', 'member',
        "Members", states=_states,
        help="Empty: every member the team follows (within the sectors).")
    sectors = fields.Many2Many(
        'spsti.team.reassignment-spsti.sector', 'reassignment', 'sector',
        "Sectors", states=_states,
        help="Empty: whatever their sector.")
    reason = fields.Text("Reason", states=_states)
    opened = fields.One2Many(
        'spsti.team.coverage', 'opened_by', "Coverages Opened",
        readonly=True)
    moved = fields.Integer("Moved", readonly=True,
        help="Members and establishments passed to the new team.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'done')}
        cls._buttons.update({
                'apply': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return (f'{self.from_team.code} → {self.to_team.code} '
            f'{self.date.strftime("%d/%m/%Y")}')

    def portfolio(self):
        """The (member, establishment) keys the from team covers on the
        date, within the members and sectors chosen."""
        pool = Pool()
        Coverage = pool.get('spsti.team.coverage')
        cursor = Transaction().connection.cursor()
        coverage = Coverage.__table__()
        where = (_in_force(coverage, self.date)
            & (coverage.team == self.from_team.id))
        if self.sectors:
            where &= coverage.sector.in_([s.id for s in self.sectors])
        chosen = {m.id for m in self.members}
        cursor.execute(*coverage.select(
                coverage.member, coverage.establishment, where=where))
        return [(m, e) for m, e in cursor if not chosen or m in chosen]

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def apply(cls, reassignments):
        """Close the coverages of the portfolio the day before the date and
        open those of the new team; in force today, the members and
        establishments take the new team at once (else on the day)."""
        pool = Pool()
        Coverage = pool.get('spsti.team.coverage')
        Coverage.initialise()
        for reassignment in reassignments:
            to_team = reassignment.to_team
            keys = reassignment.portfolio()
            if not keys:
                raise ReassignmentError(gettext(
                        'spsti_organisation.msg_reassignment_empty',
                        reassignment=reassignment.rec_name,
                        team=reassignment.from_team.rec_name))
            Coverage.move({k: (to_team.id, to_team.sector.id) for k in keys},
                reassignment.date, reassignment)
            reassignment.moved = len(keys)
        cls.save(reassignments)
        Coverage.apply_in_force()


class ReassignmentMember(ModelSQL):
    __name__ = 'spsti.team.reassignment-spsti.member'
    __string__ = "Reassignment - Member"
    reassignment = fields.Many2One(
        'spsti.team.reassignment', "Reassignment", required=True,
        ondelete='CASCADE')
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')


class ReassignmentSector(ModelSQL):
    __name__ = 'spsti.team.reassignment-spsti.sector'
    __string__ = "Reassignment - Sector"
    reassignment = fields.Many2One(
        'spsti.team.reassignment', "Reassignment", required=True,
        ondelete='CASCADE')
    sector = fields.Many2One(
        'spsti.sector', "Sector", required=True, ondelete='CASCADE')


class ReassignStart(ModelView):
    __name__ = 'spsti.team.reassign.start'
    __string__ = "Reassign a Portfolio"
    date = fields.Date("Date", required=True,
        help="First day followed by the new team.")
    from_team = fields.Many2One('spsti.team', "From Team", required=True)
    to_team = fields.Many2One(
        'spsti.team', "To Team", required=True,
        domain=[('id', '!=', Eval('from_team', -1))])
    members = fields.Many2Many(
        'spsti.member', None, None, "Members",
        domain=[('team', '=', Eval('from_team', -1))],
        help="Empty: every member the team follows (within the sectors).")
    sectors = fields.Many2Many(
        'spsti.sector', None, None, "Sectors",
        help="Empty: whatever their sector.")
    reason = fields.Text("Reason")


class Reassign(Wizard):
    """Réaffecter un portefeuille, in one operation, from a team or from
    a selection of members."""
    __name__ = 'spsti.team.reassign'
    start = StateView('spsti.team.reassign.start',
        'spsti_organisation.reassign_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reassign", 'reassign', 'tryton-ok', default=True),
            ])
    reassign = StateAction('spsti_organisation.act_reassignment')

    def default_start(self, fields):
        Date = Pool().get('ir.date')
        values = {'date': Date.today()}
        if self.model and self.model.__name__ == 'spsti.team' and self.record:
            values['from_team'] = self.record.id
        elif self.model and self.model.__name__ == 'spsti.member':
            teams = {m.team.id for m in self.records if m.team}
            if len(teams) == 1:
                values['from_team'], = teams
                values['members'] = [m.id for m in self.records]
        return values

    def do_reassign(self, action):
        Reassignment = Pool().get('spsti.team.reassignment')
        reassignment = Reassignment(
            date=self.start.date,
            from_team=self.start.from_team,
            to_team=self.start.to_team,
            members=self.start.members,
            sectors=self.start.sectors,
            reason=self.start.reason)
        reassignment.save()
        Reassignment.apply([reassignment])
        return action, {'res_id': [reassignment.id]}
