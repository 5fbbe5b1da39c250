"""Coverage history and reassignment, the load of the teams against a
hand-computed case, internal projects from a template, the confidentiality
of filed documents with users of each group, and the dashboards."""
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.modules.spsti_base.tests.tools import (
    as_user, untranslated_strings)
from trytond.modules.spsti_organisation.exceptions import ReassignmentError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

PAST = dt.date(2024, 1, 1)
NON_HEALTH_USERS = [
    'admin', 'planification', 'facturation', 'relation', 'pilotage']


def backdate_coverages():
    "The coverages opened at creation started long ago."
    Coverage = Pool().get('spsti.team.coverage')
    Coverage.write(Coverage.search([]), {'start_date': PAST})


def workforce(establishment, categories, seed):
    """Employees at establishment: categories is a list of risk tuples,
    one employee each (no risk: SIG; asbestos: SIR)."""
    assignments = []
    for i, risks in enumerate(categories):
        employee = create_employee(
            f"Salarié{seed}{i}", "Test", dt.date(1980, 1, 1 + i),
            seed=seed * 100 + i)
        assignments.append(create_assignment(
                employee, establishment, risks=risks))
    return assignments


class SpstiOrganisationTestCase(ModuleTestCase):
    "Test spsti_organisation module"
    module = 'spsti_organisation'

    @with_transaction()
    def test_reassignment_keeps_history(self):
        "Moving a portfolio closes the old periods and opens the new ones"
        pool = Pool()
        Coverage = pool.get('spsti.team.coverage')
        Reassignment = pool.get('spsti.team.reassignment')
        Member = pool.get('spsti.member')
        Date = pool.get('ir.date')
        org = setup_referentials()
        team_a, team_b = org['team'], org['other_team']
        members, establishments = zip(*(
                create_member(f"Adhérent {i}", 300 + i, team=team_a)
                for i in range(3)))
        backdate_coverages()
        today = Date.today()

        reassignment, = Reassignment.create([{
                    'date': today,
                    'from_team': team_a.id,
                    'to_team': team_b.id,
                    'members': [('add', [m.id for m in members[:2]])],
                    }])
        Reassignment.apply([reassignment])

        moved, kept = Member.browse(members[:2]), Member(members[2].id)
        self.assertEqual({m.team for m in moved}, {team_b})
        self.assertEqual({m.sector for m in moved}, {team_b.sector})
        self.assertEqual(kept.team, team_a)
        self.assertEqual(reassignment.moved, 2)
        history = Coverage.search([('member', '=', moved[0].id)],
            order=[('start_date', 'ASC')])
        self.assertEqual(
            [(c.team, c.start_date, c.end_date) for c in history],
            [(team_a, PAST, today - dt.timedelta(days=1)),
                (team_b, today, None)])
        self.assertEqual(history[0].closed_by, reassignment)
        self.assertEqual(history[1].opened_by, reassignment)
        self.assertEqual(len(Coverage.search([('member', '=', kept.id)])), 1)

        # Planned for next month: the team changes on that day only.
        later = today + dt.timedelta(days=30)
        back, = Reassignment.create([{
                    'date': later,
                    'from_team': team_b.id,
                    'to_team': team_a.id,
                    'members': [('add', [moved[0].id])],
                    }])
        Reassignment.apply([back])
        self.assertEqual(Member(moved[0].id).team, team_b)
        Coverage.apply_in_force(later)
        self.assertEqual(Member(moved[0].id).team, team_a)
        self.assertEqual(len(Coverage.search(
                    [('member', '=', moved[0].id)])), 3)

        # A change by hand is recorded too; a rerun adds nothing.
        Member.write([kept], {'team': team_b.id, 'sector': team_b.sector.id})
        self.assertEqual(
            [c.team for c in Coverage.search([('member', '=', kept.id)],
                    order=[('start_date', 'ASC')])],
            [team_a, team_b])
        # An establishment followed by a team of its own for a day only:
        # that period did not happen.
        Establishment = pool.get('spsti.establishment')
        Establishment.write([establishments[2]], {'team': team_a.id})
        self.assertEqual(len(establishments[2].coverages), 1)
        Establishment.write([establishments[2]], {'team': None})
        self.assertEqual(len(Establishment(establishments[2].id).coverages),
            0)
        count = Coverage.search([], count=True)
        self.assertEqual(Coverage.initialise(), 0)
        Coverage.daily()
        self.assertEqual(Coverage.search([], count=True), count)

        # Nothing to move is refused with the team's name.
        empty, = Reassignment.create([{
                    'date': today,
                    'from_team': team_a.id,
                    'to_team': team_b.id,
                    'members': [('add', [kept.id])],
                    }])
        with self.assertRaises(ReassignmentError):
            Reassignment.apply([empty])

    @with_transaction()
    def test_load_matches_hand_computation(self):
        "The load of a team is the hand-computed one"
        pool = Pool()
        TeamLoad = pool.get('spsti.team.load')
        TeamMember = pool.get('spsti.team.member')
        WorkTime = pool.get('spsti.professional.work_time')
        Absence = pool.get('spsti.professional.absence')
        Reassignment = pool.get('spsti.team.reassignment')
        Date = pool.get('ir.date')
        org = setup_referentials()
        team_a, team_b = org['team'], org['other_team']
        nurse = org['nurse']
        _, establishment = create_member("Chantier Dupont", 401, team=team_a)
        other, other_establishment = create_member(
            "Bureau Durand", 402, team=team_b)
        # Team A: 4 employees in SIG, 2 in SIR (asbestos); one of the SIG
        # employees has a second post there: still one employee.
        sig_sir = [()] * 4 + [('CHIM.AMIANTE',)] * 2
        assignments = workforce(establishment, sig_sir, 4)
        create_assignment(assignments[0].employee, establishment,
            job='431f', start=dt.date(2021, 1, 1))
        workforce(other_establishment, [()] * 3, 5)
        today = Date.today()
        # A newcomer in SIG, a month ago: its initial visit is due too.
        newcomer = create_employee("Nouveau", "Test", dt.date(1990, 5, 5),
            seed=499)
        create_assignment(newcomer, establishment,
            start=today - dt.timedelta(days=30))
        backdate_coverages()

        # The nurse works Monday 9:00-12:00 for team A at half time and is
        # away a whole week.
        membership, = TeamMember.search([
                ('team', '=', team_a.id), ('professional', '=', nurse.id)])
        TeamMember.write([membership], {'time_share': Decimal('0.5')})
        WorkTime.create([{
                    'professional': nurse.id,
                    'weekday': '0',
                    'start_time': dt.time(9),
                    'end_time': dt.time(12),
                    'centre': nurse.centre.id,
                    }])
        monday = today + dt.timedelta(days=7 - today.weekday())
        Absence.create([{
                    'professional': nurse.id,
                    'start_date': monday,
                    'end_date': monday + dt.timedelta(days=6),
                    }])

        loads = {l.team: l for l in TeamLoad.compute(today)}
        load = loads[team_a]
        # SIG: VIP-P every 5 years; SIR: SIR-P every 4 years and SIR-INT
        # once in between; the newcomer's VIP-I; 30 minutes each (rules
        # and visit types).
        visits = (5 * Decimal('0.2') + 2 * (Decimal('0.25') + Decimal('0.25'))
            + 1)
        self.assertEqual(visits, 3)
        self.assertEqual(load.employees, 7)
        self.assertEqual(load.visits, Decimal('3.0'))
        self.assertEqual(load.load_hours, Decimal('1.5'))
        by_category = {c.category.code: (c.employees, c.new_employees)
            for c in load.categories}
        self.assertEqual(by_category, {'SIG': (5, 1), 'SIR': (2, 0)})
        # 365 days hold 52 weeks and one day more; minus the week away.
        mondays = 52 + (1 if today.weekday() == 0 else 0) - 1
        capacity = Decimal(mondays * 3) * Decimal('0.5')
        self.assertEqual(load.capacity_hours,
            capacity.quantize(Decimal('0.1')))
        self.assertAlmostEqual(load.ratio, float(Decimal('1.5') / capacity),
            places=2)
        self.assertEqual(load.status, 'underloaded')
        line, = [p for p in load.professionals if p.professional == nurse]
        self.assertEqual((line.weekly_hours, line.absence_days),
            (Decimal('3.00'), 1))
        self.assertEqual(loads[team_b].employees, 3)
        self.assertEqual(loads[team_b].status, 'no_capacity')

        # Computed again for the same date: replaced, not duplicated.
        TeamLoad.compute(today)
        self.assertEqual(
            TeamLoad.search([('date', '=', today)], count=True), len(loads))

        # A reassignment planned for next month moves the load on that day.
        later = today + dt.timedelta(days=30)
        reassignment, = Reassignment.create([{
                    'date': later,
                    'from_team': team_b.id,
                    'to_team': team_a.id,
                    }])
        Reassignment.apply([reassignment])
        self.assertEqual(TeamLoad.workforce(today)[
                (team_b.id, assignments[0].category.id)], (3, 0))
        future = TeamLoad.workforce(later)
        self.assertEqual(future[(team_a.id, assignments[0].category.id)],
            (8, 1))
        self.assertNotIn((team_b.id, assignments[0].category.id), future)

    @with_transaction()
    def test_visit_rates_follow_the_rules_in_force(self):
        "The visits per year come from the periodicity rules in force"
        pool = Pool()
        TeamLoad = pool.get('spsti.team.load')
        Rule = pool.get('spsti.periodicity.rule')
        Category = pool.get('spsti.follow_up.category')
        setup_referentials()
        day = dt.date(2026, 1, 1)
        sia, = Category.search([('code', '=', 'SIA')])
        rates = TeamLoad.visit_rates(day)
        self.assertEqual(sum(r for _, r, _, _ in rates[sia.id]),
            Decimal(1) / 3)
        # A new rule from a date changes the load from that date only.
        old, = Rule.search([('code', '=', 'SIA-VIP-P')])
        Rule.write([old], {'end_date': dt.date(2026, 12, 31)})
        Rule.copy([old], default={
                'code': 'SIA-VIP-P-2027',
                'delay': 2,
                'start_date': dt.date(2027, 1, 1),
                'end_date': None,
                })
        self.assertEqual(
            sum(r for _, r, _, _ in TeamLoad.visit_rates(day)[sia.id]),
            Decimal(1) / 3)
        self.assertEqual(sum(r for _, r, _, _ in TeamLoad.visit_rates(
                    dt.date(2027, 6, 1))[sia.id]), Decimal(1) / 2)

    @with_transaction()
    def test_project_from_certification_template(self):
        "A certification campaign is made from its template in one action"
        pool = Pool()
        Work = pool.get('project.work')
        Review = pool.get('spsti.project.review')
        Status = pool.get('project.work.status')
        org = setup_referentials()
        with Transaction().set_context(company=org['company'].id):
            template = Work.certification_template()
            self.assertEqual(Work.certification_template(), template)
            start = dt.date(2025, 1, 6)
            project = Work.instantiate(template, "Certification 2025",
                start, dt.date(2025, 12, 31))
            tasks = project.tasks()
            self.assertEqual(len(tasks), len(template.children))
            self.assertFalse(any(t.is_template for t in tasks))
            self.assertTrue(all(t.timesheet_available for t in tasks))
            audit = [t for t in tasks if t.deadline_months == 12][0]
            self.assertEqual(audit.deadline, dt.date(2026, 1, 6))
            self.assertTrue(all(t.quality_chapter for t in tasks))
            # Quarterly follow-up until the end date.
            self.assertEqual([r.date for r in project.reviews], [
                    dt.date(2025, 4, 6), dt.date(2025, 7, 6),
                    dt.date(2025, 10, 6)])
            done, = Status.search([('progress', '=', 1)], limit=1)
            first = [t for t in tasks if t.deadline_months <= 3]
            Work.write(first, {'status': done.id, 'progress': 1})
            review = project.reviews[0]
            Review.record([review])
            self.assertEqual(review.tasks_done, len(first))
            self.assertEqual(review.tasks_total, len(tasks))
            # Every deadline of the campaign is past today but the done
            # tasks: all the others are late.
            self.assertEqual(review.tasks_late, len(tasks) - len(first))
            self.assertIn("5.3 Suivi individuel", review.late_chapters)
            self.assertEqual(template.children[0].deadline, None)

    def setup_documents(self):
        """An employee of the first team with a medical file holding a
        specialist's letter, another of the second team with one too, and
        documents filed on the first member: one shared, one internal."""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        MedicalFile = pool.get('spsti.dmst')
        ModelData = pool.get('ir.model.data')

        def type_(name):
            return ModelData.get_id('spsti_organisation',
                f'document_type_{name}')
        org = setup_referentials()
        member, establishment = create_member(
            "Garage Martin", 501, team=org['team'])
        _, far_establishment = create_member(
            "Ferme Lenoir", 502, team=org['other_team'])
        employee = create_employee("Martin", "Rémi", dt.date(1988, 4, 4))
        create_assignment(employee, establishment)
        far = create_employee("Lenoir", "Anne", dt.date(1979, 2, 3),
            sex='F', seed=2)
        create_assignment(far, far_establishment)
        file, far_file = MedicalFile.get_or_create([employee, far])
        medical, far_medical, shared, internal, on_employee = (
            Attachment.create([{
                        'name': "Courrier du rhumatologue.pdf",
                        'resource': str(file),
                        'data': b"Hernie discale L5-S1",
                        'spsti_type': type_('medical_letter'),
                        }, {
                        'name': "Scanner.pdf",
                        'resource': str(far_file),
                        'data': b"Compte rendu de scanner",
                        }, {
                        'name': "Bulletin d'adhésion.pdf",
                        'resource': str(member),
                        'data': b"Bulletin",
                        'spsti_type': type_('member_contract'),
                        'document_date': dt.date(2020, 3, 1),
                        }, {
                        'name': "Relance.pdf",
                        'resource': str(establishment),
                        'data': b"Relance",
                        'spsti_type': type_('member_letter'),
                        }, {
                        'name': "Convocation.pdf",
                        'resource': str(employee),
                        'data': b"Convocation",
                        'spsti_type': type_('employee_convocation'),
                        }]))
        return org, member, file, {
            'medical': medical, 'far_medical': far_medical,
            'shared': shared, 'internal': internal,
            'on_employee': on_employee}

    @with_transaction()
    def test_document_confidentiality(self):
        "Medical documents are read by the health professionals only"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        AccessLog = pool.get('spsti.dmst.access_log')
        org, member, file, docs = self.setup_documents()
        users = org['users']
        self.assertTrue(docs['medical'].spsti_medical)
        self.assertTrue(docs['far_medical'].spsti_medical)
        self.assertFalse(docs['shared'].spsti_medical)
        self.assertEqual(docs['shared'].retention_until,
            dt.date(2030, 3, 1))
        administrative = {docs['shared'].id, docs['internal'].id,
            docs['on_employee'].id}

        medical_ids = [docs['medical'].id, docs['far_medical'].id]
        for login in NON_HEALTH_USERS:
            with self.subTest(user=login), as_user(users[login]):
                self.assertEqual(
                    Attachment.search([('id', 'in', medical_ids)]), [])
                for name in ['medical', 'far_medical']:
                    with self.assertRaises(AccessError):
                        Attachment.read([docs[name].id], ['name', 'data'])
                if login == 'planification':
                    found = {a.id for a in Attachment.search([])}
                    self.assertTrue(administrative <= found)
                    self.assertFalse(found & set(medical_ids))

        for login in ['medecin', 'infirmier']:
            before = AccessLog.search([('file', '=', file.id)], count=True)
            with self.subTest(user=login), as_user(users[login]):
                found = {a.id for a in Attachment.search([])}
                self.assertIn(docs['medical'].id, found)
                # Out of the scope of their team, not even listed.
                self.assertNotIn(docs['far_medical'].id, found)
                data, = Attachment.read([docs['medical'].id],
                    ['name', 'data'])
                self.assertEqual(bytes(data['data']), b"Hernie discale L5-S1")
                with self.assertRaises(AccessError):
                    Attachment.read([docs['far_medical'].id], ['name'])
            self.assertGreater(
                AccessLog.search([('file', '=', file.id)], count=True),
                before)

    @with_transaction()
    def test_shared_documents_and_filing_rules(self):
        "A member is shown its shared documents, never internal ones"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        DocumentType = pool.get('spsti.document.type')
        ModelData = pool.get('ir.model.data')
        org, member, file, docs = self.setup_documents()
        self.assertEqual(Attachment.shared_with(member), [docs['shared']])
        medical_type = DocumentType(ModelData.get_id(
                'spsti_organisation', 'document_type_medical_letter'))
        # A medical type is filed only in a medical file, never shared.
        with self.assertRaises(ValidationError):
            Attachment.create([{
                        'name': "Ordonnance.pdf",
                        'resource': str(member),
                        'data': b"...",
                        'spsti_type': medical_type.id,
                        }])
        with self.assertRaises(ValidationError):
            DocumentType.write([medical_type], {'shared_with_member': True})
        contract = docs['shared'].spsti_type
        with self.assertRaises(ValidationError):
            Attachment.write([docs['on_employee']],
                {'spsti_type': contract.id})
        self.assertEqual(Attachment.past_retention(dt.date(2031, 1, 1)),
            [docs['shared']])
        # The classification is computed, whatever is written.
        Attachment.write([docs['medical']], {'spsti_medical': False})
        self.assertTrue(docs['medical'].spsti_medical)

    @with_transaction()
    def test_incoming_documents(self):
        "An incoming document is filed on its member or medical file"
        pool = Pool()
        Incoming = pool.get('document.incoming')
        Attachment = pool.get('ir.attachment')
        ModelData = pool.get('ir.model.data')
        org, member, file, docs = self.setup_documents()
        employee = file.employee

        def type_(name):
            return ModelData.get_id('spsti_organisation',
                f'document_type_{name}')
        letter, result = Incoming.create([{
                    'name': "Courrier adhérent.pdf",
                    'data': b"Demande de devis",
                    'type': 'spsti_member',
                    'spsti_member': member.id,
                    'spsti_type': type_('member_letter'),
                    }, {
                    'name': "Résultat audiogramme.pdf",
                    'data': b"Perte auditive 30 dB",
                    'type': 'spsti_employee',
                    'spsti_employee': employee.id,
                    'spsti_type': type_('medical_exam'),
                    }])
        self.assertTrue(result.spsti_medical)
        Incoming.write([result], {'spsti_medical': False})
        self.assertTrue(result.spsti_medical)
        # The planning staff files the mail but never sees a medical one.
        with as_user(org['users']['planification']):
            found = [d.id for d in Incoming.search([])]
        self.assertIn(letter.id, found)
        self.assertNotIn(result.id, found)
        Incoming.write([letter, result], {'state': 'processing'})
        with as_user(org['users']['planification']):
            with self.assertRaises(AccessError):
                Incoming.proceed([Incoming(result.id)])
        Incoming.proceed([letter, result])
        self.assertEqual(letter.result, member)
        self.assertEqual(result.result, file)
        filed, = Attachment.search([('resource', '=', str(file)),
                ('name', '=', result.name)])
        self.assertEqual(filed.spsti_type.id, type_('medical_exam'))
        self.assertTrue(filed.spsti_medical)
        filed_letter, = Attachment.search([('resource', '=', str(member)),
                ('name', '=', letter.name)])
        self.assertEqual(filed_letter.spsti_type.id, type_('member_letter'))

    @with_transaction()
    def test_dashboards(self):
        "Each professional's dashboard has their lists, PDP for health only"
        pool = Pool()
        Professional = pool.get('spsti.professional')
        Action = pool.get('dashboard.action')
        ModelData = pool.get('ir.model.data')
        VisitRequest = pool.get('spsti.visit.request')
        org = setup_referentials()
        professionals = Professional.search([('user', '!=', None)])
        Professional.setup_dashboard(professionals)
        Professional.setup_dashboard(professionals)
        pdp = ModelData.get_id('spsti_organisation',
            'act_dashboard_pdp_cases')
        for professional in professionals:
            actions = Action.search([('user', '=', professional.user.id)])
            names = {a.act_window.id for a in actions}
            self.assertEqual(pdp in names, professional.health_professional)
            self.assertEqual(len(actions), len(names))
        # The overdue visits of the doctor's teams, not the others'.
        _, establishment = create_member("Garage Martin", 601,
            team=org['team'])
        _, far = create_member("Ferme Lenoir", 602, team=org['other_team'])
        mine = workforce(establishment, [()], 6)[0]
        theirs = workforce(far, [()], 7)[0]
        VisitRequest.compute_due_visits([mine, theirs])
        with as_user(org['users']['medecin']):
            overdue = VisitRequest.search([
                    ('team.mine', '=', True), ('overdue', '=', True)])
        self.assertTrue(overdue)
        self.assertEqual({r.assignment for r in overdue}, {mine})

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_organisation'), [])


del ModuleTestCase
