"""The member as the portal sees it: the online membership (adhésion en
ligne: a company applies with its head office's SIRET, its first workforce
and, if it chooses, a SEPA mandate; the staff accept the request in the
back office), the activity of the service for it and its health
barometer."""
import datetime as dt
from email.message import EmailMessage

from sql import Literal
from sql.aggregate import Count
from sql.functions import Extract
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction

from .exceptions import PortalError

# Counts under it are shown as "fewer than" (secret statistique).
SMALL_CELL = 5


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
            member.request_mandate(values['iban'])
        cls.request([member])
        cls._adhesion_email(member, user)
        return member

    def request_mandate(self, iban):
        """A SEPA mandate of the member signed online for the account
        iban, for the staff to validate."""
        pool = Pool()
        BankAccount = pool.get('bank.account')
        Number = pool.get('bank.account.number')
        Mandate = pool.get('account.payment.sepa.mandate')
        Company = pool.get('company.company')
        party = self.party
        company, = Company.search([], limit=1)
        iban = stdnum_iban.compact(iban)
        # An IBAN is one account: a known one is reused.
        numbers = Number.search([('type', '=', 'iban'), ('number', '=', iban)],
            limit=1)
        if numbers:
            number, = numbers
            if party not in number.account.owners:
                BankAccount.write([number.account], {
                        'owners': [('add', [party.id])]})
        else:
            account, = BankAccount.create([{
                        'owners': [('add', [party.id])],
                        'currency': company.currency.id,
                        'numbers': [('create', [{
                                        'type': 'iban',
                                        'number': iban,
                                        }])],
                        }])
            number, = account.numbers
        Mandate.create([{
                    'company': company.id,
                    'party': party.id,
                    'address': party.addresses[0].id,
                    'account_number': number.id,
                    'identification': (
                        f'RUM-{party.code}-{len(party.sepa_mandates) + 1}'),
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

    def activity(self, years=5, today=None):
        """{year: {'visits': n, 'actions': n, 'visit_types': {name: n},
        'action_types': {name: n}}} over the last years: the visits done for
        its employees (not those they asked for themselves) and the
        workplace actions done at the member, by type; two aggregates."""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        VisitType = pool.get('spsti.visit.type')
        Action = pool.get('spsti.workplace_action')
        ActionType = pool.get('spsti.workplace_action.type')
        today = today or dt.date.today()
        first = today.year - years + 1
        result = {y: {'visits': 0, 'actions': 0, 'visit_types': {},
                'action_types': {}}
            for y in range(first, today.year + 1)}
        cursor = Transaction().connection.cursor()
        request = VisitRequest.__table__()
        visit_type = VisitType.__table__()
        year = Extract('YEAR', request.done_date)
        cursor.execute(*request.join(visit_type,
                condition=visit_type.id == request.visit_type).select(
                year, visit_type.id, Count(Literal(1)),
                where=(request.member == self.id)
                & (request.state == 'done')
                & (request.origin != 'employee')
                & (request.done_date >= dt.date(first, 1, 1)),
                group_by=[year, visit_type.id]))
        visits = list(cursor)
        action = Action.__table__()
        year = Extract('YEAR', action.start)
        cursor.execute(*action.select(year, action.type, Count(Literal(1)),
                where=(action.member == self.id)
                & (action.state == 'done')
                & (action.start >= dt.datetime(first, 1, 1)),
                group_by=[year, action.type]))
        actions = list(cursor)
        # The names in the user's language, read once for all the years.
        names = {
            'visit_types': {t.id: t.name for t in VisitType.browse(
                    list({t for _, t, _ in visits}))},
            'action_types': {t.id: t.name for t in ActionType.browse(
                    list({t for _, t, _ in actions}))},
            }
        for key, total, rows in [('visit_types', 'visits', visits),
                ('action_types', 'actions', actions)]:
            for year_, type_, count in rows:
                figures = result[int(year_)]
                figures[total] += count
                figures[key][names[key][type_]] = count
        return result

    def barometer(self, years=3, today=None):
        """Baromètre santé: what the visits of the last years concluded for
        the member's employees and the advice the employer was given, as
        counts; None when fewer distinct employees were seen than the
        configured threshold, so that no one can be recognised. The visits
        employees asked for themselves are left out."""
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        VisitRequest = pool.get('spsti.visit.request')
        Consultation = pool.get('spsti.dmst.consultation')
        ConsultationAdvice = pool.get(
            'spsti.dmst.consultation-spsti.advice.type')
        AdviceType = pool.get('spsti.advice.type')
        today = today or dt.date.today()
        start = today.replace(year=today.year - years)
        cursor = Transaction().connection.cursor()
        request = VisitRequest.__table__()
        where = ((request.member == self.id)
            & (request.state == 'done')
            & (request.origin != 'employee')
            & (request.done_date >= start))
        cursor.execute(*request.select(
                Count(request.employee, distinct=True),
                Count(Literal(1)), where=where))
        employees, visits = cursor.fetchone()
        if employees < Configuration(1).portal_barometer_threshold:
            return None
        cursor.execute(*request.select(request.outcome, Count(Literal(1)),
                where=where, group_by=[request.outcome]))
        outcomes = {o: c for o, c in cursor if o}
        consultation = Consultation.__table__()
        link = ConsultationAdvice.__table__()
        advice = AdviceType.__table__()
        cursor.execute(*request
            .join(consultation, condition=consultation.request == request.id)
            .join(link, condition=link.consultation == consultation.id)
            .join(advice, condition=advice.id == link.advice)
            .select(advice.id, Count(Literal(1)),
                where=where & advice.audience.in_(['employer', 'both']),
                group_by=[advice.id]))
        advice_counts = dict(cursor)
        return {
            'years': years,
            'employees': employees,
            'visits': visits,
            'outcomes': outcomes,
            'advice': sorted(((AdviceType(a).name, c)
                        for a, c in advice_counts.items()),
                key=lambda x: -x[1])[:5],
            'small_cell': SMALL_CELL,
            }
