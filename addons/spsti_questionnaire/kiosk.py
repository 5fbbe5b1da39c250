"""Bornes de questionnaire: a device at the centre (tablet) opened by the
staff, on which the employee identifies with the one-time code of the
convocation and answers; it shows nothing else and forgets the employee
after sending, declining or a timeout."""
import datetime as dt
import hashlib
import secrets

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import ResponseError
from .response import new_code, normalise_code

# Minutes during which the activation code shown to the staff is valid.
ACTIVATION_MINUTES = 15


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Kiosk(DeactivableMixin, ModelSQL, ModelView):
    """Borne de questionnaire: opened by the staff for the day with an
    activation code typed on the device; the device then keeps a session
    of its own (only its digest is stored)."""
    __name__ = 'spsti.questionnaire.kiosk'
    __string__ = "Questionnaire Kiosk"
    name = fields.Char("Name", required=True)
    centre = fields.Many2One(
        'spsti.centre', "Centre", required=True, ondelete='RESTRICT')
    activation_code = fields.Char(
        "Activation Code", readonly=True, strip=False,
        help="To type on the device, within the minutes that follow.")
    activation_until = fields.DateTime("Activation Until", readonly=True)
    session_digest = fields.Char("Session Digest", readonly=True)
    session_until = fields.DateTime("Open Until", readonly=True)
    response = fields.Many2One(
        'spsti.questionnaire.response', "Current Response", readonly=True,
        ondelete='SET NULL')
    response_until = fields.DateTime("Current Response Until", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('session_digest_unique', Unique(t, t.session_digest),
                'spsti_questionnaire.msg_kiosk_session_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.session_digest, Index.Equality()),
                where=t.session_digest != Null))
        cls._buttons.update({
                'open_session': {},
                'close_session': {
                    'invisible': ~Bool(Eval('session_until')),
                    'depends': ['session_until'],
                    },
                })

    @classmethod
    @ModelView.button
    def open_session(cls, kiosks):
        """Show an activation code to type on the device; any session the
        kiosk had is closed."""
        until = dt.datetime.now() + dt.timedelta(minutes=ACTIVATION_MINUTES)
        for kiosk in kiosks:
            kiosk.activation_code = new_code()
            kiosk.activation_until = until
            kiosk.forget_session()
        # The reception opens kiosks; the session fields are no one's to
        # write through the client.
        with without_check_access():
            cls.save(kiosks)

    @classmethod
    @ModelView.button
    def close_session(cls, kiosks):
        for kiosk in kiosks:
            kiosk.activation_code = kiosk.activation_until = None
            kiosk.forget_session()
        with without_check_access():
            cls.save(kiosks)

    def forget_session(self):
        self.session_digest = self.session_until = None
        self.response = self.response_until = None

    @classmethod
    def activate(cls, code):
        """The device typed the activation code: the kiosk opens and the
        token of its session is returned (None for a wrong code)."""
        Configuration = Pool().get('spsti.adherent.configuration')
        now = dt.datetime.now()
        code = normalise_code(code)
        kiosks = cls.search([
                ('activation_code', '=', code),
                ('activation_until', '>', now),
                ], limit=1) if code else []
        if not kiosks:
            return None
        kiosk, = kiosks
        token = secrets.token_urlsafe(32)
        kiosk.activation_code = kiosk.activation_until = None
        kiosk.session_digest = digest(token)
        kiosk.session_until = now + dt.timedelta(
            hours=Configuration(1).kiosk_session_hours)
        kiosk.response = kiosk.response_until = None
        kiosk.save()
        return token

    @classmethod
    def from_token(cls, token):
        "The open kiosk of the session token of a device, if any."
        if not token:
            return None
        kiosks = cls.search([
                ('session_digest', '=', digest(token)),
                ('session_until', '>', dt.datetime.now()),
                ], limit=1)
        return kiosks[0] if kiosks else None

    def identify(self, code):
        """The employee typed the code of the convocation: the kiosk shows
        its questionnaire until the timeout. Refused (ResponseError) for a
        wrong code and, past the attempts allowed, for any code."""
        pool = Pool()
        Response = pool.get('spsti.questionnaire.response')
        Attempt = pool.get('spsti.questionnaire.kiosk.attempt')
        Configuration = pool.get('spsti.adherent.configuration')
        config = Configuration(1)
        if Attempt.failures(self, config.kiosk_lock_minutes) >= (
                config.kiosk_attempts):
            raise ResponseError(gettext(
                    'spsti_questionnaire.msg_kiosk_locked',
                    minutes=config.kiosk_lock_minutes))
        code = normalise_code(code)
        responses = Response.search([
                ('kiosk_code', '=', code),
                ('state', '=', 'sent'),
                ('request.state', 'in', ['to_plan', 'planned']),
                ], limit=1) if code else []
        Attempt.add(self, bool(responses))
        if not responses:
            raise ResponseError(gettext(
                    'spsti_questionnaire.msg_kiosk_code_invalid'))
        self.response = responses[0]
        self.response_until = dt.datetime.now() + dt.timedelta(
            minutes=config.kiosk_timeout_minutes)
        self.save()
        return self.response

    def current(self):
        """The response of the employee identified, forgotten after the
        timeout or once it is no longer to answer."""
        if self.response and (self.response_until > dt.datetime.now()
                and self.response.state == 'sent'):
            return self.response
        if self.response:
            self.forget()
        return None

    def forget(self):
        self.response = self.response_until = None
        self.save()


class KioskAttempt(ModelSQL):
    "A code typed at a kiosk, kept to refuse guessing."
    __name__ = 'spsti.questionnaire.kiosk.attempt'
    __string__ = "Kiosk Code Attempt"
    kiosk = fields.Many2One(
        'spsti.questionnaire.kiosk', "Kiosk", required=True,
        ondelete='CASCADE')
    date = fields.DateTime("Date", required=True)
    success = fields.Boolean("Success")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.kiosk, Index.Equality()), (t.date, Index.Range())))

    @classmethod
    def add(cls, kiosk, success):
        "Record an attempt; those older than a day are dropped."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.now()
        cursor.execute(*table.delete(
                where=table.date < now - dt.timedelta(days=1)))
        cls.create([{'kiosk': kiosk.id, 'date': now, 'success': success}])

    @classmethod
    def failures(cls, kiosk, minutes):
        "The wrong codes typed at kiosk over the last minutes."
        return cls.search_count([
                ('kiosk', '=', kiosk.id),
                ('success', '=', False),
                ('date', '>', dt.datetime.now() - dt.timedelta(
                        minutes=minutes)),
                ])
