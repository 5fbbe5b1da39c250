"""Bibliothèque de prévention: documents, videos and links the teams
produce or select, tagged by risk and sector, for campaigns and the
portal."""
from collections import defaultdict

from sql import Null

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import ContentValidationError
from .tools import ancestors, in_force

KINDS = [
    ('document', "Document"),
    ('video', "Video"),
    ('link', "Link"),
    ('slideshow', "Slideshow"),
    ('podcast', "Podcast"),
    ('poster', "Poster"),
    ]
AUDIENCES = [
    ('all', "Employers and employees"),
    ('employer', "Employers"),
    ('employee', "Employees"),
    ]
# Kinds shown from their address rather than from an attached file.
URL_KINDS = {'video', 'link', 'podcast'}


class Content(DeactivableMixin, ModelSQL, ModelView):
    """Contenu de prévention: a document (attached file), a video or a
    link, with its audience, tagged with the risks and NAF activities it
    is about. A content without tag is for everyone."""
    __name__ = 'spsti.crm.content'
    __string__ = "Prevention Content"
    name = fields.Char("Title", required=True)
    kind = fields.Selection(KINDS, "Kind", required=True)
    description = fields.Text("Description")
    url = fields.Char(
        "Address", states={'required': Eval('kind').in_(list(URL_KINDS))},
        help="Where the video, the podcast or the page is published.")
    documents = fields.One2Many('ir.attachment', 'resource', "Files")
    audience = fields.Selection(AUDIENCES, "Audience", required=True)
    source = fields.Char(
        "Source", help="Who produced it: the service, INRS, CARSAT…")
    publication_date = fields.Date("Publication Date")
    portal = fields.Boolean(
        "On the Portal",
        help="Shown in the portal to the members it concerns.")
    risks = fields.Many2Many(
        'spsti.crm.content-spsti.risk', 'content', 'risk', "Risks",
        help="The content concerns members exposing workers to these risks "
        "(or to a risk under them).")
    activities = fields.Many2Many(
        'spsti.crm.content-spsti.activity', 'content', 'activity',
        "Sectors (NAF)",
        help="The content concerns the establishments of these activities "
        "(a section or division covers its sub-classes).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('publication_date', 'DESC NULLS LAST'), ('name', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def default_kind(cls):
        return 'document'

    @classmethod
    def default_audience(cls):
        return 'all'

    @classmethod
    def default_portal(cls):
        return True

    @classmethod
    def validate_fields(cls, contents, field_names):
        super().validate_fields(contents, field_names)
        if field_names & {'url'}:
            for content in contents:
                content.check_url()

    def check_url(self):
        if self.url and not self.url.startswith(('https://', 'http://')):
            raise ContentValidationError(gettext(
                    'spsti_crm.msg_content_url',
                    content=self.rec_name, url=self.url))

    @classmethod
    def for_members(cls, members, date=None, audience=None, portal=True):
        """{member id: [contents]} the contents that concern each member:
        those of its sectors (NAF activities of its active establishments),
        of the risks its workers are exposed to on date, those without any
        tag, and those of the running portal campaigns whose segment holds
        the member. audience filters employer or employee contents; portal
        keeps only contents published on the portal."""
        pool = Pool()
        Campaign = pool.get('spsti.crm.campaign')
        date = date or pool.get('ir.date').today()
        domain = []
        if portal:
            domain.append(('portal', '=', True))
        if audience:
            domain.append(('audience', 'in', ['all', audience]))
        contents = cls.search(domain)
        tags = {c.id: ({a.id for a in c.activities}, {r.id for r in c.risks})
            for c in contents}
        member_ids = [m.id for m in members]
        activities = cls._member_tags(member_ids, 'activities', date)
        risks = cls._member_tags(member_ids, 'risks', date)
        campaigns = Campaign.portal_contents(member_ids, date)
        extra = [c for c in cls.browse(sorted(
                    set().union(*campaigns.values())
                    - {c.id for c in contents}))
            if c.active and (not audience or c.audience in {'all', audience})]
        candidates = contents + extra
        result = {}
        for member_id in member_ids:
            matched = set(campaigns.get(member_id, []))
            member_activities = activities.get(member_id, set())
            member_risks = risks.get(member_id, set())
            for content in contents:
                content_activities, content_risks = tags[content.id]
                if ((not content_activities and not content_risks)
                        or content_activities & member_activities
                        or content_risks & member_risks):
                    matched.add(content.id)
            result[member_id] = [c for c in candidates if c.id in matched]
        return result

    @classmethod
    def _member_tags(cls, member_ids, kind, date):
        """{member id: ids} of the activities of the active establishments
        or of the risks of the exposures in force on date, with all their
        parents, so that a tag matches its sub-codes."""
        pool = Pool()
        Establishment = pool.get('spsti.establishment')
        Assignment = pool.get('spsti.assignment')
        Exposure = pool.get('spsti.assignment.exposure')
        Model = pool.get('spsti.activity' if kind == 'activities'
            else 'spsti.risk')
        cursor = Transaction().connection.cursor()
        codes = defaultdict(set)
        for sub in grouped_slice(member_ids, MAX_QUERY_PARAMS):
            sub = list(sub)
            if kind == 'activities':
                establishment = Establishment.__table__()
                query = establishment.select(
                    establishment.member, establishment.activity,
                    where=establishment.member.in_(sub)
                    & (establishment.active == True)  # noqa: E712
                    & (establishment.activity != Null),
                    group_by=[establishment.member, establishment.activity])
            else:
                assignment = Assignment.__table__()
                exposure = Exposure.__table__()
                query = exposure.join(assignment,
                    condition=exposure.assignment == assignment.id
                    ).select(assignment.member, exposure.risk,
                    where=assignment.member.in_(sub)
                    & in_force(assignment, date) & in_force(exposure, date),
                    group_by=[assignment.member, exposure.risk])
            cursor.execute(*query)
            for member_id, code in cursor:
                codes[member_id].add(code)
        records = {r.id: r for r in Model.browse(
                list(set().union(*codes.values())))}
        return {m: ancestors(records[i] for i in ids)
            for m, ids in codes.items()}


class ContentRisk(ModelSQL):
    __name__ = 'spsti.crm.content-spsti.risk'
    __string__ = "Content - Risk"
    content = fields.Many2One(
        'spsti.crm.content', "Content", required=True, ondelete='CASCADE')
    risk = fields.Many2One(
        'spsti.risk', "Risk", required=True, ondelete='RESTRICT')


class ContentActivity(ModelSQL):
    __name__ = 'spsti.crm.content-spsti.activity'
    __string__ = "Content - Activity"
    content = fields.Many2One(
        'spsti.crm.content', "Content", required=True, ondelete='CASCADE')
    activity = fields.Many2One(
        'spsti.activity', "Activity", required=True, ondelete='RESTRICT')
