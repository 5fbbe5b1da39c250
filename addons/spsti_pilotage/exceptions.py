from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class IndicatorValidationError(ValidationError):
    "An indicator definition or a period is inconsistent."


class IndicatorError(UserError):
    "An indicator cannot be computed."


class ExportError(UserError):
    "The pseudonymised export cannot be made."


class IndicatorBusyError(IndicatorError):
    "The same computation is running in another transaction."
