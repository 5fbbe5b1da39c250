"Risques et expositions professionnelles."
import datetime as dt

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .csv_import import CharColumn, IntegerColumn, SelectionColumn
from .thesaurus import ThesaurusMixin


class Risk(ThesaurusMixin, ModelSQL, ModelView):
    """Risque / exposition professionnelle.

    Whether an exposure implies reinforced (SIR) or adapted (SIA) follow-up is
    not stored here: it is read from the follow-up category rules, which
    carry validity dates (the list of SIR risks changes by decree)."""
    __name__ = 'spsti.risk'
    __string__ = "Risk"
    _csv_file = 'risk.csv'
    parent = fields.Many2One('spsti.risk', "Parent")
    childs = fields.One2Many('spsti.risk', 'parent', "Children")
    kind = fields.Selection([
            (None, ""),
            ('chemical', "Chemical"),
            ('physical', "Physical"),
            ('biological', "Biological"),
            ('ergonomic', "Ergonomic"),
            ('psychosocial', "Psychosocial"),
            ('organisational', "Organisational"),
            ('safety', "Safety"),
            ('regulated_task', "Regulated task"),
            ], "Kind")
    legal_reference = fields.Char(
        "Legal Reference", help="Article of the Code du travail or decree.")
    retention_years = fields.Integer(
        "Medical File Retention (years)",
        domain=['OR',
            ('retention_years', '=', None),
            ('retention_years', '>=', 10)],
        help="Years the medical files of the exposed employees are kept "
        "after the end of the exposure (e.g. 50 for CMR agents, asbestos, "
        "ionising radiation); empty: that of the parent risk, else the "
        "general retention after the last visit.")
    follow_up_category = fields.Function(fields.Many2One(
            'spsti.follow_up.category', "Implied Follow-up",
            help="The follow-up category this exposure implies today, "
            "according to the follow-up category rules."),
        'get_follow_up_category', searcher='search_follow_up_category')

    @classmethod
    def _csv_columns(cls):
        return super()._csv_columns() | {
            'kind': SelectionColumn('kind'),
            'legal_reference': CharColumn('legal_reference'),
            'retention_years': IntegerColumn('retention_years'),
            }

    @classmethod
    def _follow_up_date(cls):
        return Transaction().context.get('date') or dt.date.today()

    @classmethod
    def get_follow_up_category(cls, risks, name):
        FollowUpRule = Pool().get('spsti.follow_up.rule')
        rules = FollowUpRule.rules_at(cls._follow_up_date())
        result = {}
        for risk in risks:
            category, _ = FollowUpRule.evaluate(rules, risks=[risk])
            result[risk.id] = category.id if category else None
        return result

    @classmethod
    def search_follow_up_category(cls, name, clause):
        FollowUpRule = Pool().get('spsti.follow_up.rule')
        _, operator, operand, *extra = clause
        nested = clause[0][len(name) + 1:] or 'rec_name'
        rules = FollowUpRule.search([
                ('risk', '!=', None),
                ('category.' + nested, operator, operand, *extra),
                ] + FollowUpRule.validity_domain(cls._follow_up_date()))
        roots = list({r.risk.id for r in rules})
        risks = cls.search([('parent', 'child_of', roots, 'parent')])
        return [('id', 'in', sorted(set(roots) | {r.id for r in risks}))]
