"""Tableaux de bord individuels: the lists a professional opens every day
(visits to do, overdue, done this month, workplace actions, job retention
cases for the health professionals) set side by side on their dashboard
(stock dashboard module)."""
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

# The dashboard lists of every professional, then those of the health
# professionals (XML ids of this module's actions).
DASHBOARD_ACTIONS = [
    'act_dashboard_visits_todo',
    'act_dashboard_visits_overdue',
    'act_dashboard_visits_done_month',
    'act_dashboard_workplace_actions',
    ]
HEALTH_DASHBOARD_ACTIONS = [
    'act_dashboard_pdp_cases',
    ]


class Team(metaclass=PoolMeta):
    __name__ = 'spsti.team'
    mine = fields.Function(
        fields.Boolean("My Team",
            help="The user's professional is a member of it today."),
        'get_mine', searcher='search_mine')

    @classmethod
    def current_user_teams(cls):
        "The ids of the teams of the user's professional today."
        return Pool().get('spsti.dmst').user_teams()

    @classmethod
    def get_mine(cls, teams, name):
        mine = cls.current_user_teams()
        return {t.id: t.id in mine for t in teams}

    @classmethod
    def search_mine(cls, name, clause):
        _, operator, value = clause
        positive = (operator == '=') == bool(value)
        return [('id', 'in' if positive else 'not in',
                list(cls.current_user_teams()))]


class Professional(metaclass=PoolMeta):
    __name__ = 'spsti.professional'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'setup_dashboard': {
                    'icon': 'tryton-board',
                    },
                })

    @classmethod
    @ModelView.button
    def setup_dashboard(cls, professionals):
        """Put the professional's lists on the dashboard of their login,
        those of health data only for a health professional; the lists
        already there are kept, a rerun adds nothing."""
        pool = Pool()
        Action = pool.get('dashboard.action')
        ModelData = pool.get('ir.model.data')
        with without_check_access():
            users = {p.user.id: p for p in professionals if p.user}
            present = {(a.user.id, a.act_window.id) for a in Action.search([
                        ('user', 'in', list(users)),
                        ])}
            to_create = []
            for user_id, professional in users.items():
                names = DASHBOARD_ACTIONS + (HEALTH_DASHBOARD_ACTIONS
                    if professional.health_professional else [])
                for sequence, name in enumerate(names, 1):
                    act_window = ModelData.get_id('spsti_organisation', name)
                    if (user_id, act_window) not in present:
                        to_create.append({
                                'user': user_id,
                                'act_window': act_window,
                                'sequence': sequence * 10,
                                })
            Action.create(to_create)
