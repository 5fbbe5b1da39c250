"Barème de cotisation annuel."
from decimal import ROUND_HALF_UP, Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import ScaleValidationError, ScaleWarning
from .national_cost import YearNamedMixin

CENT = Decimal('0.01')
_draft = {'readonly': Eval('state') != 'draft'}


def round_cents(amount):
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


class ContributionScale(YearNamedMixin, Workflow, ModelSQL, ModelView):
    """Barème de cotisation: the per-capita contribution of a year for the
    core services (ensemble socle), approved by the general assembly
    (Code du travail L. 4622-6)."""
    __name__ = 'spsti.contribution.scale'
    __string__ = "Contribution Scale"
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    year = fields.Integer("Year", required=True, states=_draft)
    amount_per_worker = fields.Numeric(
        "Amount per Worker", digits=(16, 2), required=True, states=_draft,
        help="Yearly contribution for each worker followed.")
    category_amounts = fields.One2Many(
        'spsti.contribution.scale.category', 'scale',
        "Amounts per Category", states=_draft,
        help="Replace the amount per worker for a follow-up category "
        "(e.g. a SIR surcharge when the statutes allow it).")
    membership_fee = fields.Numeric(
        "Membership Fee", digits=(16, 2), states=_draft,
        help="Set by the statutes, if any.")
    membership_fee_kind = fields.Selection([
            ('entry', "On joining"),
            ('yearly', "Every year"),
            ], "Membership Fee Billed", required=True, states=_draft)
    minimum_amount = fields.Numeric(
        "Minimum per Member", digits=(16, 2), states=_draft,
        help="A member's yearly contribution is raised to this amount.")
    approval_date = fields.Date(
        "Approved by the General Assembly on", states={
            'readonly': Eval('state') != 'draft',
            'required': Eval('state') == 'approved',
            })
    state = fields.Selection([
            ('draft', "Draft"),
            ('approved', "Approved"),
            ], "State", readonly=True, required=True)
    national_cost = fields.Function(fields.Numeric(
            "National Average Cost", digits=(16, 2)), 'get_national')
    national_ratio = fields.Function(fields.Numeric(
            "Share of the National Cost", digits=(6, 4)), 'get_national')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('year_unique', Unique(t, t.company, t.year),
                'spsti_facturation.msg_scale_year_unique'),
            ]
        cls._order = [('year', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'approved'), ('approved', 'draft')}
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    },
                'draft': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-back',
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_membership_fee_kind(cls):
        return 'entry'

    def get_national(self, name):
        cost = Pool().get('spsti.contribution.national_cost').get(self.year)
        if not cost:
            return None
        if name == 'national_cost':
            return cost.amount
        if self.amount_per_worker is not None and cost.amount:
            return (self.amount_per_worker / cost.amount).quantize(
                Decimal('0.0001'))

    @classmethod
    def validate_fields(cls, scales, field_names):
        super().validate_fields(scales, field_names)
        for scale in scales:
            amounts = [scale.amount_per_worker, scale.membership_fee,
                scale.minimum_amount] + [
                c.amount for c in scale.category_amounts]
            if any(a is not None and a < 0 for a in amounts):
                raise ScaleValidationError(gettext(
                        'spsti_facturation.msg_scale_negative',
                        scale=scale.rec_name))

    def amount_for(self, category):
        "The yearly amount of a worker of the follow-up category."
        for line in self.category_amounts:
            if category and line.category.id == int(category):
                return line.amount
        return self.amount_per_worker

    def check_national_range(self):
        """Warn when the amount per worker falls outside the share of the
        national average cost allowed; derogations exist (e.g. more than
        30 % of workers on SIR), hence a warning and not an error."""
        pool = Pool()
        NationalCost = pool.get('spsti.contribution.national_cost')
        Warning = pool.get('res.user.warning')
        cost = NationalCost.get(self.year)
        if not cost:
            key = Warning.format('scale_no_national_cost', [self])
            if Warning.check(key):
                raise ScaleWarning(key, gettext(
                        'spsti_facturation.msg_scale_no_national_cost',
                        scale=self.rec_name, year=self.year))
            return
        low = round_cents(cost.amount * cost.low_ratio)
        high = round_cents(cost.amount * cost.high_ratio)
        if not (low <= self.amount_per_worker <= high):
            key = Warning.format('scale_national_range', [self])
            if Warning.check(key):
                raise ScaleWarning(key, gettext(
                        'spsti_facturation.msg_scale_out_of_range',
                        scale=self.rec_name,
                        amount=self.amount_per_worker,
                        national=cost.amount, low=low, high=high))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, scales):
        for scale in scales:
            if not scale.approval_date:
                raise ScaleValidationError(gettext(
                        'spsti_facturation.msg_scale_approval_date',
                        scale=scale.rec_name))
            scale.check_national_range()

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, scales):
        pass

    @classmethod
    def get_approved(cls, year, company=None):
        "The approved scale of year, or None."
        company = company or Transaction().context.get('company')
        scales = cls.search([
                ('year', '=', year),
                ('company', '=', company),
                ('state', '=', 'approved'),
                ], limit=1)
        return scales[0] if scales else None


class ContributionScaleCategory(ModelSQL, ModelView):
    "Montant du barème pour une catégorie de suivi"
    __name__ = 'spsti.contribution.scale.category'
    __string__ = "Contribution Scale Category Amount"
    scale = fields.Many2One(
        'spsti.contribution.scale', "Scale", required=True,
        ondelete='CASCADE')
    category = fields.Many2One(
        'spsti.follow_up.category', "Category", required=True,
        ondelete='RESTRICT')
    amount = fields.Numeric(
        "Amount per Worker", digits=(16, 2), required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('category_unique', Unique(t, t.scale, t.category),
                'spsti_facturation.msg_scale_category_unique'),
            ]
