"""Comptes du portail: a web user acts for the members it is given access
to (espace employeur) and, when linked to an employee, for themself (espace
salarié). It signs in with a one-time code sent by email, or a password if
it chose one."""
from email.message import EmailMessage

import trytond.config as config
from trytond.exceptions import RateLimitException
from trytond.i18n import gettext
from trytond.model import Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional

from .exceptions import PortalError
from .member_access import PROFILES


class User(metaclass=PoolMeta):
    __name__ = 'web.user'
    member_accesses = fields.One2Many(
        'spsti.portal.member_access', 'web_user', "Employer Accesses")
    employee = fields.Many2One(
        'spsti.employee', "Employee", ondelete='RESTRICT',
        help="The employee whose own space (espace salarié) this account "
        "opens.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('employee_unique', Unique(t, t.employee),
                'spsti_portal.msg_web_user_employee_unique'),
            ]

    def member_access(self, member_id, profile=None):
        """The access of the user to the member, granting profile when
        given; None when there is none."""
        for access in self.member_accesses:
            if (access.member.id == member_id and access.active
                    and access.member.state == 'member'
                    and (profile is None or access.allows(profile))):
                return access

    @property
    def active_member_accesses(self):
        return [a for a in self.member_accesses
            if a.active and a.member.state == 'member']

    @classmethod
    def by_email(cls, email):
        users = cls.search([('email', '=', (email or '').strip().lower())],
            limit=1)
        return users[0] if users else None

    @classmethod
    def send_login_code(cls, email):
        """Email a sign-in code to the account of email. Nothing tells
        whether the account exists; a flood of codes is refused."""
        pool = Pool()
        Attempt = pool.get('web.user.authenticate.attempt')
        LoginCode = pool.get('spsti.portal.login_code')
        Configuration = pool.get('spsti.adherent.configuration')
        if Attempt.count_ip() > config.getint(
                'session', 'max_attempt_ip_network', default=300):
            raise RateLimitException()
        user = cls.by_email(email)
        if not user:
            Attempt.add(email.strip().lower())
            return
        config_ = Configuration(1)
        if LoginCode.sent_last_hour(user) >= config_.portal_codes_per_hour:
            raise RateLimitException()
        code = LoginCode.issue(user)
        msg = EmailMessage()
        msg['From'] = config.get('email', 'from')
        msg['To'] = user.email
        msg['Subject'] = gettext('spsti_portal.msg_login_code_subject')
        msg.set_content(gettext('spsti_portal.msg_login_code_body',
                code=code, minutes=config_.portal_code_minutes))
        send_message_transactional(msg)

    @classmethod
    def authenticate_code(cls, email, code):
        """The user whose valid code this is, else None; failures count
        with the password ones towards the rate limits per address and per
        network, besides the attempts each code allows."""
        pool = Pool()
        Attempt = pool.get('web.user.authenticate.attempt')
        LoginCode = pool.get('spsti.portal.login_code')
        email = (email or '').strip().lower()
        # Many addresses tried from one network are a flood too.
        if Attempt.count_ip() > config.getint(
                'session', 'max_attempt_ip_network', default=300):
            raise RateLimitException()
        if Attempt.count(email) > config.getint(
                'session', 'max_attempt', default=5):
            Attempt.add(email)
            raise RateLimitException()
        user = cls.by_email(email)
        if user and LoginCode.verify(user, code or ''):
            Attempt.remove(email)
            return user
        Attempt.add(email)

    def invite(self, member_id, email, profiles, external=False):
        """Give the account of email (created when missing) access to the
        member with the profiles; only an administrator of the member may."""
        pool = Pool()
        Access = pool.get('spsti.portal.member_access')
        Member = pool.get('spsti.member')
        if not self.member_access(member_id, 'administrator'):
            raise PortalError(gettext('spsti_portal.msg_not_administrator',
                    member=Member(member_id).rec_name))
        email = (email or '').strip().lower()
        user = self.by_email(email)
        if not user:
            user, = self.create([{'email': email}])
        values = {p: p in profiles for p in PROFILES}
        values['external'] = bool(external)
        values['active'] = True
        existing = Access.search([
                ('web_user', '=', user.id),
                ('member', '=', member_id),
                ('active', 'in', [True, False]),
                ])
        if existing:
            Access.write(existing, values)
        else:
            Access.create([dict(values, web_user=user.id, member=member_id,
                        invited_by=self.id)])
        return user
