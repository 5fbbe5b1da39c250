"""Accès au portail employeur: which member a web user acts for, and with
which profiles (administrator, billing, declaration, convocations)."""
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields

PROFILES = ['administrator', 'billing', 'declaration', 'convocations']
# The profiles that see the company's prevention (risk sheets, action plan,
# health barometer): all but billing alone, e.g. an external accountant.
PREVENTION_PROFILES = ('administrator', 'declaration', 'convocations')


class MemberAccess(DeactivableMixin, ModelSQL, ModelView):
    """Accès employeur: a web user acting for a member with some
    profiles."""
    __name__ = 'spsti.portal.member_access'
    __string__ = "Employer Portal Access"
    web_user = fields.Many2One(
        'web.user', "Web User", required=True, ondelete='CASCADE')
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')
    administrator = fields.Boolean(
        "Administrator",
        help="Manages the company's portal users and has every profile.")
    billing = fields.Boolean(
        "Billing", help="Invoices, payments and SEPA mandates.")
    declaration = fields.Boolean(
        "Declaration",
        help="Employees, their posts and exposures, the annual declaration.")
    convocations = fields.Boolean(
        "Convocations", help="Visit requests, convocations and planning.")
    external = fields.Boolean(
        "External", help="Someone outside the company, e.g. its accountant.")
    invited_by = fields.Many2One(
        'web.user', "Invited by", readonly=True, ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('web_user_member_unique', Unique(t, t.web_user, t.member),
                'spsti_portal.msg_member_access_unique'),
            ]

    def get_rec_name(self, name):
        return f'{self.web_user.rec_name} @ {self.member.rec_name}'

    def allows(self, profile):
        "Whether the access grants profile (an administrator has them all)."
        return bool(self.active and (
                self.administrator or getattr(self, profile)))

    def allows_any(self, profiles):
        "Whether the access grants one of profiles."
        return any(self.allows(p) for p in profiles)

    @property
    def prevention(self):
        "Whether the access sees the company's prevention."
        return self.allows_any(PREVENTION_PROFILES)

    @property
    def profiles(self):
        return [p for p in PROFILES if self.allows(p)]
