"""Events: registrations, capacity, attendance, answers; the awareness
actions the indicators count; the contents of a member; the service
offer."""
import datetime as dt
import io
import unittest
import zipfile
from decimal import Decimal

from trytond.modules.spsti_adherent.tests.tools import (
    create_member, setup_referentials)
from trytond.modules.spsti_crm.exceptions import (
    EventError, EventValidationError)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import create_contact, create_workforce

DAY = dt.date(2026, 3, 10)


def create_event(**values):
    Event = Pool().get('spsti.crm.event')
    event, = Event.create([{
                'name': "Atelier gestes et postures",
                'date': DAY,
                'start_time': dt.time(9, 30),
                **values,
                }])
    Event.open([event])
    return event


def register(event, member, employee=None, contact=None):
    Registration = Pool().get('spsti.crm.event.registration')
    person = employee or contact
    registration, = Registration.create([{
                'event': event.id,
                'member': member.id,
                'employee': employee.id if employee else None,
                'contact': contact.id if contact else None,
                'name': person.rec_name,
                }])
    return registration


def workplace_action(org, member, code, employees, day, hour):
    """A workplace action of type code by the nurse, done on day at hour
    (UTC) with employees."""
    pool = Pool()
    Action = pool.get('spsti.workplace_action')
    Type = pool.get('spsti.workplace_action.type')
    type_, = Type.search([('code', '=', code)])
    action, = Action.create([{
                'type': type_.id,
                'member': member.id,
                'theme': type_.name,
                'start': dt.datetime.combine(day, dt.time(hour)),
                'end': dt.datetime.combine(day, dt.time(hour + 1)),
                'participants': [('add', [org['nurse'].id])],
                'employees': [('add', [e.id for e in employees])],
                }])
    Action.plan([action])
    Action.do([action])
    return action


class SpstiCrmEventTestCase(unittest.TestCase):
    "Test the events and awareness actions of spsti_crm"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_crm')

    @with_transaction()
    def test_attendance_feeds_awareness(self):
        "Attendances and awareness workplace actions give the members and "
        "employees made aware over a period"
        pool = Pool()
        Registration = pool.get('spsti.crm.event.registration')
        Event = pool.get('spsti.crm.event')
        Awareness = pool.get('spsti.crm.awareness')
        Interaction = pool.get('spsti.crm.interaction')
        org = setup_referentials()
        Transaction().set_context(company=org['company'].id)
        member1, site1 = create_member("Scierie Dupont", 701)
        member2, _ = create_member("Boucherie Morel", 702)
        member3, site3 = create_member("Garage Henry", 703)
        member4, site4 = create_member("Imprimerie Roy", 704)
        e1, e2, e3 = create_workforce(site1, 3, seed=7001)
        e4, = create_workforce(site3, 1, seed=7101)
        e5, = create_workforce(site4, 1, seed=7201)
        manager = create_contact(member2, "Paul Morel")

        on_site = create_event(name="Port de charges", kind='awareness',
            mode='on_site', member=member1.id, establishment=site1.id,
            capacity=2, knowledge_max=10)
        r1 = register(on_site, member1, employee=e1)
        r2 = register(on_site, member1, employee=e2)
        workshop = create_event(mode='centre', centre=org['team'].centre.id)
        r3 = register(workshop, member2, contact=manager)

        Registration.attend([r1, r3])
        with self.assertRaisesRegex(EventError, "not recorded"):
            Event.do([on_site])
        Registration.absent([r2])
        Event.do([on_site])
        r1.satisfaction, r1.usefulness = '5', '4'
        r1.knowledge_before, r1.knowledge_after = 4, 8
        r1.save()
        self.assertEqual(r1.progress, 4)
        with self.assertRaisesRegex(EventValidationError, "Knowledge After"):
            Registration.write([r3], {'knowledge_after': 3})
        self.assertEqual(
            (on_site.registered, on_site.attended, on_site.satisfaction,
                on_site.knowledge_before, on_site.knowledge_after),
            (2, 1, 5.0, 4.0, 8.0))
        # One participation on each member's history.
        Registration.reset([r1])
        Registration.attend([r1])
        participations = Interaction.search([('kind', '=', 'event')])
        self.assertEqual(sorted(i.member.id for i in participations),
            sorted([member1.id, member2.id]))

        # Awareness workplace actions count, other actions do not.
        workplace_action(org, member3, 'SENSIB', [e4], DAY, 8)
        workplace_action(org, member4, 'SENSIB', [], DAY, 13)
        workplace_action(org, member4, 'VISITE', [e5], DAY, 15)
        members, employees = Awareness.made_aware(DAY, DAY)
        self.assertEqual(members,
            {member1.id, member2.id, member3.id, member4.id})
        self.assertEqual(employees, {e1.id, e4.id})
        self.assertEqual(Awareness.count_made_aware(DAY, DAY), (4, 2))
        self.assertEqual(Awareness.made_aware(
                DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=30)),
            (set(), set()))
        rows = Awareness.search([('member', '=', member2.id)])
        self.assertEqual([(r.date, r.kind, r.contact, r.event) for r in rows],
            [(DAY, 'workshop', manager, workshop)])

        # A cancelled event no longer counts.
        Event.cancel([workshop])
        self.assertEqual(Awareness.count_made_aware(DAY, DAY), (3, 2))

        # An event on site is for its member's people, up to its capacity
        # (last: a refused registration stays in the transaction).
        with self.assertRaisesRegex(EventValidationError, "Scierie"):
            register(on_site, member2, contact=manager)
        with self.assertRaisesRegex(EventValidationError, "full"):
            register(on_site, member1, employee=e3)

    @with_transaction()
    def test_contents_of_a_member(self):
        "A member sees the contents of its sectors, of its risks and "
        "those for everyone"
        pool = Pool()
        Content = pool.get('spsti.crm.content')
        Risk = pool.get('spsti.risk')
        Activity = pool.get('spsti.activity')
        setup_referentials()
        member, site = create_member("Plomberie Caron", 801)  # 43.22A
        other, _ = create_member("Cabinet Roux", 802)
        create_workforce(site, 1, seed=8001, risks=['PHYS.BRUIT'])
        physical, = Risk.search([('code', '=', 'PHYS')])
        ergo, = Risk.search([('code', '=', 'ERGO')])
        section_f, = Activity.search([('code', '=', 'F')])
        Content.create([{
                    'name': "Le DUERP", 'kind': 'document',
                    }, {
                    'name': "Chantiers", 'kind': 'document',
                    'activities': [('add', [section_f.id])],
                    }, {
                    'name': "Agents physiques", 'kind': 'link',
                    'url': 'https://example.org/physique',
                    'risks': [('add', [physical.id])],
                    'audience': 'employee',
                    }, {
                    'name': "Postures", 'kind': 'document',
                    'risks': [('add', [ergo.id])],
                    }, {
                    'name': "Brouillon", 'kind': 'document',
                    'portal': False,
                    }])
        contents = Content.for_members([member, other])
        self.assertEqual(sorted(c.name for c in contents[member.id]),
            ["Agents physiques", "Chantiers", "Le DUERP"])
        # The other member is also in building, without exposure.
        self.assertEqual(sorted(c.name for c in contents[other.id]),
            ["Chantiers", "Le DUERP"])
        self.assertEqual(
            [c.name for c in Content.for_members(
                    [member], audience='employer')[member.id]],
            ["Chantiers", "Le DUERP"])

    @with_transaction()
    def test_service_offer(self):
        "The service offer prints socle, complémentaire and spécifique"
        pool = Pool()
        Service = pool.get('spsti.service')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        ActionReport = pool.get('ir.action.report')
        Report = pool.get('spsti.crm.service_offer', type='report')
        org = setup_referentials()
        Transaction().set_context(company=org['company'].id)
        unit, = Uom.search([('symbol', '=', 'u')])
        template, = Template.create([{
                    'name': "Prestation", 'type': 'service',
                    'default_uom': unit.id, 'list_price': Decimal(0),
                    'products': [('create', [{}])]}])
        product = template.products[0]
        Service.create([{
                    'name': name, 'kind': kind, 'product': product.id,
                    'description': description,
                    'in_offer': in_offer,
                    'prices': [('create', prices)],
                    } for name, kind, in_offer, description, prices in [
                    ("Suivi individuel", 'core', True, "Visites et examens.",
                        []),
                    ("Étude ergonomique", 'complementary', True,
                        "Analyse d'un poste.", [{'min_workforce': 0,
                                'unit_price': Decimal('450')}]),
                    ("Ancienne", 'complementary', False, "", []),
                    ("Formation SST", 'specific', True,
                        "Sauveteur secouriste.",
                        [{'min_workforce': 0, 'unit_price': Decimal('1200')},
                            {'min_workforce': 50,
                                'unit_price': Decimal('1000')}]),
                    ]])
        self.assertEqual(
            [(k, [s.name for s in services])
                for k, _, services in Service.offer()],
            [('core', ["Suivi individuel"]),
                ('complementary', ["Étude ergonomique"]),
                ('specific', ["Formation SST"])])
        action, = ActionReport.search(
            [('report_name', '=', 'spsti.crm.service_offer')])
        records = Report._get_records([], 'spsti.service', {})
        odt = Report.render(action, Report.get_context(records, {}, {}))
        text = zipfile.ZipFile(io.BytesIO(odt)).read('content.xml').decode()
        for expected in ["Suivi individuel", "Compris dans la cotisation",
                "Étude ergonomique", "450,00 €", "À partir de 50",
                "1 000,00 €"]:
            self.assertIn(expected, text)
        self.assertNotIn("Ancienne", text)
