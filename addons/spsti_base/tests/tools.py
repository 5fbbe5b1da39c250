"Helpers shared by the tests of the SPSTI modules."
from contextlib import contextmanager

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
