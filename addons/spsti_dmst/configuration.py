"Paramètres des dossiers médicaux et des fiches d'entreprise."
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    "The parameters of the medical files and company risk sheets."
    __name__ = 'spsti.adherent.configuration'
    company_sheet_first_months = fields.Integer(
        "First Company Sheet (months)", required=True,
        domain=[('company_sheet_first_months', '>', 0)],
        help="Months after the membership within which the first company "
        "risk sheet is due.")
    company_sheet_renewal_years = fields.Integer(
        "Company Sheet Renewal (years)", required=True,
        domain=[('company_sheet_renewal_years', '>', 0)],
        help="Years after which the company risk sheet is renewed at the "
        "latest (4 since the 2024 programme; 5 in the 2019 specification).")
    dmst_retention_years = fields.Integer(
        "Medical File Retention (years)", required=True,
        domain=[('dmst_retention_years', '>=', 10)],
        help="Years a medical file is kept after the last visit; longer "
        "after an exposure whose risk sets it.")

    @classmethod
    def default_company_sheet_first_months(cls):
        return 12

    @classmethod
    def default_company_sheet_renewal_years(cls):
        return 4

    @classmethod
    def default_dmst_retention_years(cls):
        return 20
