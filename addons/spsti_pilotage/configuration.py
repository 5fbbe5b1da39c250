"Paramètres du pilotage: the pseudonymised export of the service."
import secrets

from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    "The parameters of the indicators and of their pseudonymised export."
    __name__ = 'spsti.adherent.configuration'
    export_service_code = fields.Char(
        "Service Code",
        help="How the service is named in the pseudonymised exports "
        "consolidated at regional and national level.")
    export_secret = fields.Char(
        "Pseudonymisation Secret", strip=False,
        help="The key of the keyed hashes (HMAC-SHA256) of the employees "
        "and members in the exports; kept by the service only. Changing "
        "it changes every key.")
    export_min_cell = fields.Integer(
        "Smallest Cell Exported", required=True,
        domain=[('export_min_cell', '>=', 1)],
        help="Figures over fewer people are suppressed from the exports, "
        "and the attributes of rows whose combination is that rare.")

    @classmethod
    def default_export_min_cell(cls):
        return 11

    @classmethod
    def export_key(cls):
        """The secret of the exports, made once at the first export and
        kept (a new one would break the keys' stability)."""
        config = cls(1)
        if not config.export_secret:
            config.export_secret = secrets.token_hex(32)
            config.save()
        return config.export_secret.encode()
