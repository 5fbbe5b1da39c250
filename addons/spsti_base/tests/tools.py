"Helpers shared by the tests of the SPSTI modules."
import email
import email.policy
import socket
from contextlib import contextmanager

from aiosmtpd.controller import Controller

import trytond.config as config
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.thesaurus import load_shipped_lists
from trytond.pool import Pool
from trytond.transaction import Transaction


def load_lists():
    return load_shipped_lists()


def create_organisation(members=5, employees=6000):
    """A small demo SPSTI (two teams); returns its company, first team, the
    team's lead doctor and a nurse, and the demo users by login."""
    pool = Pool()
    Demo = pool.get('spsti.demo')
    Team = pool.get('spsti.team')
    User = pool.get('res.user')
    ctx = DemoContext(members, employees, seed=7)
    # Only this module's steps: other modules' demo objects stay out.
    ctx.company = Demo.generate_company(ctx)
    with Transaction().set_context(company=ctx.company.id):
        Demo.generate_organisation(ctx)
        Demo.generate_users(ctx)
    teams = Team.search([], order=[('code', 'ASC')])
    team = teams[0]
    nurse = next(m.professional for m in team.members
        if m.professional.profession.code == 'IDEST')
    users = {u.login: u for u in User.search([])}
    return {
        'company': ctx.company,
        'team': team,
        'other_team': teams[1],
        'doctor': team.lead,
        'nurse': nurse,
        'users': users,
        }


@contextmanager
def as_user(user):
    "Context manager: act as user, with access rights and record rules."
    with Transaction().set_user(user.id), \
            Transaction().set_context(_check_access=True):
        yield


def untranslated_strings(module):
    """The user-facing strings of module without a French translation in its
    locale/fr.po (empty or fuzzy entries count as missing)."""
    import os

    import polib

    from trytond.tools import find_path
    pool = Pool()
    Translation = pool.get('ir.translation')
    TranslationSet = pool.get('ir.translation.set', type='wizard')
    session_id, _, _ = TranslationSet.create()
    TranslationSet.execute(session_id, {}, 'set_')
    TranslationSet.delete(session_id)
    sources = {t.src for t in Translation.search([
                ('module', '=', module), ('lang', '=', 'en')]) if t.src}
    po = polib.pofile(find_path(os.path.join(module, 'locale', 'fr.po')))
    french = {e.msgid for e in po if e.msgstr and not e.fuzzy}
    return sorted(sources - french)


class SMTPSink:
    """A real SMTP server on a free local port that keeps what it
    receives, for the transactions that send mail on commit (portal
    pages, e-invoices)."""

    def __init__(self):
        self.messages = []
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(self, hostname='127.0.0.1',
            port=self.port)

    @property
    def uri(self):
        return f'smtp://127.0.0.1:{self.port}'

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(
                envelope.content, policy=email.policy.default))
        return '250 OK'

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def serve(self, test):
        """Receive the mail of the transactions that commit until test
        ends (a test's transaction sends what it queued when it ends)."""
        uri = config.get('email', 'uri')
        self.start()
        config.set('email', 'uri', self.uri)
        test.addCleanup(self.stop)
        test.addCleanup(config.set, 'email', 'uri', uri)
        return self
