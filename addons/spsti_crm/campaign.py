"""Campagnes de prévention: a segment of members reached by email (through
marketing_automation), by contents on the portal and by events."""
from collections import defaultdict
from html import escape

from genshi.template import MarkupTemplate
from genshi.template import TemplateError as GenshiTemplateError
from sql import Literal, Null
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import CampaignError

STATES = [
    ('draft', "Draft"),
    ('running', "Running"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
RECIPIENT_STATES = [
    ('waiting', "Waiting"),
    ('sent', "Sent"),
    ('not_sent', "Not sent (no consent or address)"),
    ('unsubscribed', "Unsubscribed"),
    ('cancelled', "Cancelled"),
    ]
_draft = {'readonly': Eval('state') != 'draft'}
_email = {
    'readonly': Eval('state') != 'draft',
    'required': Eval('email', False),
    'invisible': ~Eval('email', False),
    }


class Campaign(Workflow, ModelSQL, ModelView):
    """Campagne de prévention: a theme brought to a segment of members over
    a period, by email to their contacts who consent to it (one email per
    person and campaign, unsubscribe honoured), by contents published on
    their portal, and by events and workshops.

    Launched, the campaign follows its segment: members entering it later
    are reached too, until its end date or its closing."""
    __name__ = 'spsti.crm.campaign'
    __string__ = "Prevention Campaign"
    name = fields.Char("Name", required=True, states=_draft)
    theme = fields.Char("Theme", states=_draft)
    description = fields.Text("Description")
    segment = fields.Many2One(
        'spsti.crm.segment', "Segment", ondelete='RESTRICT',
        states={
            'readonly': _draft['readonly'],
            'required': Eval('email', False) | Eval('portal', False),
            })
    roles = fields.Many2Many(
        'spsti.crm.campaign-spsti.crm.contact.role', 'campaign', 'role',
        "Contact Roles", states=_draft,
        help="The contacts of the members to write to; empty: all.")
    start_date = fields.Date("Start Date", required=True, states=_draft)
    end_date = fields.Date(
        "End Date",
        domain=[If(Eval('end_date'),
                ('end_date', '>=', Eval('start_date')), ())],
        states={'readonly': Eval('state').in_(['done', 'cancelled'])},
        help="The campaign closes after this day.")
    email = fields.Boolean("By Email", states=_draft)
    email_subject = fields.Char("Email Subject", states=_email)
    email_body = fields.Text(
        "Email Body", states=_email,
        help="HTML paragraphs; ${record.name} is the name of the contact. "
        "The links to the contents and to unsubscribe are added.")
    portal = fields.Boolean(
        "On the Portal", states=_draft,
        help="The contents are shown on the portal of the members of the "
        "segment during the campaign.")
    contents = fields.Many2Many(
        'spsti.crm.campaign-spsti.crm.content', 'campaign', 'content',
        "Contents", states=_draft)
    events = fields.One2Many('spsti.crm.event', 'campaign', "Events")
    scenario = fields.Many2One(
        'marketing.automation.scenario', "Marketing Scenario",
        readonly=True, ondelete='RESTRICT')
    email_activity = fields.Many2One(
        'marketing.automation.activity', "Email Activity", readonly=True,
        ondelete='RESTRICT')
    member_count = fields.Function(fields.Integer(
            "Members", help="The members of the segment today."),
        'get_member_count')
    recipient_count = fields.Function(fields.Integer(
            "Email Recipients",
            help="Contacts of these members, with an email address, who "
            "consent to emails today."),
        'get_recipient_counts')
    without_consent_count = fields.Function(fields.Integer(
            "Contacts without Email Consent",
            help="Contacts of these members the email will not reach."),
        'get_recipient_counts')
    sent_count = fields.Function(
        fields.Integer("Emails Sent"), 'get_delivery_counts')
    opened_count = fields.Function(
        fields.Integer("Emails Opened"), 'get_delivery_counts')
    clicked_count = fields.Function(
        fields.Integer("Emails Clicked"), 'get_delivery_counts')
    unsubscribed_count = fields.Function(
        fields.Integer("Unsubscribed"), 'get_delivery_counts')
    recipients = fields.One2Many(
        'spsti.crm.campaign.recipient', 'campaign', "Recipients",
        readonly=True)
    interactions = fields.One2Many(
        'spsti.crm.interaction', 'campaign', "Deliveries", readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'running'),
            ('running', 'done'),
            ('draft', 'cancelled'),
            ('running', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'launch': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'deliver': {
                    'invisible': Eval('state') != 'running',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'running',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'running']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def copy(cls, campaigns, default=None):
        default = default.copy() if default is not None else {}
        for name in ['scenario', 'email_activity', 'events']:
            default.setdefault(name, None)
        default.setdefault('start_date', cls.default_start_date())
        return super().copy(campaigns, default=default)

    @classmethod
    def validate_fields(cls, campaigns, field_names):
        super().validate_fields(campaigns, field_names)
        if field_names & {'email_body', 'contents'}:
            for campaign in campaigns:
                campaign.check_email_body()

    def check_email_body(self):
        "The body, once in its frame, must be a valid template."
        if not self.email_body:
            return
        try:
            MarkupTemplate(self.email_template())
        except GenshiTemplateError as exception:
            raise CampaignError(gettext(
                    'spsti_crm.msg_campaign_email_body',
                    campaign=self.rec_name, error=exception)) from exception

    def email_template(self):
        """The HTML template of the email: the body, the links to the
        contents with an address, and the unsubscribe link (which
        marketing_automation turns into the recipient's own link)."""
        def text(value):
            # Static text: escaped for HTML, and "$" for Genshi.
            return escape(value).replace('$', '$$')
        links = ''.join(
            f'<li><a href="{text(c.url)}">{text(c.name)}</a></li>'
            for c in self.contents if c.url)
        return ('<html xmlns:py="http://genshi.edgewall.org/"><body>'
            f'{self.email_body or ""}'
            + (f'<ul>{links}</ul>' if links else '')
            + '<p style="font-size:small;color:#666666">'
            + text(gettext('spsti_crm.msg_campaign_email_footer'))
            + ' <a href="unsubscribe">'
            + text(gettext('spsti_crm.msg_campaign_email_unsubscribe'))
            + '</a></p></body></html>')

    # Counts

    @classmethod
    def get_member_count(cls, campaigns, name):
        segments = [c.segment for c in campaigns if c.segment]
        counts = Pool().get('spsti.crm.segment').get_member_count(
            segments, name)
        return {c.id: counts[c.segment.id] if c.segment else None
            for c in campaigns}

    @classmethod
    def get_recipient_counts(cls, campaigns, names):
        pool = Pool()
        Contact = pool.get('spsti.crm.contact')
        cursor = Transaction().connection.cursor()
        result = {n: {c.id: None for c in campaigns} for n in names}
        for campaign in campaigns:
            if not campaign.email or not campaign.segment:
                continue
            contact = Contact.__table__()
            recipients = campaign.recipients_query()
            cursor.execute(*contact.select(
                    Count(contact.party, distinct=True),
                    Count(contact.party, distinct=True,
                        filter_=~contact.party.in_(recipients)),
                    where=campaign.contacts_condition(contact)))
            reached, missed = cursor.fetchone()
            if 'recipient_count' in result:
                result['recipient_count'][campaign.id] = reached - missed
            if 'without_consent_count' in result:
                result['without_consent_count'][campaign.id] = missed
        return result

    @classmethod
    def get_delivery_counts(cls, campaigns, names):
        Recipient = Pool().get('spsti.crm.campaign.recipient')
        recipient = Recipient.__table__()
        cursor = Transaction().connection.cursor()
        columns = {
            'sent_count': recipient.state == 'sent',
            'opened_count': recipient.opened == Literal(True),
            'clicked_count': recipient.clicked == Literal(True),
            'unsubscribed_count': recipient.state == 'unsubscribed',
            }
        result = {n: {c.id: 0 for c in campaigns} for n in names}
        for sub in grouped_slice([c.id for c in campaigns], MAX_QUERY_PARAMS):
            cursor.execute(*recipient.select(recipient.campaign,
                    *[Sum(Case((columns[n], 1), else_=0)) for n in names],
                    where=recipient.campaign.in_(list(sub)),
                    group_by=[recipient.campaign]))
            for campaign_id, *counts in cursor:
                for name, count in zip(names, counts):
                    result[name][campaign_id] = count or 0
        return result

    # Recipients

    def contacts_condition(self, contact):
        "SQL: the active contacts with a targeted role of segment members."
        Role = Pool().get('spsti.crm.contact-spsti.crm.contact.role')
        condition = ((contact.active == Literal(True))
            & contact.member.in_(self.segment.members_query()))
        if self.roles:
            role = Role.__table__()
            condition &= contact.id.in_(role.select(role.contact,
                    where=role.role.in_([r.id for r in self.roles])))
        return condition

    def recipients_query(self):
        """SQL of the parties the email goes to today: contacts of the
        segment's members with a targeted role, an email address and a
        consent to emails in force. Those who unsubscribed have withdrawn
        their consent."""
        pool = Pool()
        Contact = pool.get('spsti.crm.contact')
        Consent = pool.get('spsti.crm.consent')
        Mechanism = pool.get('party.contact_mechanism')
        contact = Contact.__table__()
        mechanism = Mechanism.__table__()
        return contact.select(contact.party,
            where=self.contacts_condition(contact)
            & contact.party.in_(Consent.consenting_query('email'))
            & contact.party.in_(mechanism.select(mechanism.party,
                    where=(mechanism.type == 'email')
                    & (mechanism.active == Literal(True))
                    & (mechanism.value != Null) & (mechanism.value != ''))))

    # Workflow

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, campaigns):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('running')
    def launch(cls, campaigns):
        """The email is prepared as a marketing scenario whose domain is the
        campaign's recipients; the first delivery follows at once."""
        Scenario = Pool().get('marketing.automation.scenario')
        for campaign in campaigns:
            campaign.check_launch()
        cls._update_email_activities(
            [c for c in campaigns if c.email_activity])
        cls._create_scenarios(
            [c for c in campaigns if c.email and not c.scenario])
        Scenario.run([c.scenario for c in campaigns
                if c.scenario and c.scenario.state == 'draft'])
        cls._deliver(campaigns)

    def check_launch(self):
        if (self.email or self.portal) and not self.segment:
            raise CampaignError(gettext(
                    'spsti_crm.msg_campaign_no_segment',
                    campaign=self.rec_name))
        if self.portal and not self.contents:
            raise CampaignError(gettext(
                    'spsti_crm.msg_campaign_portal_no_content',
                    campaign=self.rec_name))
        if not (self.email or self.portal or self.events):
            raise CampaignError(gettext(
                    'spsti_crm.msg_campaign_no_channel',
                    campaign=self.rec_name))

    @classmethod
    def _create_scenarios(cls, campaigns):
        pool = Pool()
        Scenario = pool.get('marketing.automation.scenario')
        Activity = pool.get('marketing.automation.activity')
        encoder = PYSONEncoder(sort_keys=True)
        scenarios = Scenario.create([{
                    'name': c.name,
                    'model': 'party.party',
                    'domain': encoder.encode(
                        [('crm_campaigns', '=', c.id)]),
                    'unsubscribable': True,
                    } for c in campaigns])
        activities = Activity.create([{
                    'name': c.email_subject,
                    'parent': str(s),
                    'action': 'send_email',
                    'email_title': c.email_subject,
                    'email_template': c.email_template(),
                    } for c, s in zip(campaigns, scenarios)])
        for campaign, scenario, activity in zip(
                campaigns, scenarios, activities):
            campaign.scenario = scenario
            campaign.email_activity = activity
        cls.save(campaigns)

    @classmethod
    def _update_email_activities(cls, campaigns):
        "A campaign launched again sends its email as edited since."
        Activity = Pool().get('marketing.automation.activity')
        if not campaigns:
            return
        Activity.write(*[x for c in campaigns for x in (
                    [c.email_activity], {
                        'name': c.email_subject,
                        'email_title': c.email_subject,
                        'email_template': c.email_template(),
                        })])

    @classmethod
    @ModelView.button
    def deliver(cls, campaigns):
        "Reach the members who entered the segment since the last delivery."
        cls._deliver([c for c in campaigns if c.state == 'running'])

    @classmethod
    def _deliver(cls, campaigns):
        """Add the new recipients to the email scenario (marketing_automation
        never adds a party twice to a scenario, and its scheduled task sends
        the emails) and publish the contents to the new members. A second
        delivery sends nothing already sent."""
        pool = Pool()
        Scenario = pool.get('marketing.automation.scenario')
        # A delivery by the scheduled task and one by a user wait on each
        # other: the second sees what the first logged.
        cls.lock(campaigns)
        Scenario.trigger([c.scenario for c in campaigns
                if c.scenario and c.scenario.state == 'running'])
        cls._publish([c for c in campaigns if c.portal])

    @classmethod
    def _publish(cls, campaigns):
        """One interaction per member of the segment not yet reached: the
        member's portal shows the campaign's contents (portal_contents)."""
        pool = Pool()
        Member = pool.get('spsti.member')
        Interaction = pool.get('spsti.crm.interaction')
        interaction = Interaction.__table__()
        for campaign in campaigns:
            member = Member.__table__()
            # The portal publication is the campaign interaction without
            # contact: emails are logged with the person they went to.
            published = interaction.select(interaction.member,
                where=(interaction.campaign == campaign.id)
                & (interaction.kind == 'campaign')
                & (interaction.contact == Null))
            Interaction.log_query(member.select(
                    member.id.as_('member'), Literal(None).as_('contact'),
                    where=member.id.in_(campaign.segment.members_query())
                    & ~member.id.in_(published)), {
                    'kind': 'campaign',
                    'subject': gettext('spsti_crm.msg_campaign_published',
                        campaign=campaign.name),
                    'campaign': campaign.id,
                    })

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def close(cls, campaigns):
        cls._stop_scenarios(campaigns)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, campaigns):
        """The email stops: the recipients not sent yet will not be; a
        relaunch never sends twice to the same person."""
        Scenario = Pool().get('marketing.automation.scenario')
        cls._stop_scenarios(campaigns)
        Scenario.draft([c.scenario for c in campaigns
                if c.scenario and c.scenario.state == 'stopped'])

    @classmethod
    def _stop_scenarios(cls, campaigns):
        pool = Pool()
        Scenario = pool.get('marketing.automation.scenario')
        RecordActivity = pool.get('marketing.automation.record.activity')
        scenarios = [c.scenario for c in campaigns
            if c.scenario and c.scenario.state == 'running']
        Scenario.stop(scenarios)
        RecordActivity.cancel(RecordActivity.search([
                    ('record.scenario', 'in', [s.id for s in scenarios]),
                    ('state', '=', 'waiting'),
                    ]))

    @classmethod
    def deliver_running(cls):
        """Scheduled task: close the campaigns past their end date, deliver
        the others to the members who entered their segment."""
        today = Pool().get('ir.date').today()
        running = cls.search([('state', '=', 'running')])
        cls.close([c for c in running if c.end_date and c.end_date < today])
        cls._deliver([c for c in running
                if not c.end_date or c.end_date >= today])

    # For the deliveries and the portal

    @classmethod
    def log_deliveries(cls, record_activities):
        """Log on each member one interaction per person a campaign email
        was sent to (record activities just done, in a batch of the
        marketing scheduled task)."""
        pool = Pool()
        Contact = pool.get('spsti.crm.contact')
        Email = pool.get('ir.email')
        Interaction = pool.get('spsti.crm.interaction')
        cursor = Transaction().connection.cursor()
        by_activity = defaultdict(list)
        for record_activity in record_activities:
            by_activity[record_activity.activity.id].append(record_activity)
        for campaign in cls.search([
                    ('email_activity', 'in', list(by_activity)),
                    ]):
            done = by_activity[campaign.email_activity.id]
            records = {r.record.id: r.record for r in done}
            email = Email.__table__()
            sent = set()
            for sub in grouped_slice(list(records), MAX_QUERY_PARAMS):
                cursor.execute(*email.select(
                        email.marketing_automation_record,
                        where=email.marketing_automation_record.in_(list(sub))
                        & (email.marketing_automation_activity
                            == campaign.email_activity.id)))
                sent.update(r for r, in cursor)
            parties = [records[r].record.marketing_party.id for r in sent]
            for sub in grouped_slice(parties, MAX_QUERY_PARAMS):
                contact = Contact.__table__()
                Interaction.log_query(contact.select(
                        contact.member.as_('member'),
                        contact.party.as_('contact'),
                        where=campaign.contacts_condition(contact)
                        & contact.party.in_(list(sub))), {
                        'kind': 'campaign',
                        'subject': campaign.email_subject,
                        'campaign': campaign.id,
                        })

    @classmethod
    def portal_contents(cls, member_ids, date=None):
        """{member id: [content ids]} of the running portal campaigns of
        date whose segment holds the member."""
        pool = Pool()
        Member = pool.get('spsti.member')
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        date = date or pool.get('ir.date').today()
        result = defaultdict(list)
        for campaign in cls.search([
                    ('state', '=', 'running'),
                    ('portal', '=', True),
                    ('start_date', '<=', date),
                    ['OR',
                        ('end_date', '=', None),
                        ('end_date', '>=', date)],
                    ]):
            contents = [c.id for c in campaign.contents]
            query = campaign.segment.members_query(date)
            for sub in grouped_slice(member_ids, MAX_QUERY_PARAMS):
                cursor.execute(*member.select(member.id,
                        where=member.id.in_(list(sub))
                        & member.id.in_(query)))
                for member_id, in cursor:
                    result[member_id].extend(contents)
        return result


class CampaignRole(ModelSQL):
    __name__ = 'spsti.crm.campaign-spsti.crm.contact.role'
    __string__ = "Campaign - Contact Role"
    campaign = fields.Many2One(
        'spsti.crm.campaign', "Campaign", required=True, ondelete='CASCADE')
    role = fields.Many2One(
        'spsti.crm.contact.role', "Role", required=True,
        ondelete='RESTRICT')


class CampaignContent(ModelSQL):
    __name__ = 'spsti.crm.campaign-spsti.crm.content'
    __string__ = "Campaign - Content"
    campaign = fields.Many2One(
        'spsti.crm.campaign', "Campaign", required=True, ondelete='CASCADE')
    content = fields.Many2One(
        'spsti.crm.content', "Content", required=True, ondelete='RESTRICT')


class CampaignRecipient(ModelSQL, ModelView):
    """Destinataire d'une campagne: a person the campaign's email was
    meant for, with what became of it (sent, opened, clicked,
    unsubscribed), read from marketing_automation."""
    __name__ = 'spsti.crm.campaign.recipient'
    __string__ = "Campaign Recipient"
    campaign = fields.Many2One('spsti.crm.campaign', "Campaign")
    party = fields.Many2One('party.party', "Person")
    state = fields.Selection(RECIPIENT_STATES, "State")
    date = fields.DateTime("Date", help="When it was sent or cancelled.")
    opened = fields.Boolean("Opened")
    clicked = fields.Boolean("Clicked")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC NULLS FIRST'), ('id', 'DESC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Campaign = pool.get('spsti.crm.campaign')
        Record = pool.get('marketing.automation.record')
        RecordActivity = pool.get('marketing.automation.record.activity')
        Email = pool.get('ir.email')
        Party = pool.get('party.party')
        campaign = Campaign.__table__()
        record = Record.__table__()
        activity = RecordActivity.__table__()
        email = Email.__table__()
        sent = record.id.in_(email.select(email.marketing_automation_record,
                where=email.marketing_automation_record != Null))
        state = Case(
            (record.blocked == Literal(True), 'unsubscribed'),
            (sent, 'sent'),
            (activity.state == 'waiting', 'waiting'),
            (activity.state == 'cancelled', 'cancelled'),
            else_='not_sent')
        return record.join(campaign,
            condition=campaign.scenario == record.scenario
            ).join(activity, 'LEFT',
            condition=(activity.record == record.id)
            & (activity.activity == campaign.email_activity)
            ).select(
            record.id.as_('id'),
            campaign.id.as_('campaign'),
            Record.record.sql_id(record.record, Party).as_('party'),
            state.as_('state'),
            Case((activity.state != 'waiting', activity.at),
                else_=Null).as_('date'),
            Coalesce(activity.email_opened, Literal(False)).as_('opened'),
            Coalesce(activity.email_clicked, Literal(False)).as_('clicked'))
