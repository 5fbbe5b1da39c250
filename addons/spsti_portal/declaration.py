"""La déclaration annuelle d'effectif on the portal: the employer refreshes
it from its posts, reads its inconsistencies and validates it."""
from collections import Counter

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta

from .exceptions import PortalError


class Declaration(metaclass=PoolMeta):
    __name__ = 'spsti.declaration'
    validated_through = fields.Many2One(
        'web.user', "Validated through the Portal by", readonly=True,
        ondelete='RESTRICT')

    def category_counts(self):
        "Distinct employees of the included lines per follow-up category."
        employees = {}
        for line in self.lines:
            if line.included:
                code = line.category.code if line.category else None
                employees.setdefault(code, set()).add(line.employee.id)
        return Counter({k: len(v) for k, v in employees.items()})

    @classmethod
    def validate_on_portal(cls, declarations, web_user, confirmed=False):
        """Validate the declarations for web_user; with inconsistencies
        only once the user confirmed them (the warnings of the back office
        do not reach the portal)."""
        for declaration in declarations:
            issues = declaration.check_consistency()
            if issues and not confirmed:
                raise PortalError(gettext(
                        'spsti_portal.msg_declaration_confirm',
                        declaration=declaration.rec_name,
                        count=len(issues)))
        cls.validate_declaration(declarations)
        cls.write(declarations, {'validated_through': web_user.id})
