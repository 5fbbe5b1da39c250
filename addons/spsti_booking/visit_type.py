"The booking policy of each visit type."
from trytond.model import fields
from trytond.pool import PoolMeta

BOOKING_POLICIES = [
    ('staff', "Staff only"),
    ('online', "Self-booking open"),
    ]


class VisitType(metaclass=PoolMeta):
    __name__ = 'spsti.visit.type'
    booking_policy = fields.Selection(
        BOOKING_POLICIES, "Booking", required=True,
        help="Self-booking open: the employer (convocations profile) and the "
        "employee pick a free slot on the portal. Staff only: the service "
        "books it.")
    presence_required = fields.Boolean(
        "Presence Required",
        help="Never by teleconsultation (e.g. an exam that needs a "
        "clinical examination).")

    @classmethod
    def default_booking_policy(cls):
        return 'staff'

    @classmethod
    def default_presence_required(cls):
        return False
