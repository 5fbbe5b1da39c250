"The parameters of the questionnaire kiosks."
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'spsti.adherent.configuration'
    kiosk_attempts = fields.Integer(
        "Kiosk Code Attempts", required=True,
        domain=[('kiosk_attempts', '>', 0)],
        help="Wrong convocation codes after which a kiosk refuses any code "
        "for the lock period.")
    kiosk_lock_minutes = fields.Integer(
        "Kiosk Lock (minutes)", required=True,
        domain=[('kiosk_lock_minutes', '>', 0)],
        help="The period over which wrong codes are counted.")
    kiosk_timeout_minutes = fields.Integer(
        "Kiosk Timeout (minutes)", required=True,
        domain=[('kiosk_timeout_minutes', '>', 0)],
        help="Minutes after which a kiosk forgets the employee who "
        "identified and did not send the questionnaire.")
    kiosk_session_hours = fields.Integer(
        "Kiosk Session (hours)", required=True,
        domain=[('kiosk_session_hours', '>', 0)],
        help="How long a kiosk opened by the staff stays open.")

    @classmethod
    def default_kiosk_attempts(cls):
        return 5

    @classmethod
    def default_kiosk_lock_minutes(cls):
        return 15

    @classmethod
    def default_kiosk_timeout_minutes(cls):
        return 10

    @classmethod
    def default_kiosk_session_hours(cls):
        return 12
