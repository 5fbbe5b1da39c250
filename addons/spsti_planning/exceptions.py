from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class VisitRequestError(UserError):
    "A visit request cannot change state."


class SlotValidationError(ValidationError):
    "A slot overlaps another or its times are inconsistent."


class SlotOverlapError(SlotValidationError):
    "Two slots of the same professional or room overlap in time."


class BookingError(UserError):
    "A visit request cannot be booked into a slot, or a slot freed."


class WorkplaceActionError(UserError):
    "A workplace action cannot be planned."


class ConvocationError(UserError):
    "A convocation cannot be printed for a slot."
