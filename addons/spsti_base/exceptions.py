from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class IdentifierValidationError(ValidationError):
    "A national identifier (RPPS, SIREN, NIR…) fails its check."


class RuleValidationError(ValidationError):
    "A regulatory rule is inconsistent (dates, delays, criteria)."


class ThesaurusImportError(UserError):
    "A thésaurus or rule-table file cannot be imported."
