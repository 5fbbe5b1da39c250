"""Segments: saved filters of members, evaluated in one SQL query, that
campaigns target."""
import operator
from functools import reduce

from dateutil.relativedelta import relativedelta
from sql import Literal
from sql.aggregate import Count, Max
from sql.conditionals import Case, Coalesce

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.modules.spsti_adherent.member import STATES as MEMBER_STATES
from trytond.modules.spsti_dmst.company_sheet import CULTURE_QUESTIONS
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import SegmentValidationError
from .tools import descendants, in_force

CAMPAIGN_RULES = [
    ('reached', "Reached by one of them"),
    ('not_reached', "Reached by none of them"),
    ]


def culture_yes_counts(minimum, maximum):
    """The numbers of yes answers (0 to 6) whose prevention-culture score,
    rounded as the company sheet shows it, lies between minimum and
    maximum."""
    questions = len(CULTURE_QUESTIONS)
    return [n for n in range(questions + 1)
        if (minimum is None or round(n * 5 / questions, 1) >= minimum)
        and (maximum is None or round(n * 5 / questions, 1) <= maximum)]


class Segment(DeactivableMixin, ModelSQL, ModelView):
    """Segment: a saved filter of members by state, sector, team, NAF
    activity, workforce, follow-up categories, risks of the workforce, age
    of the company risk sheet, prevention-culture score and campaign
    history. Criteria left empty do not filter; filled ones all apply.
    Evaluated at each use: members entering or leaving it are followed."""
    __name__ = 'spsti.crm.segment'
    __string__ = "Segment"
    name = fields.Char("Name", required=True)
    description = fields.Text("Description")
    member_states = fields.MultiSelection(
        MEMBER_STATES, "Member States",
        help="Empty: members in any state.")
    sectors = fields.Many2Many(
        'spsti.crm.segment-spsti.sector', 'segment', 'sector', "Sectors")
    teams = fields.Many2Many(
        'spsti.crm.segment-spsti.team', 'segment', 'team', "Teams",
        help="Members followed by one of these teams (the member's or one "
        "of its establishments').")
    activities = fields.Many2Many(
        'spsti.crm.segment-spsti.activity', 'segment', 'activity',
        "Activities (NAF)",
        help="Members with an active establishment of one of these "
        "activities (a section or a division covers its sub-classes).")
    workforce_min = fields.Integer(
        "Workforce From",
        domain=['OR', ('workforce_min', '=', None),
            ('workforce_min', '>=', 0)],
        help="Employees with an assignment in force today.")
    workforce_max = fields.Integer(
        "Workforce Up To",
        domain=['OR', ('workforce_max', '=', None),
            [('workforce_max', '>=', 0),
                If(Bool(Eval('workforce_min')),
                    ('workforce_max', '>=', Eval('workforce_min', 0)),
                    ())]])
    categories = fields.Many2Many(
        'spsti.crm.segment-spsti.follow_up.category', 'segment', 'category',
        "Follow-up Categories",
        help="Members with at least one assignment in force in one of "
        "these categories.")
    risks = fields.Many2Many(
        'spsti.crm.segment-spsti.risk', 'segment', 'risk', "Risks",
        help="Members with at least one worker exposed today to one of "
        "these risks (or to a risk under them).")
    sheet_missing = fields.Boolean(
        "Without Company Risk Sheet",
        help="Members with an active establishment that has no validated "
        "company risk sheet.")
    sheet_older_than = fields.Integer(
        "Company Risk Sheet Older Than (months)",
        domain=['OR', ('sheet_older_than', '=', None),
            ('sheet_older_than', '>', 0)],
        help="Members with an active establishment whose latest validated "
        "company risk sheet is older than this, or missing.")
    culture_score_min = fields.Float(
        "Prevention Culture From", digits=(1, 1),
        domain=['OR', ('culture_score_min', '=', None),
            [('culture_score_min', '>=', 0), ('culture_score_min', '<=', 5)]],
        help="Score (0 to 5) of the latest validated company risk sheet of "
        "an establishment.")
    culture_score_max = fields.Float(
        "Prevention Culture Up To", digits=(1, 1),
        domain=['OR', ('culture_score_max', '=', None),
            [('culture_score_max', '>=', 0), ('culture_score_max', '<=', 5),
                If(Bool(Eval('culture_score_min')),
                    ('culture_score_max', '>=', Eval('culture_score_min', 0)),
                    ())]])
    campaigns = fields.Many2Many(
        'spsti.crm.segment-spsti.crm.campaign', 'segment', 'campaign',
        "Campaigns")
    campaign_rule = fields.Selection(
        CAMPAIGN_RULES, "Campaign History",
        states={'required': Bool(Eval('campaigns'))},
        help="Members a campaign reached have an interaction of it "
        "(delivery, publication, participation).")
    member_count = fields.Function(
        fields.Integer("Members", help="The members in the segment today."),
        'get_member_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_member_states(cls):
        return ['member']

    @classmethod
    def default_campaign_rule(cls):
        return 'reached'

    @classmethod
    def validate_fields(cls, segments, field_names):
        super().validate_fields(segments, field_names)
        for segment in segments:
            segment.check_campaigns()

    def check_campaigns(self):
        "A segment cannot select on the history of a campaign it feeds."
        if any(c.segment == self for c in self.campaigns):
            raise SegmentValidationError(gettext(
                    'spsti_crm.msg_segment_own_campaign',
                    segment=self.rec_name))

    def members_query(self, date=None):
        """SQL of the ids of the members in the segment on date (today by
        default): one query, whatever the number of members."""
        pool = Pool()
        Member = pool.get('spsti.member')
        Establishment = pool.get('spsti.establishment')
        Assignment = pool.get('spsti.assignment')
        Exposure = pool.get('spsti.assignment.exposure')
        Sheet = pool.get('spsti.company_sheet')
        Interaction = pool.get('spsti.crm.interaction')
        Activity = pool.get('spsti.activity')
        Risk = pool.get('spsti.risk')
        date = date or pool.get('ir.date').today()
        member = Member.__table__()
        where = Literal(True)

        if self.member_states:
            where &= member.state.in_(list(self.member_states))
        if self.sectors:
            where &= member.sector.in_([s.id for s in self.sectors])
        if self.teams:
            ids = [t.id for t in self.teams]
            establishment = Establishment.__table__()
            where &= (member.team.in_(ids)
                | member.id.in_(establishment.select(establishment.member,
                        where=establishment.team.in_(ids)
                        & active(establishment))))
        if self.activities:
            establishment = Establishment.__table__()
            where &= member.id.in_(establishment.select(establishment.member,
                    where=establishment.activity.in_(
                        descendants(Activity, self.activities))
                    & active(establishment)))
        if self.workforce_min or self.workforce_max is not None:
            where &= self._workforce_condition(member, date)
        if self.categories:
            assignment = Assignment.__table__()
            where &= member.id.in_(assignment.select(assignment.member,
                    where=in_force(assignment, date)
                    & Coalesce(assignment.category_override,
                        assignment.category).in_(
                        [c.id for c in self.categories])))
        if self.risks:
            assignment = Assignment.__table__()
            exposure = Exposure.__table__()
            where &= member.id.in_(exposure.join(assignment,
                    condition=exposure.assignment == assignment.id
                    ).select(assignment.member,
                    where=exposure.risk.in_(descendants(Risk, self.risks))
                    & in_force(assignment, date)
                    & in_force(exposure, date)))
        if self.sheet_missing or self.sheet_older_than:
            establishment = Establishment.__table__()
            sheet = Sheet.__table__()
            recent = (sheet.state == 'validated') & (sheet.date <= date)
            # Without any sheet is also older than any age: both criteria
            # together select the missing ones.
            if self.sheet_older_than and not self.sheet_missing:
                recent &= sheet.date > (
                    date - relativedelta(months=self.sheet_older_than))
            where &= member.id.in_(establishment.select(establishment.member,
                    where=active(establishment)
                    & ~establishment.id.in_(sheet.select(
                            sheet.establishment, where=recent))))
        if (self.culture_score_min is not None
                or self.culture_score_max is not None):
            where &= self._culture_condition(member, date)
        if self.campaigns:
            reached = member.id.in_(Interaction.members_reached(
                    [c.id for c in self.campaigns]))
            where &= reached if self.campaign_rule == 'reached' else ~reached
        return member.select(member.id, where=where)

    def _workforce_condition(self, member, date):
        "The number of employees in force lies within the bounds."
        Assignment = Pool().get('spsti.assignment')
        assignment = Assignment.__table__()
        workforce = Count(assignment.employee, distinct=True)

        def members(having):
            return assignment.select(assignment.member,
                where=in_force(assignment, date),
                group_by=[assignment.member], having=having)
        if self.workforce_min:
            having = workforce >= self.workforce_min
            if self.workforce_max is not None:
                having &= workforce <= self.workforce_max
            return member.id.in_(members(having))
        # Members without anyone in force have a workforce of 0.
        return ~member.id.in_(members(workforce > self.workforce_max))

    def _culture_condition(self, member, date):
        """An active establishment's latest validated sheet scores within
        the bounds."""
        pool = Pool()
        Sheet = pool.get('spsti.company_sheet')
        Establishment = pool.get('spsti.establishment')
        sheet = Sheet.__table__()
        latest = Sheet.__table__()
        establishment = Establishment.__table__()
        validated = (latest.state == 'validated') & (latest.date <= date)
        last = latest.select(latest.establishment,
            Max(latest.version).as_('version'),
            where=validated, group_by=[latest.establishment])
        yes = reduce(operator.add, (
                Case((getattr(sheet, q) == Literal(True), 1), else_=0)
                for q in CULTURE_QUESTIONS))
        counts = culture_yes_counts(
            self.culture_score_min, self.culture_score_max)
        query = sheet.join(last,
            condition=(sheet.establishment == last.establishment)
            & (sheet.version == last.version)
            ).join(establishment,
            condition=establishment.id == sheet.establishment
            ).select(establishment.member,
            where=active(establishment) & yes.in_(counts or [-1]))
        return member.id.in_(query)

    @classmethod
    def get_member_count(cls, segments, name):
        cursor = Transaction().connection.cursor()
        result = {}
        for segment in segments:
            query = segment.members_query()
            cursor.execute(*query.select(Count()))
            result[segment.id], = cursor.fetchone()
        return result

    @classmethod
    def segments_of(cls, members, segments=None, date=None):
        """{member id: [segment ids]} of the active segments (or of
        segments) holding each member."""
        Member = Pool().get('spsti.member')
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        segments = cls.search([]) if segments is None else segments
        result = {m.id: [] for m in members}
        for segment in segments:
            query = segment.members_query(date)
            for sub in grouped_slice(list(result), MAX_QUERY_PARAMS):
                cursor.execute(*member.select(member.id,
                        where=member.id.in_(list(sub))
                        & member.id.in_(query)))
                for member_id, in cursor:
                    result[member_id].append(segment.id)
        return result


def active(establishment):
    return establishment.active == Literal(True)


class SegmentSector(ModelSQL):
    __name__ = 'spsti.crm.segment-spsti.sector'
    __string__ = "Segment - Sector"
    segment = fields.Many2One(
        'spsti.crm.segment', "Segment", required=True, ondelete='CASCADE')
    sector = fields.Many2One(
        'spsti.sector', "Sector", required=True, ondelete='CASCADE')


class SegmentTeam(ModelSQL):
    __name__ = 'spsti.crm.segment-spsti.team'
    __string__ = "Segment - Team"
    segment = fields.Many2One(
        'spsti.crm.segment', "Segment", required=True, ondelete='CASCADE')
    team = fields.Many2One(
        'spsti.team', "Team", required=True, ondelete='CASCADE')


class SegmentActivity(ModelSQL):
    __name__ = 'spsti.crm.segment-spsti.activity'
    __string__ = "Segment - Activity"
    segment = fields.Many2One(
        'spsti.crm.segment', "Segment", required=True, ondelete='CASCADE')
    activity = fields.Many2One(
        'spsti.activity', "Activity", required=True, ondelete='RESTRICT')


class SegmentCategory(ModelSQL):
    __name__ = 'spsti.crm.segment-spsti.follow_up.category'
    __string__ = "Segment - Follow-up Category"
    segment = fields.Many2One(
        'spsti.crm.segment', "Segment", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'spsti.follow_up.category', "Category", required=True,
        ondelete='CASCADE')


class SegmentRisk(ModelSQL):
    __name__ = 'spsti.crm.segment-spsti.risk'
    __string__ = "Segment - Risk"
    segment = fields.Many2One(
        'spsti.crm.segment', "Segment", required=True, ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='RESTRICT')


class SegmentCampaign(ModelSQL):
    __name__ = 'spsti.crm.segment-spsti.crm.campaign'
    __string__ = "Segment - Campaign"
    segment = fields.Many2One(
        'spsti.crm.segment', "Segment", required=True, ondelete='CASCADE')
    campaign = fields.Many2One(
        'spsti.crm.campaign', "Campaign", required=True, ondelete='CASCADE')
