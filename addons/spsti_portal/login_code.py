"""Codes à usage unique: the portal's sign-in without a password. A code is
sent by email, kept hashed, valid a few minutes and void after a few wrong
entries."""
import datetime as dt
import secrets

from sql.aggregate import Count

from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool
from trytond.transaction import Transaction


class LoginCode(ModelSQL):
    "Code de connexion: a one-time sign-in code of a portal account."
    __name__ = 'spsti.portal.login_code'
    __string__ = "Portal Sign-in Code"
    web_user = fields.Many2One(
        'web.user', "Web User", required=True, ondelete='CASCADE')
    code_hash = fields.Char("Code Hash", required=True, strip=False)
    expire = fields.Timestamp("Expire", required=True)
    attempts = fields.Integer("Attempts", required=True)
    used = fields.Boolean("Used")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__ = set()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.web_user, Index.Equality()),
                (t.create_date, Index.Range())))

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def default_used(cls):
        return False

    @classmethod
    def sent_last_hour(cls, user):
        "Codes sent to the user within the last hour."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Count(table.id),
                where=(table.web_user == user.id)
                & (table.create_date
                    >= dt.datetime.now() - dt.timedelta(hours=1))))
        return cursor.fetchone()[0]

    @classmethod
    def issue(cls, user):
        """A new code for the user, the previous ones voided; returns the
        code in clear to be sent, only its hash is stored."""
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        User = pool.get('web.user')
        minutes = Configuration(1).portal_code_minutes
        cls.write(cls.search([
                    ('web_user', '=', user.id),
                    ('used', '=', False),
                    ]), {'used': True})
        code = f'{secrets.randbelow(10**6):06d}'
        cls.create([{
                    'web_user': user.id,
                    'code_hash': User.hash_password(code),
                    'expire': (dt.datetime.now()
                        + dt.timedelta(minutes=minutes)),
                    }])
        return code

    @classmethod
    def verify(cls, user, code):
        """Whether code is the user's valid code; a right code is used
        once, a wrong one counts an attempt on the pending code."""
        pool = Pool()
        Configuration = pool.get('spsti.adherent.configuration')
        User = pool.get('web.user')
        limit = Configuration(1).portal_code_attempts
        pending = cls.search([
                ('web_user', '=', user.id),
                ('used', '=', False),
                ('expire', '>', dt.datetime.now()),
                ('attempts', '<', limit),
                ], order=[('create_date', 'DESC')], limit=1)
        if not pending:
            return False
        login_code, = pending
        valid, _ = User.check_password(code.strip(), login_code.code_hash)
        if valid:
            login_code.used = True
        else:
            login_code.attempts += 1
        login_code.save()
        return valid
