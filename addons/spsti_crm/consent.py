"""Consentements RGPD: what a person agreed to receive from the service, by
channel, with the date and source of the consent and of its withdrawal."""
from sql import Null

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import ConsentValidationError

CHANNELS = [
    ('email', "Email"),
    ('phone', "Phone"),
    ('sms', "SMS"),
    ('post', "Post"),
    ]
SOURCES = [
    ('form', "Signed form"),
    ('email', "Email reply"),
    ('phone', "Phone call"),
    ('meeting', "Meeting"),
    ('portal', "Portal"),
    ('event', "Event registration"),
    ('import', "Import"),
    ]
WITHDRAWAL_SOURCES = [
    (None, ""),
    ('unsubscribe', "Unsubscribe link"),
    ('request', "Request of the person"),
    ('portal', "Portal"),
    ]


class Consent(ModelSQL, ModelView):
    """Consentement: a person agreed to receive the service's prevention
    messages on a channel, on a date, through a source. A withdrawal closes
    it for good: a new consent is a new record, so the history proves what
    was allowed when."""
    __name__ = 'spsti.crm.consent'
    __string__ = "Consent"
    party = fields.Many2One(
        'party.party', "Person", required=True, ondelete='CASCADE')
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    date = fields.Date("Date", required=True)
    source = fields.Selection(SOURCES, "Source", required=True)
    note = fields.Char("Note", help="Reference of the form, of the call…")
    withdrawal_date = fields.Date(
        "Withdrawal Date",
        domain=[If(Eval('withdrawal_date') & Eval('date'),
                ('withdrawal_date', '>=', Eval('date')), ())],
        states={'required': Bool(Eval('withdrawal_source'))})
    withdrawal_source = fields.Selection(
        WITHDRAWAL_SOURCES, "Withdrawal Source",
        states={'required': Bool(Eval('withdrawal_date'))})
    state = fields.Function(fields.Selection([
                ('given', "Given"),
                ('withdrawn', "Withdrawn"),
                ], "State"), 'get_state', searcher='search_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.party, Index.Equality()), (t.channel, Index.Equality()),
                where=t.withdrawal_date == Null))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'withdraw': {
                    'invisible': Bool(Eval('withdrawal_date')),
                    'icon': 'tryton-cancel',
                    'depends': ['withdrawal_date'],
                    },
                })

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_channel(cls):
        return 'email'

    def get_rec_name(self, name):
        channel = self.fields_get(['channel'])['channel']['selection']
        return f'{self.party.rec_name} - {dict(channel)[self.channel]}'

    def get_state(self, name):
        return 'withdrawn' if self.withdrawal_date else 'given'

    @classmethod
    def search_state(cls, name, clause):
        _, operator, value = clause
        given = (operator == '=') == (value == 'given')
        return [('withdrawal_date', '=' if given else '!=', None)]

    @classmethod
    def validate_fields(cls, consents, field_names):
        super().validate_fields(consents, field_names)
        if field_names & {'party', 'channel', 'withdrawal_date'}:
            cls.check_one_open(consents)

    @classmethod
    def check_one_open(cls, consents):
        "A person has at most one consent in force per channel."
        open_ = [c for c in consents if not c.withdrawal_date]
        for sub in grouped_slice(open_, MAX_QUERY_PARAMS // 2):
            sub = list(sub)
            others = cls.search([
                    ('party', 'in', [c.party.id for c in sub]),
                    ('withdrawal_date', '=', None),
                    ('id', 'not in', [c.id for c in sub]),
                    ])
            seen = {(c.party, c.channel) for c in others}
            for consent in sub:
                key = (consent.party, consent.channel)
                if key in seen:
                    raise ConsentValidationError(gettext(
                            'spsti_crm.msg_consent_already_open',
                            consent=consent.rec_name))
                seen.add(key)

    @classmethod
    def consenting_query(cls, channel, date=None):
        "SQL of the parties whose consent on channel is in force on date."
        date = date or Pool().get('ir.date').today()
        table = cls.__table__()
        return table.select(table.party,
            where=(table.channel == channel)
            & (table.date <= date)
            & ((table.withdrawal_date == Null)
                | (table.withdrawal_date > date)))

    @classmethod
    def consenting(cls, parties, channel, date=None):
        "The ids of the parties that consent to channel on date."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        consenting = cls.consenting_query(channel, date)
        result = set()
        for sub in grouped_slice([p.id for p in parties], MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.party,
                    where=table.party.in_(list(sub))
                    & table.party.in_(consenting)))
            result.update(p for p, in cursor)
        return result

    @classmethod
    def give(cls, parties, channel, source, date=None, note=None):
        """Record the consent of parties on channel, for those without one
        in force; returns the new consents."""
        date = date or Pool().get('ir.date').today()
        already = cls.consenting(parties, channel, date)
        return cls.create([{
                    'party': p.id,
                    'channel': channel,
                    'date': date,
                    'source': source,
                    'note': note,
                    } for p in {p.id: p for p in parties}.values()
                if p.id not in already])

    @classmethod
    def withdraw_consents(cls, parties, channel, source, date=None):
        """Close the consents of parties on channel: nothing will be sent to
        them on it any more."""
        date = date or Pool().get('ir.date').today()
        for sub in grouped_slice([p.id for p in parties], MAX_QUERY_PARAMS):
            consents = cls.search([
                    ('party', 'in', list(sub)),
                    ('channel', '=', channel),
                    ('withdrawal_date', '=', None),
                    ])
            cls.write(consents, {
                    'withdrawal_date': date,
                    'withdrawal_source': source,
                    })

    @classmethod
    @ModelView.button
    def withdraw(cls, consents):
        "The person asked to withdraw these consents."
        today = Pool().get('ir.date').today()
        cls.write([c for c in consents if not c.withdrawal_date], {
                'withdrawal_date': today,
                'withdrawal_source': 'request',
                })
