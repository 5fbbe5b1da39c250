"""The employee's consent to teleconsultation on the visit request (given
on the portal or recorded by the staff), and the version of the calendar
invitation sent for its appointment."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import TeleconsultationConsentError

CONSENT_CHANNELS = [
    (None, ""),
    ('employee_portal', "Employee portal"),
    ('phone', "Phone"),
    ('email', "Email"),
    ('in_person', "In person"),
    ('paper', "Paper form"),
    ]
# How the staff collects it (the portal records its own).
STAFF_CONSENT_CHANNELS = [c for c in CONSENT_CHANNELS
    if c[0] not in {None, 'employee_portal'}]
OPEN_STATES = ['to_plan', 'planned']


class VisitRequest(metaclass=PoolMeta):
    __name__ = 'spsti.visit.request'
    teleconsultation_consent = fields.DateTime(
        "Teleconsultation Consent", readonly=True,
        help="When the employee consented to hold this visit by "
        "teleconsultation; required before it is booked on a "
        "teleconsultation slot online and before the consultation held by "
        "teleconsultation is issued.")
    teleconsultation_consent_channel = fields.Selection(
        CONSENT_CHANNELS, "Consent Channel", readonly=True,
        states={'required': Bool(Eval('teleconsultation_consent'))})
    teleconsultation_consent_by = fields.Char(
        "Consent Recorded By", readonly=True,
        states={'required': Bool(Eval('teleconsultation_consent'))},
        help="The user or portal account that recorded the consent.")
    calendar_sequence = fields.Integer(
        "Calendar Sequence", readonly=True,
        help="Version of the calendar invitation of the appointment: "
        "each move or cancellation sent raises it.")

    @classmethod
    def default_calendar_sequence(cls):
        return 0

    @classmethod
    def record_teleconsultation_consent(cls, requests, channel, by, when):
        "The employee consented to teleconsultation through channel."
        cls.write([r for r in requests if not r.teleconsultation_consent], {
                'teleconsultation_consent': when,
                'teleconsultation_consent_channel': channel,
                'teleconsultation_consent_by': by,
                })


class RecordConsentStart(ModelView):
    __name__ = 'spsti.visit.request.record_consent.start'
    __string__ = "Record the Teleconsultation Consent"
    employee = fields.Many2One('spsti.employee', "Employee", readonly=True)
    request = fields.Many2One('spsti.visit.request', "Visit Request",
        required=True,
        domain=[
            ('employee', '=', Eval('employee', -1)),
            ('state', 'in', OPEN_STATES),
            ])
    date = fields.DateTime("Consent Date", required=True)
    channel = fields.Selection(
        STAFF_CONSENT_CHANNELS, "Consent Channel", required=True)


class RecordConsent(Wizard):
    """The staff records the employee's consent to teleconsultation for a
    visit to plan or planned, from the slot, the visit request or the
    employee; the user is recorded as who collected it."""
    __name__ = 'spsti.visit.request.record_consent'
    start = StateView('spsti.visit.request.record_consent.start',
        'spsti_booking.record_consent_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record", 'record_consent', 'tryton-ok', default=True),
            ])
    record_consent = StateTransition()

    def default_start(self, fields):
        VisitRequest = Pool().get('spsti.visit.request')
        name = self.model.__name__ if self.model else None
        requests = []
        if name == 'spsti.slot':
            requests = [self.record.request] if self.record.request else []
        elif name == 'spsti.visit.request':
            requests = [self.record]
        elif name == 'spsti.employee':
            requests = VisitRequest.search([
                    ('employee', '=', self.record.id),
                    ('state', 'in', OPEN_STATES),
                    ])
        requests = [r for r in requests if r.state in OPEN_STATES]
        if not requests:
            raise TeleconsultationConsentError(gettext(
                    'spsti_booking.msg_consent_request_required',
                    record=self.record.rec_name if self.record else ''))
        # The employee's planned visit, else their only one; the user
        # chooses among several.
        planned = [r for r in requests if r.state == 'planned']
        chosen = planned if len(planned) == 1 else requests
        return {
            'employee': requests[0].employee.id,
            'request': chosen[0].id if len(chosen) == 1 else None,
            'date': dt.datetime.now(),
            'channel': 'phone',
            }

    def transition_record_consent(self):
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        User = pool.get('res.user')
        VisitRequest.record_teleconsultation_consent([self.start.request],
            self.start.channel, User(Transaction().user).rec_name,
            self.start.date)
        return 'end'
