"Records identified by a unique code."
from trytond.model import Model, Unique, fields
from trytond.tools import is_full_text, lstrip_wildcard


class CodedMixin(Model):
    """A record with a unique code and a name, shown and searched as
    "code - name"."""
    __slots__ = ()
    code = fields.Char("Code", required=True, strip=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'spsti_base.msg_thesaurus_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

    def get_rec_name(self, name):
        return f'{self.code} - {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        code_value = operand
        if operator.endswith('like') and is_full_text(operand):
            code_value = lstrip_wildcard(operand)
        return [bool_op,
            ('code', operator, code_value, *extra),
            ('name', operator, operand, *extra),
            ]
