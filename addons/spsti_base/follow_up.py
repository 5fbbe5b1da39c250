"Catégories de suivi individuel et règles qui les déterminent."
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pyson import Bool, Eval

from .code import CodedMixin
from .csv_import import (
    CharColumn, CodeColumn, CSVImportMixin, DateColumn, SelectionColumn)
from .exceptions import RuleValidationError
from .validity import ValidityMixin

# Personal situations that change the follow-up, as declared on a job
# assignment (affectation).
CONDITIONS = [
    (None, ""),
    ('night_work', "Night worker"),
    ('under_18', "Under 18"),
    ('apprentice', "Apprentice"),
    ('disabled_worker', "Disabled worker (RQTH)"),
    ('invalidity_pension', "Invalidity pension"),
    ('pregnancy', "Pregnant, recently delivered or breastfeeding"),
    ]


class FollowUpCategory(CodedMixin, ModelSQL, ModelView):
    """Catégorie de suivi: SIG (général), SIA (adapté), SIR (renforcé)."""
    __name__ = 'spsti.follow_up.category'
    __string__ = "Follow-up Category"
    name = fields.Char("Name", required=True, translate=True)
    rank = fields.Integer(
        "Rank", required=True,
        help="When several rules apply, the category of highest rank wins.")
    description = fields.Text("Description", translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('rank', 'ASC'))


class FollowUpRule(
        CodedMixin, ValidityMixin, CSVImportMixin, ModelSQL, ModelView):
    """Règle de catégorie de suivi.

    An exposure to a risk (or one of its sub-risks) or a personal situation
    implies a category, between two dates; it may also require a specific
    visit (e.g. the certificate of no contraindication that replaced SIR for
    electrical clearance and driving licences on 2025-10-01)."""
    __name__ = 'spsti.follow_up.rule'
    __string__ = "Follow-up Category Rule"
    _csv_file = 'follow_up_rule.csv'
    _csv_atomic = True
    _rec_name = 'code'
    category = fields.Many2One(
        'spsti.follow_up.category', "Category", required=True,
        ondelete='RESTRICT')
    risk = fields.Many2One(
        'spsti.risk', "Risk", ondelete='RESTRICT',
        states={
            'required': ~Eval('condition'),
            'invisible': Bool(Eval('condition')),
            },
        help="Applies to this risk and all its sub-risks.")
    condition = fields.Selection(
        CONDITIONS, "Personal Situation",
        states={
            'required': ~Eval('risk'),
            'invisible': Bool(Eval('risk')),
            })
    visit_type = fields.Many2One(
        'spsti.visit.type', "Specific Visit", ondelete='RESTRICT',
        help="A visit this exposure requires beside the category's own.")
    legal_reference = fields.Char("Legal Reference")
    note = fields.Text("Note")

    @classmethod
    def _csv_columns(cls):
        return {
            'code': CharColumn('code', required=True),
            'category': CodeColumn(
                'category', 'spsti.follow_up.category', required=True),
            'risk': CodeColumn('risk', 'spsti.risk'),
            'condition': SelectionColumn('condition'),
            'visit_type': CodeColumn('visit_type', 'spsti.visit.type'),
            'start_date': DateColumn('start_date'),
            'end_date': DateColumn('end_date'),
            'legal_reference': CharColumn('legal_reference'),
            'note': CharColumn('note'),
            }

    @classmethod
    def _csv_check_values(cls, values):
        if bool(values.get('risk')) == bool(values.get('condition')):
            return gettext('spsti_base.msg_follow_up_rule_criterion_import')
        return super()._csv_check_values(values)

    def get_rec_name(self, name):
        return self.code

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('code',) + tuple(clause[1:])]

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        for rule in rules:
            if bool(rule.risk) == bool(rule.condition):
                raise RuleValidationError(gettext(
                        'spsti_base.msg_follow_up_rule_criterion',
                        rule=rule.rec_name))

    @classmethod
    def rules_at(cls, date):
        "The rules in force on date."
        return cls.search(cls.validity_domain(date))

    @classmethod
    def evaluate(cls, rules, risks=(), conditions=()):
        """Return the category and the specific visit types implied by the
        risks (with their parents) and the personal conditions, given the
        rules in force (see rules_at). None when no rule applies: the
        caller's default is general follow-up (SIG)."""
        codes = set()
        for risk in risks:
            while risk:
                codes.add(risk.id)
                risk = risk.parent
        category, visit_types = None, []
        for rule in rules:
            if ((rule.risk and rule.risk.id in codes)
                    or (rule.condition and rule.condition in conditions)):
                if not category or rule.category.rank > category.rank:
                    category = rule.category
                if rule.visit_type and rule.visit_type not in visit_types:
                    visit_types.append(rule.visit_type)
        return category, visit_types
