"The service's parameters of online booking and teleconsultation."
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'spsti.adherent.configuration'
    booking_lock_hours = fields.Integer(
        "Online Changes Closed (hours before)", required=True,
        domain=[('booking_lock_hours', '>=', 0)],
        help="Hours before a slot from which the employer and the employee "
        "can no longer book, move or cancel it on the portal; the service "
        "still can.")
    booking_horizon_days = fields.Integer(
        "Booking Horizon (days)", required=True,
        domain=[('booking_horizon_days', '>', 0)],
        help="How many days ahead the portal offers free slots.")
    video_link_pattern = fields.Char(
        "Video Link Pattern",
        help="Address of a room of the service's own video tool, where "
        "{room} is replaced by a room name drawn for each teleconsultation "
        "(e.g. https://visio.example.org/{room}); no call is made to the "
        "tool. Empty: teleconsultations cannot be booked online.")

    @classmethod
    def default_booking_lock_hours(cls):
        return 48

    @classmethod
    def default_booking_horizon_days(cls):
        return 60
