"""Campaigns: who the email goes to (consent, unsubscribe), a second run
that sends nothing twice, the deliveries on the members, the portal."""
import datetime as dt
import unittest

from trytond.modules.spsti_adherent.tests.tools import (
    create_member, setup_referentials)
from trytond.model.exceptions import DomainValidationError
from trytond.modules.spsti_crm.exceptions import (
    CampaignError, ConsentValidationError)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import (
    add_contact, create_contact, queued_mail, send_waiting_emails)

LONG_AGO = dt.date(2024, 1, 1)


def setup_contacts():
    """Two members in membership and a prospect, and their contacts:

    - Alice (member 1): email, consents;
    - Bruno (member 1): email, never consented;
    - Chloé (member 2): email, consent withdrawn;
    - Denis, accountant of members 1 and 2: email, consents;
    - Emma (the prospect): email, consents;
    - Fabien (member 1): consents but has no email address.
    """
    pool = Pool()
    Consent = pool.get('spsti.crm.consent')
    setup_referentials()
    member1, _ = create_member("Boulangerie Petit", 601)
    member2, _ = create_member("Menuiserie Leroy", 602)
    prospect, _ = create_member("Garage Blanc", 603, state='prospect')
    people = {
        'alice': create_contact(member1, "Alice Martin",
            email='alice@boulangerie.fr', consent=LONG_AGO),
        'bruno': create_contact(member1, "Bruno Petit", roles=['RH'],
            email='bruno@boulangerie.fr'),
        'chloe': create_contact(member2, "Chloé Leroy",
            email='chloe@menuiserie.fr', consent=LONG_AGO),
        'denis': create_contact(member1, "Denis Comptable",
            roles=['COMPTABLE'], email='denis@cabinet.fr', consent=LONG_AGO),
        'emma': create_contact(prospect, "Emma Blanc",
            email='emma@garage.fr', consent=LONG_AGO),
        'fabien': create_contact(member1, "Fabien Roux", consent=LONG_AGO),
        }
    add_contact(member2, people['denis'], roles=['COMPTABLE'])
    Consent.withdraw_consents([people['chloe']], 'email', 'request')
    return member1, member2, people


def create_campaign(name, **values):
    pool = Pool()
    Campaign = pool.get('spsti.crm.campaign')
    Segment = pool.get('spsti.crm.segment')
    segment = Segment.search([('name', '=', "Adhérents")])
    segment = segment[0] if segment else Segment.create(
        [{'name': "Adhérents"}])[0]
    campaign, = Campaign.create([{
                'name': name,
                'segment': segment.id,
                'email': True,
                'email_subject': f"{name} : nos conseils",
                'email_body': "<p>Bonjour ${record.name},</p>"
                "<p>Nos conseils de prévention.</p>",
                **values,
                }])
    return campaign


class SpstiCrmCampaignTestCase(unittest.TestCase):
    "Test the campaigns of spsti_crm"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_crm')

    @with_transaction()
    def test_email_consent_and_unsubscribe(self):
        "Only consenting contacts get the email, once; unsubscribing "
        "withdraws the consent for every later campaign"
        pool = Pool()
        Campaign = pool.get('spsti.crm.campaign')
        Record = pool.get('marketing.automation.record')
        Consent = pool.get('spsti.crm.consent')
        Interaction = pool.get('spsti.crm.interaction')
        Email = pool.get('ir.email')
        member1, member2, people = setup_contacts()
        campaign = create_campaign("Bruit au travail")

        # Counted before use: Alice and Denis; Bruno, Chloé and Fabien are
        # contacts of the members the email will not reach.
        self.assertEqual(campaign.member_count, 2)
        self.assertEqual(campaign.recipient_count, 2)
        self.assertEqual(campaign.without_consent_count, 3)

        Campaign.launch([campaign])
        send_waiting_emails()
        sent = queued_mail()
        self.assertEqual(sorted(m['To'] for m in sent), [
                'Alice Martin <alice@boulangerie.fr>',
                'Denis Comptable <denis@cabinet.fr>'])
        body = sent[0].get_body(('html',)).get_content()
        self.assertIn("Nos conseils de prévention", body)
        self.assertIn('/unsubscribe?r=', body)
        self.assertEqual(campaign.sent_count, 2)
        self.assertEqual(
            sorted((r.party.name, r.state) for r in campaign.recipients),
            [("Alice Martin", 'sent'), ("Denis Comptable", 'sent')])
        # One delivery per person and member: Denis for both members.
        deliveries = Interaction.search([('campaign', '=', campaign.id)])
        self.assertEqual(
            sorted((i.member.id, i.contact.name) for i in deliveries),
            sorted([(member1.id, "Alice Martin"),
                    (member1.id, "Denis Comptable"),
                    (member2.id, "Denis Comptable")]))

        # A second run sends nothing and logs nothing again.
        Campaign.deliver([campaign])
        send_waiting_emails()
        self.assertEqual(len(queued_mail()), 2)
        self.assertEqual(Email.search_count([]), 2)
        self.assertEqual(Interaction.search_count(
                [('campaign', '=', campaign.id)]), 3)

        # Denis unsubscribes with the link of the email.
        record, = Record.search([('record', '=', str(people['denis']))])
        record.block()
        withdrawn, = Consent.search([('party', '=', people['denis'].id)])
        self.assertEqual(
            (withdrawn.withdrawal_date, withdrawn.withdrawal_source),
            (dt.date.today(), 'unsubscribe'))
        self.assertEqual(campaign.unsubscribed_count, 1)

        other = create_campaign("Risque routier")
        self.assertEqual(other.recipient_count, 1)
        Campaign.launch([other])
        # Alice withdraws her consent before the email leaves.
        Consent.withdraw_consents([people['alice']], 'email', 'request')
        send_waiting_emails()
        self.assertEqual(len(queued_mail()), 2)
        self.assertEqual([(r.party.name, r.state) for r in other.recipients],
            [("Alice Martin", 'not_sent')])

    @with_transaction()
    def test_consent_history(self):
        "One consent in force per person and channel; a withdrawal is kept "
        "and a new consent is a new record"
        pool = Pool()
        Consent = pool.get('spsti.crm.consent')
        _, _, people = setup_contacts()
        alice, chloe = people['alice'], people['chloe']

        # Giving again what is in force records nothing.
        self.assertEqual(Consent.give([alice], 'email', 'portal'), [])
        with self.assertRaises(ConsentValidationError):
            Consent.create([{'party': alice.id, 'channel': 'email',
                        'date': dt.date.today(), 'source': 'phone'}])
        # Another channel is another consent.
        phone, = Consent.give([alice], 'phone', 'phone')

        withdrawn, = Consent.search([('party', '=', chloe.id)])
        with self.assertRaises(DomainValidationError):
            Consent.write([phone], {
                    'withdrawal_date': phone.date - dt.timedelta(days=1),
                    'withdrawal_source': 'request'})
        again, = Consent.give([chloe], 'email', 'event')
        self.assertEqual(
            Consent.search([('party', '=', chloe.id)], order=[('id', 'ASC')]),
            [withdrawn, again])
        self.assertEqual((withdrawn.state, again.state),
            ('withdrawn', 'given'))
        self.assertEqual(Consent.consenting([alice, chloe, people['bruno']],
                'email'), {alice.id, chloe.id})

    @with_transaction()
    def test_campaign_roles_and_portal(self):
        "A campaign writes to the roles it targets and publishes its "
        "contents on the portal of the segment's members once"
        pool = Pool()
        Campaign = pool.get('spsti.crm.campaign')
        Content = pool.get('spsti.crm.content')
        Role = pool.get('spsti.crm.contact.role')
        Interaction = pool.get('spsti.crm.interaction')
        member1, member2, _ = setup_contacts()
        content, = Content.create([{
                    'name': "Guide du bruit", 'kind': 'link',
                    'url': 'https://example.org/bruit', 'portal': False}])
        accountants = Role.search([('code', '=', 'COMPTABLE')])
        campaign = create_campaign("Déclaration annuelle",
            roles=[('add', [r.id for r in accountants])], portal=True)
        with self.assertRaisesRegex(CampaignError, "contents"):
            Campaign.launch([campaign])
        Campaign.write([campaign],
            {'contents': [('add', [content.id])]})
        self.assertEqual(campaign.recipient_count, 1)

        Campaign.launch([campaign])
        send_waiting_emails()
        message, = queued_mail()
        self.assertEqual(message['To'], 'Denis Comptable <denis@cabinet.fr>')
        self.assertIn('Guide du bruit', message.get_body(
                ('html',)).get_content())
        published = Interaction.search([
                ('campaign', '=', campaign.id), ('contact', '=', None)])
        self.assertEqual(sorted(i.member.id for i in published),
            sorted([member1.id, member2.id]))
        Campaign.deliver([campaign])
        self.assertEqual(Interaction.search_count([
                    ('campaign', '=', campaign.id),
                    ('contact', '=', None)]), 2)
        # The portal of the members shows the campaign's content, not
        # published on its own.
        contents = Content.for_members([member1])
        self.assertEqual(contents[member1.id], [content])
        Campaign.close([campaign])
        self.assertEqual(Content.for_members([member1])[member1.id], [])
