"Coût moyen national de la cotisation per capita."
from trytond.model import ModelSQL, ModelView, Unique, fields


class YearNamedMixin:
    "Records named by their year."
    __slots__ = ()

    def get_rec_name(self, name):
        return str(self.year)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        try:
            year = int(str(value).strip('%'))
        except ValueError:
            return [('id', '=', None)]
        return [('year', '!=' if operator.startswith('not') else '=', year)]


class NationalCost(YearNamedMixin, ModelSQL, ModelView):
    """Coût moyen national par salarié suivi, published each year: the
    per-worker contribution of a service must lie within 80 to 120 % of it
    (Code du travail, D. 4622-27-1)."""
    __name__ = 'spsti.contribution.national_cost'
    __string__ = "National Average Cost"
    year = fields.Integer("Year", required=True)
    amount = fields.Numeric(
        "Amount per Worker", digits=(16, 2), required=True)
    low_ratio = fields.Numeric(
        "Lower Bound", digits=(4, 2), required=True,
        help="Share of the national cost below which a scale is out of range.")
    high_ratio = fields.Numeric(
        "Upper Bound", digits=(4, 2), required=True,
        help="Share of the national cost above which a scale is out of range.")
    source = fields.Char("Source")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('year_unique', Unique(t, t.year),
                'spsti_facturation.msg_national_cost_year_unique'),
            ]
        cls._order = [('year', 'DESC'), ('id', 'DESC')]

    @classmethod
    def get(cls, year):
        "The national cost of year, or None when not published yet."
        costs = cls.search([('year', '=', year)], limit=1)
        return costs[0] if costs else None
