from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class ReassignmentError(UserError):
    "A portfolio cannot be reassigned."


class LoadError(UserError):
    "The load of the teams cannot be computed."


class DocumentTypeValidationError(ValidationError):
    "A document type or a classified document is inconsistent."


class DocumentError(AccessError):
    "A medical document is out of reach of the user."


class ProjectError(UserError):
    "A project cannot be made from a template."
