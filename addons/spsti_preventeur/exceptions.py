from trytond.exceptions import UserError


class CertificateError(UserError):
    "A certificate cannot change state."
