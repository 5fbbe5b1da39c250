"Contacts des adhérents: the people of a member the service talks to."
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.modules.spsti_base.code import CodedMixin
from trytond.pool import Pool
from trytond.pyson import Eval

from .exceptions import ContactValidationError


class ContactRole(CodedMixin, DeactivableMixin, ModelSQL, ModelView):
    """Rôle d'un contact: what a person is for the member (head of the
    company, human resources, safety officer, accountant…)."""
    __name__ = 'spsti.crm.contact.role'
    __string__ = "Contact Role"
    name = fields.Char("Name", required=True, translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    def get_rec_name(self, name):
        return self.name


class Contact(DeactivableMixin, ModelSQL, ModelView):
    """Contact d'un adhérent: a person (party) of a member company, with
    their roles. The same person may be the contact of several members
    (an accountant); their consents belong to the person."""
    __name__ = 'spsti.crm.contact'
    __string__ = "Member Contact"
    member = fields.Many2One(
        'spsti.member', "Member", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Person", required=True, ondelete='RESTRICT',
        help="The person, with their email addresses and phone numbers.")
    establishment = fields.Many2One(
        'spsti.establishment', "Establishment", ondelete='SET NULL',
        domain=[('member', '=', Eval('member', -1))],
        help="Empty: the contact is for the whole company.")
    roles = fields.Many2Many(
        'spsti.crm.contact-spsti.crm.contact.role', 'contact', 'role',
        "Roles")
    function = fields.Char("Job Title", help="As the company words it.")
    main = fields.Boolean(
        "Main Contact", help="The person to address first for the member.")
    email = fields.Function(fields.Char("Email"), 'get_mechanism')
    phone = fields.Function(fields.Char("Phone"), 'get_mechanism')
    consents = fields.Function(fields.One2Many(
            'spsti.crm.consent', None, "Consents",
            help="The consents of the person, whatever the member."),
        'get_consents', setter='set_consents')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('member_party_unique', Unique(t, t.member, t.party),
                'spsti_crm.msg_contact_member_party_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Equality())))
        cls._order = [('main', 'DESC NULLS LAST'), ('id', 'ASC')]

    @classmethod
    def default_main(cls):
        return False

    def get_rec_name(self, name):
        return f'{self.party.rec_name} ({self.member.rec_name})'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('party.rec_name', operator, operand, *extra),
            ('member.rec_name', operator, operand, *extra),
            ]

    def get_mechanism(self, name):
        return getattr(self.party, name)

    @classmethod
    def get_consents(cls, contacts, name):
        pool = Pool()
        Consent = pool.get('spsti.crm.consent')
        by_party = {}
        for consent in Consent.search([
                    ('party', 'in', list({c.party.id for c in contacts})),
                    ]):
            by_party.setdefault(consent.party.id, []).append(consent.id)
        return {c.id: by_party.get(c.party.id, []) for c in contacts}

    @classmethod
    def set_consents(cls, contacts, name, value):
        "The consents edited on a contact are those of its person."
        pool = Pool()
        Consent = pool.get('spsti.crm.consent')
        for action, *args in value:
            if action == 'create':
                Consent.create([{**v, 'party': c.party.id}
                        for c in contacts for v in args[0]])
            elif action == 'write':
                actions = iter(args)
                Consent.write(*[x for ids, values in zip(actions, actions)
                        for x in (Consent.browse(ids), values)])
            elif action == 'delete':
                Consent.delete(Consent.browse(args[0]))

    @classmethod
    def validate_fields(cls, contacts, field_names):
        super().validate_fields(contacts, field_names)
        if field_names & {'party', 'member'}:
            for contact in contacts:
                contact.check_not_company()

    def check_not_company(self):
        "A contact is a person, not the member company itself."
        if self.party == self.member.party:
            raise ContactValidationError(gettext(
                    'spsti_crm.msg_contact_is_company',
                    contact=self.rec_name))


class ContactContactRole(ModelSQL):
    __name__ = 'spsti.crm.contact-spsti.crm.contact.role'
    __string__ = "Contact - Role"
    contact = fields.Many2One(
        'spsti.crm.contact', "Contact", required=True, ondelete='CASCADE')
    role = fields.Many2One(
        'spsti.crm.contact.role', "Role", required=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.contact, Index.Equality())))
