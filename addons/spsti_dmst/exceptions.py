from trytond.exceptions import UserError


class ConsultationError(UserError):
    "A consultation cannot be validated or its outcome issued."


class TransferError(UserError):
    "A medical file cannot be transferred or received."
