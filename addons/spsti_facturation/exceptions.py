from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import ValidationError


class ScaleValidationError(ValidationError):
    "A contribution scale is inconsistent."


class ScaleWarning(UserWarning):
    "A contribution scale is outside the regulatory range."


class BillingRunError(UserError):
    "A billing run cannot be processed."


class MemberBillingValidationError(ValidationError):
    "The billing terms of a member are inconsistent."


class QuoteError(UserError):
    "A quote cannot change state."


class QuoteValidationError(ValidationError):
    "A quote is inconsistent."


class FacturXError(UserError):
    "The Factur-X invoice cannot be produced."
