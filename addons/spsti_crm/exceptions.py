from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class ContactValidationError(ValidationError):
    "A contact of a member is inconsistent."


class ConsentValidationError(ValidationError):
    "A consent is inconsistent (two open at once, withdrawn before given)."


class SegmentValidationError(ValidationError):
    "A segment has inconsistent criteria."


class CampaignError(UserError):
    "A campaign cannot be launched or delivered."


class EventValidationError(ValidationError):
    "An event or a registration is inconsistent."


class EventError(UserError):
    "An event or a registration cannot change state."


class ContentValidationError(ValidationError):
    "A prevention content is inconsistent."
