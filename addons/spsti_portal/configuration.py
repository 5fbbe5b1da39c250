"The parameters of the portal's sign-in."
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'spsti.adherent.configuration'
    portal_code_minutes = fields.Integer(
        "Sign-in Code Validity (minutes)", required=True,
        domain=[('portal_code_minutes', '>', 0)],
        help="Minutes during which a one-time sign-in code sent by email "
        "may be used.")
    portal_code_attempts = fields.Integer(
        "Sign-in Code Attempts", required=True,
        domain=[('portal_code_attempts', '>', 0)],
        help="Wrong entries after which a sign-in code is void.")
    portal_codes_per_hour = fields.Integer(
        "Sign-in Codes per Hour", required=True,
        domain=[('portal_codes_per_hour', '>', 0)],
        help="Codes that may be sent to one address within an hour.")
    portal_barometer_threshold = fields.Integer(
        "Health Barometer Threshold", required=True,
        domain=[('portal_barometer_threshold', '>=', 10)],
        help="Distinct employees seen over the period under which a member's "
        "health barometer is not shown, so that no one can be recognised.")

    @classmethod
    def default_portal_barometer_threshold(cls):
        return 20

    @classmethod
    def default_portal_code_minutes(cls):
        return 10

    @classmethod
    def default_portal_code_attempts(cls):
        return 5

    @classmethod
    def default_portal_codes_per_hour(cls):
        return 5
