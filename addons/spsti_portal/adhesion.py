"""Adhésion en ligne: a company applies for membership on the portal with
its head office's SIRET, its first workforce and, if it chooses, a SEPA
mandate; the staff accept the membership request in the back office."""
import datetime as dt
from email.message import EmailMessage

from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional

from .exceptions import PortalError


class Member(metaclass=PoolMeta):
    __name__ = 'spsti.member'
    adhesion_workforce = fields.Integer(
        "Workforce Declared at Membership", readonly=True,
        help="The employees the company declared when applying online.")
    adhesion_workforce_sir = fields.Integer(
        "of which SIR", readonly=True,
        help="The employees on posts with particular risks (suivi "
        "individuel renforcé) declared when applying online.")
    adhesion_user = fields.Many2One(
        'web.user', "Applied Online by", readonly=True, ondelete='SET NULL')

    @classmethod
    def check_adhesion(cls, values):
        """The translated errors of an online application: every field
        missing or wrong, an establishment already member."""
        errors = []
        for name, label in [
                ('name', "Raison sociale"), ('siret', "SIRET du siège"),
                ('street', "Adresse"), ('postal_code', "Code postal"),
                ('city', "Ville"), ('email', "Adresse e-mail")]:
            if not values.get(name):
                errors.append(gettext('spsti_portal.msg_field_required',
                        field=label))
        siret = stdnum_siret.compact(values.get('siret') or '')
        if siret and not stdnum_siret.is_valid(siret):
            errors.append(gettext('spsti_portal.msg_field_invalid',
                    field="SIRET du siège", value=values['siret']))
        elif siret and cls.search([
                    ('siren', '=', siret[:9]),
                    ('state', '!=', 'prospect'),
                    ], limit=1):
            errors.append(gettext('spsti_portal.msg_adhesion_already',
                    siren=siret[:9]))
        for name, label in [('workforce', "Nombre de salariés"),
                ('workforce_sir', "Dont suivi individuel renforcé")]:
            value = values.get(name)
            if value is None or value < 0:
                errors.append(gettext('spsti_portal.msg_field_invalid',
                        field=label, value=values.get(name, '')))
        if (values.get('workforce') is not None
                and (values.get('workforce_sir') or 0)
                > values['workforce']):
            errors.append(gettext('spsti_portal.msg_adhesion_sir',
                    sir=values['workforce_sir'],
                    total=values['workforce']))
        if values.get('iban'):
            if not stdnum_iban.is_valid(values['iban']):
                errors.append(gettext('spsti_portal.msg_field_invalid',
                        field="IBAN", value=values['iban']))
            elif not values.get('mandate'):
                errors.append(gettext('spsti_portal.msg_adhesion_mandate'))
        return errors

    @classmethod
    def apply_online(cls, values):
        """Create the membership request of values (checked first): the
        company, its head office, the administrator's portal account, a
        requested SEPA mandate when an IBAN is given; the applicant is told
        by email. Returns the member."""
        pool = Pool()
        Party = pool.get('party.party')
        Establishment = pool.get('spsti.establishment')
        Activity = pool.get('spsti.activity')
        User = pool.get('web.user')
        Access = pool.get('spsti.portal.member_access')
        errors = cls.check_adhesion(values)
        if errors:
            raise PortalError('\n'.join(errors))
        siret = stdnum_siret.compact(values['siret'])
        party, = Party.create([{
                    'name': values['name'],
                    'addresses': [('create', [{
                                    'street': values['street'],
                                    'postal_code': values['postal_code'],
                                    'city': values['city'],
                                    }])],
                    }])
        user = User.by_email(values['email'])
        if not user:
            user, = User.create([{'email': values['email']}])
        member, = cls.create([{
                    'party': party.id,
                    'siren': siret[:9],
                    'adhesion_workforce': values['workforce'],
                    'adhesion_workforce_sir': values['workforce_sir'],
                    'adhesion_user': user.id,
                    }])
        activities = Activity.search([
                ('code', '=', (values.get('naf') or '').upper()),
                ('level', '=', 'subclass'),
                ], limit=1)
        Establishment.create([{
                    'member': member.id,
                    'name': "Siège",
                    'address': party.addresses[0].id,
                    'siret': siret,
                    'activity': activities[0].id if activities else None,
                    }])
        Access.create([{'web_user': user.id, 'member': member.id,
                    'administrator': True}])
        if values.get('iban'):
            cls._adhesion_mandate(party, values['iban'])
        cls.request([member])
        cls._adhesion_email(member, user)
        return member

    @classmethod
    def _adhesion_mandate(cls, party, iban):
        "A SEPA mandate signed online, for the staff to validate."
        pool = Pool()
        BankAccount = pool.get('bank.account')
        Mandate = pool.get('account.payment.sepa.mandate')
        Company = pool.get('company.company')
        company, = Company.search([], limit=1)
        account, = BankAccount.create([{
                    'owners': [('add', [party.id])],
                    'currency': company.currency.id,
                    'numbers': [('create', [{
                                    'type': 'iban',
                                    'number': stdnum_iban.compact(iban),
                                    }])],
                    }])
        Mandate.create([{
                    'company': company.id,
                    'party': party.id,
                    'address': party.addresses[0].id,
                    'account_number': account.numbers[0].id,
                    'identification': f'RUM-ADH-{party.code}',
                    'type': 'recurrent',
                    'signature_date': dt.date.today(),
                    'state': 'requested',
                    }])

    @staticmethod
    def _adhesion_email(member, user):
        msg = EmailMessage()
        msg['From'] = config.get('email', 'from')
        msg['To'] = user.email
        msg['Subject'] = gettext('spsti_portal.msg_adhesion_subject')
        msg.set_content(gettext('spsti_portal.msg_adhesion_body',
                member=member.party.name))
        send_message_transactional(msg)
