"""The employee's consent to teleconsultation on the visit request, and the
version of the calendar invitation sent for its appointment."""
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Bool, Eval

CONSENT_CHANNELS = [
    (None, ""),
    ('employee_portal', "Employee portal"),
    ('phone', "Phone"),
    ('email', "Email"),
    ('in_person', "In person"),
    ('paper', "Paper form"),
    ]


class VisitRequest(metaclass=PoolMeta):
    __name__ = 'spsti.visit.request'
    teleconsultation_consent = fields.DateTime(
        "Teleconsultation Consent",
        help="When the employee consented to hold this visit by "
        "teleconsultation; required before it is booked on a "
        "teleconsultation slot online.")
    teleconsultation_consent_channel = fields.Selection(
        CONSENT_CHANNELS, "Consent Channel",
        states={'required': Bool(Eval('teleconsultation_consent'))})
    teleconsultation_consent_by = fields.Char(
        "Consent Recorded By",
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
