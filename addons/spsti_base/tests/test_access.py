"""Access of each SPSTI user group to the referentials and the organisation
(the matrix of README.rst)."""
from trytond.model.exceptions import AccessError
from trytond.modules.spsti_base.tests.tools import (
    as_user, create_organisation)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

STAFF = ['medecin', 'infirmier', 'planification', 'facturation', 'relation',
    'pilotage']


class AccessTestCase(ModuleTestCase):
    "Access per group"
    module = 'spsti_base'

    def setup_organisation(self):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        org = create_organisation()
        admin, = User.create([{
                    'login': 'admin.spsti', 'name': "Administrateur SPSTI",
                    'groups': [('add', [ModelData.get_id(
                                    'spsti_base', 'group_spsti_admin')])],
                    }])
        org['users']['admin.spsti'] = admin
        return org

    @with_transaction()
    def test_referentials_read_by_all_written_by_admin(self):
        "Every group reads the thésaurus and rules; only admin changes them"
        pool = Pool()
        org = self.setup_organisation()
        users = org['users']
        for model in ['spsti.visit.type', 'spsti.follow_up.rule',
                'spsti.periodicity.rule', 'spsti.professional',
                'spsti.centre']:
            Model = pool.get(model)
            for login in STAFF:
                with self.subTest(model=model, login=login), \
                        as_user(users[login]):
                    Model.search([])
                    with self.assertRaises(AccessError):
                        Model.create([{}])
        VisitType = pool.get('spsti.visit.type')
        with as_user(users['admin.spsti']):
            VisitType.create([{'code': 'TEST', 'name': "Visite test"}])

    @with_transaction()
    def test_doctor_manages_own_team_only(self):
        "A doctor edits the team they lead, not another team"
        pool = Pool()
        Team = pool.get('spsti.team')
        TeamMember = pool.get('spsti.team.member')
        org = self.setup_organisation()
        users = org['users']
        team, other = org['team'], org['other_team']
        self.assertEqual(team.lead.user, users['medecin'])
        with as_user(users['medecin']):
            Team.write([Team(team.id)], {'name': "Équipe Loire"})
            TeamMember.create([{
                        'team': team.id,
                        'professional': other.members[-1].professional.id}])
            with self.assertRaises(AccessError):
                Team.write([Team(other.id)], {'name': "Pas la mienne"})
            with self.assertRaises(AccessError):
                TeamMember.create([{
                            'team': other.id,
                            'professional': team.lead.id}])
        for login in ['infirmier', 'planification', 'facturation']:
            with self.subTest(login=login), as_user(users[login]):
                with self.assertRaises(AccessError):
                    Team.write([Team(team.id)], {'name': "Non"})
        with as_user(users['admin.spsti']):
            Team.write([Team(other.id)], {'name': "Équipe Cher"})

    @with_transaction()
    def test_planning_manages_rooms(self):
        "Planning staff manage rooms; billing staff do not"
        pool = Pool()
        Room = pool.get('spsti.centre.room')
        Centre = pool.get('spsti.centre')
        org = self.setup_organisation()
        users = org['users']
        centre, = Centre.search([], limit=1)
        with as_user(users['planification']):
            Room.create([{'centre': centre.id, 'name': "Cabinet 9"}])
        with as_user(users['facturation']):
            with self.assertRaises(AccessError):
                Room.create([{'centre': centre.id, 'name': "Cabinet 10"}])

    @with_transaction()
    def test_menus_by_group(self):
        "The SPSTI menu shows to SPSTI groups; configuration to admin only"
        pool = Pool()
        Menu = pool.get('ir.ui.menu')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        org = self.setup_organisation()
        users = org['users']
        outsider, = User.create([{'login': 'outsider', 'name': "Outsider"}])
        spsti = ModelData.get_id('spsti_base', 'menu_spsti')
        configuration = ModelData.get_id('spsti_base', 'menu_configuration')

        def visible(user):
            with as_user(user):
                return {m.id for m in Menu.search(
                            [('id', 'in', [spsti, configuration])])}
        self.assertEqual(visible(users['admin.spsti']), {spsti, configuration})
        for login in STAFF:
            with self.subTest(login=login):
                self.assertEqual(visible(users[login]), {spsti})
        self.assertEqual(visible(outsider), set())


del ModuleTestCase
