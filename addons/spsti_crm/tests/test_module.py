"""The member relations module: access of each group, no health data in
reach of the CRM group nor in what the employers receive, the demo."""
import datetime as dt

from trytond.model import ModelStorage
from trytond.model.exceptions import AccessError
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_adherent.tests.tools import (
    create_member, setup_referentials)
from trytond.modules.spsti_base.tests.tools import (
    as_user, untranslated_strings)
from trytond.modules.spsti_dmst.tests.test_module import setup_file
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import (
    create_contact, create_workforce, queued_mail, send_waiting_emails)

# The models holding health data (spsti_dmst): none is for the CRM.
HEALTH_MODELS = {
    'spsti.dmst',
    'spsti.dmst.consultation',
    'spsti.dmst.vaccination',
    'spsti.dmst.pathology',
    'spsti.dmst.consultation-spsti.advice.type',
    'spsti.pdp.case',
    'spsti.pdp.score',
    }
# The tables a segment reads: workforce and company data only.
SEGMENT_TABLES = {
    'spsti_member', 'spsti_establishment', 'spsti_assignment',
    'spsti_assignment_exposure', 'spsti_company_sheet',
    'spsti_crm_interaction',
    }


class SpstiCrmTestCase(ModuleTestCase):
    "Test spsti_crm module"
    module = 'spsti_crm'

    @with_transaction()
    def test_no_health_data_for_the_crm(self):
        "The CRM group reads no medical file; no CRM field nor segment "
        "criterion reaches health data; the email and the portal contents "
        "of an employer hold none"
        pool = Pool()
        Segment = pool.get('spsti.crm.segment')
        Campaign = pool.get('spsti.crm.campaign')
        Content = pool.get('spsti.crm.content')
        Risk = pool.get('spsti.risk')
        Category = pool.get('spsti.follow_up.category')
        org, file, consultation, _ = setup_file()
        member = file.employee.assignments[0].member
        with as_user(org['users']['relation']):
            for name in sorted(HEALTH_MODELS):
                Model = pool.get(name)
                with self.subTest(model=name), \
                        self.assertRaises(AccessError):
                    Model.read([1], ['id'])

        for name, Model in pool.iterobject():
            if not name.startswith('spsti.crm.') or not issubclass(
                    Model, ModelStorage):
                continue
            for field_name, field in Model._fields.items():
                with self.subTest(model=name, field=field_name):
                    self.assertNotIn(
                        getattr(field, 'model_name', None), HEALTH_MODELS)

        segment, = Segment.create([{
                    'name': "Tous critères",
                    'member_states': [],
                    'activities': [('add', [
                                member.establishments[0].activity.id])],
                    'workforce_min': 1, 'workforce_max': 10,
                    'categories': [('add', [
                                c.id for c in Category.search([])])],
                    'risks': [('add', [r.id for r in Risk.search(
                                    [('parent', '=', None)])])],
                    'sheet_older_than': 12, 'sheet_missing': True,
                    'culture_score_min': 0, 'culture_score_max': 5,
                    'campaigns': [('add', [Campaign.create(
                                    [{'name': "Ancienne"}])[0].id])],
                    'campaign_rule': 'not_reached',
                    }])
        sql, _ = tuple(segment.members_query())
        tables = {t for t in sql.split('"') if t.startswith('spsti_')}
        self.assertLessEqual(tables, SEGMENT_TABLES)

        create_contact(member, "Gérante", email='gerante@garage.fr',
            consent=dt.date(2025, 1, 1))
        content, = Content.create([{
                    'name': "Le dos au travail", 'kind': 'document'}])
        campaign, = Campaign.create([{
                    'name': "Dos",
                    'segment': Segment.create([{'name': "Tous"}])[0].id,
                    'email': True,
                    'email_subject': "Prendre soin de son dos",
                    'email_body': "<p>Bonjour ${record.name}</p>",
                    'portal': True,
                    'contents': [('add', [content.id])],
                    }])
        Campaign.launch([campaign])
        send_waiting_emails()
        message, = queued_mail()
        employer_facing = [message.as_string()] + [
            str(Content.read([c.id for c in contents], list(Content._fields)))
            for contents in Content.for_members([member]).values()]
        secrets = [consultation.anamnesis, consultation.clinical_notes,
            file.medical_history]
        for text in employer_facing:
            for secret in secrets:
                self.assertNotIn(secret, text)

    @with_transaction()
    def test_access_by_group(self):
        "Each group reaches the member relations it needs"
        pool = Pool()
        Contact = pool.get('spsti.crm.contact')
        Consent = pool.get('spsti.crm.consent')
        Interaction = pool.get('spsti.crm.interaction')
        Segment = pool.get('spsti.crm.segment')
        Campaign = pool.get('spsti.crm.campaign')
        Event = pool.get('spsti.crm.event')
        Registration = pool.get('spsti.crm.event.registration')
        Awareness = pool.get('spsti.crm.awareness')
        Member = pool.get('spsti.member')
        org, file, _, _ = setup_file()
        users = org['users']
        employee = file.employee
        member = employee.assignments[0].member

        with as_user(users['relation']):
            party = create_contact(Member(member.id), "Sophie Laurent",
                email='sophie@garage.fr')
            # Consents entered on the contact are the person's.
            contact, = Contact.search([('party', '=', party.id)])
            Contact.write([contact], {'consents': [('create', [{
                                'channel': 'email', 'source': 'phone'}])]})
            consent, = Consent.search([('party', '=', party.id)])
            self.assertEqual(contact.consents, (consent,))
            Interaction.create([{'member': member.id, 'kind': 'call',
                        'contact': party.id,
                        'subject': "Appel sur l'offre de services"}])
            segment, = Segment.create([{'name': "Tous"}])
            campaign, = Campaign.create([{
                        'name': "Rentrée", 'segment': segment.id,
                        'email': True, 'email_subject': "Rentrée",
                        'email_body': "<p>Bonjour</p>"}])
            Campaign.launch([campaign])
            self.assertEqual(campaign.recipient_count, 1)
            event, = Event.create([{
                        'name': "Atelier écrans", 'mode': 'on_site',
                        'member': member.id, 'date': dt.date.today()}])
            Event.open([event])
            registration, = Registration.create([{
                        'event': event.id, 'member': member.id,
                        'name': "Participant"}])
        with as_user(users['medecin']):
            # The team registers the employee and records the attendance.
            Registration.write([Registration(registration.id)],
                {'employee': employee.id})
            Registration.attend([Registration(registration.id)])
            Registration.write([Registration(registration.id)],
                {'satisfaction': '4'})
        with as_user(users['relation']):
            self.assertEqual(Registration(registration.id).state, 'attended')
            for Model, name in [(Registration, 'employee'),
                    (Awareness, 'employee')]:
                with self.subTest(model=Model.__name__), \
                        self.assertRaises(AccessError):
                    Model.search_read([], fields_names=[name])
            self.assertEqual(len(Awareness.search([])), 1)
        with as_user(users['pilotage']):
            aware, = Awareness.search_read([], fields_names=['employee'])
            self.assertEqual(aware['employee'], employee.id)
            with self.assertRaises(AccessError):
                Campaign.write([Campaign(campaign.id)], {'name': "Autre"})
        with as_user(users['planification']):
            self.assertEqual(len(Contact.search([])), 1)
            with self.assertRaises(AccessError):
                Consent.search([])
        with as_user(users['facturation']):
            with self.assertRaises(AccessError):
                Interaction.search([])
            # The member form loads without the pages of other groups.
            view = Member.fields_view_get(view_type='form')
            self.assertNotIn('crm_interactions', view['fields'])
            self.assertIn('crm_contacts', view['fields'])

    @with_transaction()
    def test_demo(self):
        "The demo creates contacts, a segment, a running campaign, held "
        "events with attendances and the library, once"
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Contact = pool.get('spsti.crm.contact')
        Campaign = pool.get('spsti.crm.campaign')
        Awareness = pool.get('spsti.crm.awareness')
        Content = pool.get('spsti.crm.content')
        org = setup_referentials()
        for i in range(3):
            _, establishment = create_member(f"Entrepôt {i}", 901 + i)
            create_workforce(establishment, 3, seed=9001 + 10 * i,
                risks=['ERGO.MANUT'])
        ctx = DemoContext(members=3, employees=9, seed=5)
        ctx.company = org['company']
        # Only this module's steps: the others have their own tests.
        for _ in range(2):
            with Transaction().set_context(company=ctx.company.id):
                Demo.generate_contacts(ctx)
                Demo.generate_contents(ctx)
                Demo.generate_campaigns(ctx)
        contacts = Contact.search([])
        self.assertGreaterEqual(len(contacts), 3)
        self.assertEqual({c.member.state for c in contacts}, {'member'})
        campaign, = Campaign.search([])
        self.assertEqual(
            (campaign.state, campaign.member_count), ('running', 3))
        self.assertTrue(campaign.recipients)
        self.assertEqual(len(Content.search([])), 8)
        today = dt.date.today()
        members, employees = Awareness.made_aware(
            today - dt.timedelta(days=30), today)
        self.assertTrue(members)
        self.assertTrue(employees)

    @with_transaction()
    def test_french_translation_complete(self):
        "Every user-facing string has its French translation"
        self.assertEqual(untranslated_strings('spsti_crm'), [])


del ModuleTestCase
