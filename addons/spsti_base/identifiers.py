"""Checks of the national identifiers the service handles, on python-stdnum:
SIREN and SIRET (companies, establishments), NIR (social security number,
with its control key), RPPS (health professionals)."""
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir, siren, siret

from trytond.i18n import gettext

from .exceptions import IdentifierValidationError


def _validate_rpps(value):
    if len(value) != 11 or not value.isdigit():
        raise StdnumError
    return luhn.validate(value)


VALIDATORS = {
    'siren': siren.validate,
    'siret': siret.validate,
    'nir': nir.validate,
    'rpps': _validate_rpps,
    }


def check_identifier(kind, record, field_name):
    """Validate the identifier in record's field and return its compact form
    (None when empty); raise an error naming the record and the field."""
    value = getattr(record, field_name)
    if not value:
        return None
    try:
        return VALIDATORS[kind](value)
    except StdnumError:
        names = record.__names__(field_name)
        raise IdentifierValidationError(gettext(
                'spsti_base.msg_invalid_' + kind,
                value=value, field=names['field'], record=record.rec_name))
