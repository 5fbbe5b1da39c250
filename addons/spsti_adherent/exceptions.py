from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import ValidationError


class MemberValidationError(ValidationError):
    "A member, establishment or employee breaks a rule (SIREN, SIRET, NIR…)."


class AssignmentValidationError(ValidationError):
    "A job assignment is inconsistent."


class DeclarationError(UserError):
    "A workforce declaration cannot change state."


class DeclarationWarning(UserWarning):
    "A workforce declaration is validated with inconsistencies."


class WorkforceImportError(UserError):
    "A workforce file cannot be imported."


class PortabilityError(UserError):
    "A member file cannot be exported or imported."
