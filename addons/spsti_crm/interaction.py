"""Historique des échanges: every contact between the service and a member
(calls, emails, meetings, portal events, campaign deliveries, event
participations), listed on the member newest first."""
import datetime as dt

from sql import Column, Literal, Null
from sql.functions import CurrentTimestamp

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

KINDS = [
    ('call', "Phone Call"),
    ('email', "Email"),
    ('meeting', "Meeting"),
    ('letter', "Letter"),
    ('portal', "Portal Event"),
    ('campaign', "Campaign Delivery"),
    ('event', "Event Participation"),
    ('other', "Other"),
    ]
DIRECTIONS = [
    (None, ""),
    ('inbound', "From the member"),
    ('outbound', "From the service"),
    ]


class Interaction(ModelSQL, ModelView):
    """Échange avec un adhérent: dated, of a kind, with the contact person
    when known, the campaign or event it comes from. Company relations
    only: a note never holds health data."""
    __name__ = 'spsti.crm.interaction'
    __string__ = "Interaction"
    date = fields.DateTime("Date", required=True)
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')
    contact = fields.Many2One(
        'party.party', "Contact", ondelete='SET NULL',
        domain=[('crm_contacts.member', '=', Eval('member', -1))])
    kind = fields.Selection(KINDS, "Kind", required=True)
    direction = fields.Selection(DIRECTIONS, "Direction")
    subject = fields.Char("Subject", required=True)
    description = fields.Text(
        "Description",
        help="What was said or done. Never any health data of an "
        "employee.")
    campaign = fields.Many2One(
        'spsti.crm.campaign', "Campaign", readonly=True,
        ondelete='SET NULL')
    event = fields.Many2One(
        'spsti.crm.event', "Event", readonly=True, ondelete='SET NULL')
    user = fields.Many2One('res.user', "User", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.member, Index.Equality()),
                    (t.date, Index.Range(order='DESC'))),
                Index(t, (t.campaign, Index.Equality()),
                    where=t.campaign != Null),
                Index(t, (t.event, Index.Equality()),
                    where=t.event != Null),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return dt.datetime.now()

    @classmethod
    def default_user(cls):
        return Transaction().user or None

    @classmethod
    def default_direction(cls):
        return 'outbound'

    def get_rec_name(self, name):
        return f'{self.subject} ({self.member.rec_name})'

    @classmethod
    def log_query(cls, query, values):
        """Log one interaction per row of query, whose columns are named
        member and contact, all with the same values, in one INSERT ...
        SELECT: batches log tens of thousands of members at once. The
        caller's query excludes what is already logged."""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        values = {
            'date': dt.datetime.now(),
            'user': transaction.user or None,
            'direction': 'outbound',
            **values,
            }
        # Constants are sent once; NULL ones are left to the column, as
        # an untyped NULL parameter would not insert on PostgreSQL.
        names = sorted(n for n, v in values.items() if v is not None)
        columns = [table.member, table.contact, table.create_uid,
            table.create_date] + [Column(table, n) for n in names]
        cursor.execute(*table.insert(columns, query.select(
                    cls.member.sql_cast(Column(query, 'member')),
                    cls.contact.sql_cast(Column(query, 'contact')),
                    Literal(transaction.user), CurrentTimestamp(),
                    *[Literal(cls._fields[n].sql_format(values[n]))
                        for n in names])))

    @classmethod
    def members_reached(cls, campaign_ids):
        "SQL of the members with an interaction of one of the campaigns."
        table = cls.__table__()
        return table.select(table.member,
            where=table.campaign.in_(campaign_ids))
