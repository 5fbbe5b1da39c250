"Règles de périodicité des visites (délais réglementaires)."
import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pyson import Bool, Eval, In

from .code import CodedMixin
from .csv_import import (
    BooleanColumn, CharColumn, CodeColumn, CSVImportMixin, DateColumn,
    IntegerColumn, SelectionColumn)
from .exceptions import RuleValidationError
from .follow_up import CONDITIONS
from .validity import ValidityMixin

STOPPAGES = [
    (None, ""),
    ('maternity', "Maternity leave"),
    ('occupational_disease', "Occupational disease"),
    ('work_accident', "Work accident"),
    ('sickness', "Non-occupational sickness or accident"),
    ]


class PeriodicityRule(
        CodedMixin, ValidityMixin, CSVImportMixin, ModelSQL, ModelView):
    """Règle de périodicité.

    A visit type is due a delay before or after a reference event, for a
    follow-up category (or any), possibly only for a personal situation or a
    kind of work stoppage; it says which professions may perform it. The
    due-visit engine reads the rules in force on the reference date."""
    __name__ = 'spsti.periodicity.rule'
    __string__ = "Periodicity Rule"
    _csv_file = 'periodicity_rule.csv'
    _csv_atomic = True
    name = fields.Char("Name", required=True, translate=True)
    category = fields.Many2One(
        'spsti.follow_up.category', "Category", ondelete='RESTRICT',
        help="Empty: applies whatever the follow-up category.")
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", required=True, ondelete='RESTRICT')
    condition = fields.Selection(
        CONDITIONS, "Personal Situation",
        help="When set, the rule applies only to this situation and takes "
        "precedence over the general rule of the same visit type.")
    risk = fields.Many2One(
        'spsti.risk', "Risk", ondelete='RESTRICT',
        help="When set, the rule applies only to workers exposed to this "
        "risk (or a sub-risk) and takes precedence over the others.")
    reference = fields.Selection([
            ('assignment_start', "Taking up the post"),
            ('previous_visit', "Previous visit"),
            ('age', "Age reached"),
            ('return_to_work', "Return to work"),
            ('stoppage', "Work stoppage in progress"),
            ('exposure_end', "End of exposure or of career"),
            ], "Reference Event", required=True)
    reference_visit_types = fields.Many2Many(
        'spsti.periodicity.rule-reference.visit.type', 'rule', 'visit_type',
        "Reference Visits",
        states={'invisible': ~In(Eval('reference'),
                ['previous_visit', 'assignment_start'])},
        help="Previous visit: the latest visit of these types starts the "
        "delay (empty: the same type). Taking up the post: a visit of these "
        "types within the exemption delay exempts from this one.")
    exemption_delay = fields.Integer(
        "Exemption Delay",
        domain=['OR',
            ('exemption_delay', '=', None),
            ('exemption_delay', '>', 0)],
        states={'invisible': Eval('reference') != 'assignment_start'},
        help="No initial visit when a reference visit for an equivalent "
        "post (same PCS-ESE job and category) took place within this delay "
        "before taking up the post, without unfitness or adjustment since.")
    exemption_unit = fields.Selection([
            (None, ""),
            ('month', "Months"),
            ('year', "Years"),
            ], "Exemption Unit",
        states={
            'invisible': Eval('reference') != 'assignment_start',
            'required': Bool(Eval('exemption_delay')),
            })
    direction = fields.Selection([
            ('before', "Before"),
            ('after', "After"),
            ], "Direction", required=True,
        states={'invisible': Eval('reference') == 'age'})
    delay = fields.Integer(
        "Delay", required=True,
        domain=[('delay', '>=', 0)],
        states={'invisible': Eval('reference') == 'age'},
        help="0 with 'before' means at the latest on the reference date.")
    unit = fields.Selection([
            ('day', "Days"),
            ('month', "Months"),
            ('year', "Years"),
            ], "Unit", required=True,
        states={'invisible': Eval('reference') == 'age'})
    age = fields.Integer(
        "Age",
        states={
            'required': Eval('reference') == 'age',
            'invisible': Eval('reference') != 'age',
            },
        help="Due during the calendar year the employee reaches this age.")
    stoppage = fields.Selection(
        STOPPAGES, "Stoppage",
        states={
            'invisible': ~In(Eval('reference'),
                ['return_to_work', 'stoppage']),
            })
    min_stoppage_days = fields.Integer(
        "Minimum Stoppage (days)",
        states={
            'invisible': ~In(Eval('reference'),
                ['return_to_work', 'stoppage']),
            },
        help="The rule applies to stoppages of at least this many days.")
    mandatory = fields.Boolean(
        "Mandatory",
        help="Unchecked for visits that may be requested but are never due "
        "(e.g. pré-reprise).")
    professions = fields.Many2Many(
        'spsti.periodicity.rule-spsti.profession', 'rule', 'profession',
        "Performed By", help="The professions allowed to perform the visit.")
    legal_reference = fields.Char("Legal Reference")
    note = fields.Text("Note")

    @classmethod
    def default_direction(cls):
        return 'after'

    @classmethod
    def default_unit(cls):
        return 'month'

    @classmethod
    def default_delay(cls):
        return 0

    @classmethod
    def default_mandatory(cls):
        return True

    @classmethod
    def _csv_columns(cls):
        return {
            'code': CharColumn('code', required=True),
            'name': CharColumn('name', required=True),
            'category': CodeColumn('category', 'spsti.follow_up.category'),
            'visit_type': CodeColumn(
                'visit_type', 'spsti.visit.type', required=True),
            'condition': SelectionColumn('condition'),
            'risk': CodeColumn('risk', 'spsti.risk'),
            'reference': SelectionColumn('reference', required=True),
            'reference_visit_types': CodeColumn(
                'reference_visit_types', 'spsti.visit.type', multiple=True),
            'direction': SelectionColumn('direction', required=True),
            'delay': IntegerColumn('delay', required=True),
            'unit': SelectionColumn('unit', required=True),
            'age': IntegerColumn('age'),
            'stoppage': SelectionColumn('stoppage'),
            'min_stoppage_days': IntegerColumn('min_stoppage_days'),
            'exemption_delay': IntegerColumn('exemption_delay'),
            'exemption_unit': SelectionColumn('exemption_unit'),
            'mandatory': BooleanColumn('mandatory', required=True),
            'professions': CodeColumn(
                'professions', 'spsti.profession', multiple=True),
            'start_date': DateColumn('start_date'),
            'end_date': DateColumn('end_date'),
            'legal_reference': CharColumn('legal_reference'),
            'note': CharColumn('note'),
            }

    @classmethod
    def _csv_check_values(cls, values):
        if values.get('delay', 0) < 0:
            return gettext('spsti_base.msg_periodicity_negative_delay_import')
        if values.get('reference') == 'age' and not values.get('age'):
            return gettext('spsti_base.msg_periodicity_age_import')
        return super()._csv_check_values(values)

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        for rule in rules:
            if rule.reference == 'age' and not rule.age:
                raise RuleValidationError(gettext(
                        'spsti_base.msg_periodicity_age', rule=rule.rec_name))

    @classmethod
    def rules_at(cls, date, category=None, visit_type=None):
        """The rules in force on date, for a category (the rules of that
        category and those of any category) and a visit type."""
        domain = cls.validity_domain(date)
        if category:
            domain.append(['OR',
                    ('category', '=', None),
                    ('category', '=', category.id)])
        if visit_type:
            domain.append(('visit_type', '=', visit_type.id))
        return cls.search(domain)

    @staticmethod
    def applicable(rules, risks=(), conditions=(), stoppage=None,
            stoppage_days=None):
        """Among rules of one visit type, those that apply at the highest
        specificity: a rule for an exposure beats a rule for a personal
        situation, which beats the general rule; stoppage rules need the
        kind and length of the stoppage. Several rules of the same
        specificity may remain (e.g. an apprentice under 18): the caller
        keeps the strictest."""
        risk_ids = set()
        for risk in risks:
            while risk:
                risk_ids.add(risk.id)
                risk = risk.parent
        candidates = []
        for rule in rules:
            if rule.risk and rule.risk.id not in risk_ids:
                continue
            if rule.condition and rule.condition not in conditions:
                continue
            if rule.stoppage and rule.stoppage != stoppage:
                continue
            if (rule.min_stoppage_days
                    and (stoppage_days or 0) < rule.min_stoppage_days):
                continue
            candidates.append(rule)

        def specificity(rule):
            return (bool(rule.risk), bool(rule.condition), bool(rule.category))
        if not candidates:
            return []
        top = max(map(specificity, candidates))
        return [r for r in candidates if specificity(r) == top]

    @classmethod
    def select(cls, rules, **criteria):
        """The rule that applies (see applicable); among rules of the same
        specificity, the one with the shortest delay after (or longest
        before) the reference event."""
        candidates = cls.applicable(rules, **criteria)
        if candidates:
            reference = dt.date(2000, 1, 1)
            return min(candidates,
                key=lambda r: (r.compute_due_date(reference), r.code))

    def _delta(self):
        return relativedelta(**{self.unit + 's': self.delay})

    @property
    def dates(self):
        "The date arithmetic of the rule, on plain values (RuleDates)."
        return RuleDates(self.reference, self.direction, self._delta(),
            self.age, relativedelta(
                **{self.exemption_unit + 's': self.exemption_delay})
            if self.exemption_delay else None)

    def compute_due_date(self, reference_date):
        return self.dates.compute_due_date(reference_date)

    def exemption_start(self, start_date):
        return self.dates.exemption_start(start_date)

    def compute_earliest_date(self, reference_date):
        return self.dates.compute_earliest_date(reference_date)


@dataclass(frozen=True, eq=False, slots=True)
class RuleDates:
    """The dates a periodicity rule gives, from the values of the rule: the
    due-visit engine computes them for a whole population without reading
    the records again."""
    reference: str
    direction: str
    delta: relativedelta
    age: int
    exemption: relativedelta

    def compute_due_date(self, reference_date):
        """The latest date the visit may take place, from the reference
        event's date (or the birth date for an age rule)."""
        if self.reference == 'age':
            return dt.date(reference_date.year + self.age, 12, 31)
        if self.direction == 'before':
            return reference_date - self.delta
        return reference_date + self.delta

    def exemption_start(self, start_date):
        "The first date a visit exempting from this initial one may have."
        if self.exemption:
            return start_date - self.exemption

    def compute_earliest_date(self, reference_date):
        "The first date the visit counts for this rule, if bounded."
        if self.reference == 'age':
            return dt.date(reference_date.year + self.age, 1, 1)


class PeriodicityRuleReferenceVisit(ModelSQL):
    __name__ = 'spsti.periodicity.rule-reference.visit.type'
    __string__ = "Periodicity Rule - Reference Visit Type"
    rule = fields.Many2One(
        'spsti.periodicity.rule', "Rule", required=True, ondelete='CASCADE')
    visit_type = fields.Many2One(
        'spsti.visit.type', "Visit Type", required=True, ondelete='CASCADE')


class PeriodicityRuleProfession(ModelSQL):
    __name__ = 'spsti.periodicity.rule-spsti.profession'
    __string__ = "Periodicity Rule - Profession"
    rule = fields.Many2One(
        'spsti.periodicity.rule', "Rule", required=True, ondelete='CASCADE')
    profession = fields.Many2One(
        'spsti.profession', "Profession", required=True, ondelete='CASCADE')
