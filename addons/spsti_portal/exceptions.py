from trytond.exceptions import UserError


class PortalError(UserError):
    pass
