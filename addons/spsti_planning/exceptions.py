from trytond.exceptions import UserError


class VisitRequestError(UserError):
    "A visit request cannot change state."
