from trytond.exceptions import UserError


class OnlineBookingError(UserError):
    """A slot cannot be booked, moved or cancelled online (policy, delay,
    qualification, teleconsultation)."""


class SlotQualificationError(UserError):
    """The professional of a slot may not perform the visit type, or the
    visit type requires presence and the slot is a teleconsultation."""


class TeleconsultationConsentError(UserError):
    """A consultation by teleconsultation is issued without the employee's
    consent recorded, or there is no visit to record it for."""
