"""Demo member relations: contacts with their roles and consents, the
history of exchanges, the prevention library, segments, a campaign and
events with their attendances."""
import datetime as dt

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# (role codes, share of the members with such a contact)
CONTACTS = [
    (['DIRIGEANT'], 1.0),
    (['RH'], 0.5),
    (['REFERENT_SECURITE'], 0.4),
    (['COMPTABLE'], 0.3),
    ]
# (title, kind, address, audience, source, risk codes, NAF codes)
CONTENTS = [
    ("Prévenir les troubles musculosquelettiques", 'video',
        'https://www.example.org/prevention/tms', 'all', "Service",
        ['ERGO.MANUT', 'ERGO.POSTURE'], []),
    ("Le bruit au travail : repères et protections", 'document', None,
        'all', "Service", ['PHYS.BRUIT'], []),
    ("Travail sur écran : régler son poste", 'link',
        'https://www.example.org/prevention/ecran', 'employee', "Service",
        ['ERGO.ECRAN'], []),
    ("Risque routier professionnel", 'slideshow', None, 'employer',
        "CARSAT", ['SECU.ROUTIER'], []),
    ("Agents chimiques dangereux : étiquetage et stockage", 'document',
        None, 'employer', "INRS", ['CHIM.ACD'], []),
    ("Chutes de hauteur sur les chantiers", 'video',
        'https://www.example.org/prevention/chutes', 'all', "OPPBTP",
        ['SECU.HAUTEUR'], ['F']),
    ("Rédiger son document unique (DUERP)", 'document', None, 'employer',
        "Service", [], []),
    ("Charge de travail et risques psychosociaux", 'podcast',
        'https://www.example.org/prevention/rps', 'all', "Service",
        ['PSY.CHARGE'], []),
    ]


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_contacts(ctx)
            cls.generate_contents(ctx)
            cls.generate_campaigns(ctx)

    @classmethod
    def generate_contacts(cls, ctx):
        """Contacts of the members with their roles; most consent to emails
        (signed membership form), a few withdrew; a history of calls and
        meetings."""
        pool = Pool()
        Contact = pool.get('spsti.crm.contact')
        Role = pool.get('spsti.crm.contact.role')
        Member = pool.get('spsti.member')
        Party = pool.get('party.party')
        Consent = pool.get('spsti.crm.consent')
        Interaction = pool.get('spsti.crm.interaction')
        if Contact.search([], limit=1):
            return
        fake, rng = ctx.fake, ctx.rng
        roles = {r.code: r for r in Role.search([])}
        members = Member.search([('state', '=', 'member')])
        people = []
        for member in members:
            for codes, share in CONTACTS:
                if rng.random() < share:
                    people.append((member, codes))
        parties = Party.create([{
                    'name': fake.name(),
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': f'contact{i}@example.org',
                                    }, {
                                    'type': 'phone',
                                    'value': fake.phone_number(),
                                    }])],
                    } for i in range(len(people))])
        contacts = Contact.create([{
                    'member': member.id,
                    'party': party.id,
                    'roles': [('add', [roles[c].id for c in codes])],
                    'main': codes == ['DIRIGEANT'],
                    'function': roles[codes[0]].name,
                    } for (member, codes), party in zip(people, parties)])
        today = dt.date.today()
        consents = []
        for contact in contacts:
            if rng.random() < 0.8:
                given = contact.member.membership_date or today
                withdrawn = rng.random() < 0.05
                consents.append({
                        'party': contact.party.id,
                        'channel': 'email',
                        'date': given,
                        'source': 'form',
                        'withdrawal_date': today if withdrawn else None,
                        'withdrawal_source': (
                            'request' if withdrawn else None),
                        })
            if rng.random() < 0.5:
                consents.append({
                        'party': contact.party.id,
                        'channel': 'phone',
                        'date': contact.member.membership_date or today,
                        'source': 'form',
                        })
        Consent.create(consents)
        subjects = [
            ('call', 'inbound', "Question sur la déclaration des effectifs"),
            ('call', 'outbound', "Rappel de la visite de l'établissement"),
            ('meeting', 'outbound', "Présentation de l'offre de services"),
            ('email', 'inbound', "Demande de documentation sur le bruit"),
            ]
        now = dt.datetime.now()
        Interaction.create([{
                    'member': contact.member.id,
                    'contact': contact.party.id,
                    'kind': kind,
                    'direction': direction,
                    'subject': subject,
                    'date': now - dt.timedelta(days=rng.randint(1, 700)),
                    } for contact in contacts if rng.random() < 0.5
                for kind, direction, subject in [rng.choice(subjects)]])
        ctx.report.append(f"contacts: {len(contacts)}, "
            f"{len(consents)} consents")

    @classmethod
    def generate_contents(cls, ctx):
        pool = Pool()
        Content = pool.get('spsti.crm.content')
        Risk = pool.get('spsti.risk')
        Activity = pool.get('spsti.activity')
        if Content.search([], limit=1):
            return
        risks = {r.code: r.id for r in Risk.search([])}
        activities = {a.code: a.id for a in Activity.search(
                [('level', '=', 'section')])}
        Content.create([{
                    'name': name,
                    'kind': kind,
                    'url': url,
                    'audience': audience,
                    'source': source,
                    'publication_date': dt.date.today()
                    - dt.timedelta(days=30 * (i + 1)),
                    'risks': [('add', [risks[c] for c in risk_codes
                                if c in risks])],
                    'activities': [('add', [activities[c]
                                for c in naf_codes if c in activities])],
                    } for i, (name, kind, url, audience, source, risk_codes,
                    naf_codes) in enumerate(CONTENTS)])
        ctx.report.append(f"prevention library: {len(CONTENTS)} contents")

    @classmethod
    def generate_campaigns(cls, ctx):
        """Two segments, a running campaign on musculoskeletal disorders
        (email and portal) with a workshop at a centre and a session on a
        member's site, held, with their attendances."""
        pool = Pool()
        Segment = pool.get('spsti.crm.segment')
        Campaign = pool.get('spsti.crm.campaign')
        Content = pool.get('spsti.crm.content')
        Risk = pool.get('spsti.risk')
        Role = pool.get('spsti.crm.contact.role')
        if Segment.search([], limit=1):
            return
        manual, = Risk.search([('code', '=', 'ERGO.MANUT')])
        tms, other = Segment.create([{
                    'name': "Manutention manuelle",
                    'description': "Adhérents dont des salariés portent "
                    "des charges.",
                    'risks': [('add', [manual.id])],
                    }, {
                    'name': "Fiche d'entreprise à renouveler",
                    'description': "Un établissement sans fiche "
                    "d'entreprise validée depuis 4 ans.",
                    'sheet_older_than': 48,
                    }])
        contents = Content.search([('risks', '=', manual.id)])
        deciders = Role.search([('code', 'in', ['DIRIGEANT', 'RH'])])
        campaign, = Campaign.create([{
                    'name': "Prévenir les TMS en 2026",
                    'theme': "Troubles musculosquelettiques",
                    'segment': tms.id,
                    'roles': [('add', [r.id for r in deciders])],
                    'email': True,
                    'email_subject': "Troubles musculosquelettiques : "
                    "nos ateliers et ressources",
                    'email_body': "<p>Bonjour ${record.name},</p>"
                    "<p>Le port de charges est la première cause de "
                    "troubles musculosquelettiques. Notre équipe vous "
                    "propose un atelier et des ressources pour les "
                    "prévenir.</p>",
                    'portal': True,
                    'contents': [('add', [c.id for c in contents])],
                    }])
        Campaign.launch([campaign])
        events = cls.generate_events(ctx, campaign, contents)
        ctx.report.append(f"campaign: {campaign.name} for "
            f"{campaign.member_count} members, "
            f"{campaign.recipient_count} email recipients; "
            f"{len(events)} events")

    @classmethod
    def generate_events(cls, ctx, campaign, contents):
        pool = Pool()
        Event = pool.get('spsti.crm.event')
        Registration = pool.get('spsti.crm.event.registration')
        Centre = pool.get('spsti.centre')
        Member = pool.get('spsti.member')
        Contact = pool.get('spsti.crm.contact')
        Assignment = pool.get('spsti.assignment')
        rng = ctx.rng
        today = dt.date.today()
        centre = Centre.search([], limit=1)[0]
        room = next((r for r in centre.rooms if r.kind == 'meeting'), None)
        members = Member.search([('crm_segments', '=', campaign.segment.id)],
            limit=1)
        team = members[0].team if members else None
        facilitators = [m.professional.id for m in team.members][:2] \
            if team else []
        values = [{
                'name': "Atelier gestes et postures",
                'kind': 'workshop',
                'mode': 'centre',
                'campaign': campaign.id,
                'date': today - dt.timedelta(days=14),
                'start_time': dt.time(9, 30),
                'end_time': dt.time(12),
                'centre': centre.id,
                'room': room.id if room else None,
                'capacity': 20,
                'knowledge_max': 10,
                'facilitators': [('add', facilitators)],
                'contents': [('add', [c.id for c in contents])],
                }, {
                'name': "Webinaire : aménager les postes de manutention",
                'kind': 'webinar',
                'mode': 'online',
                'campaign': campaign.id,
                'date': today + dt.timedelta(days=21),
                'start_time': dt.time(11),
                'end_time': dt.time(12),
                'url': 'https://visio.example.org/tms',
                'capacity': 100,
                }]
        if members:
            values.append({
                    'name': "Sensibilisation au port de charges",
                    'kind': 'awareness',
                    'mode': 'on_site',
                    'campaign': campaign.id,
                    'date': today - dt.timedelta(days=7),
                    'start_time': dt.time(14),
                    'end_time': dt.time(15, 30),
                    'member': members[0].id,
                    'establishment': (members[0].establishments[0].id
                        if members[0].establishments else None),
                    'knowledge_max': 10,
                    'facilitators': [('add', facilitators)],
                    })
        events = Event.create(values)
        Event.open(events)
        workshop = events[0]
        registrations = Registration.create([{
                    'event': workshop.id,
                    'member': c.member.id,
                    'contact': c.party.id,
                    'name': c.party.name,
                    } for c in Contact.search([
                        ('member.crm_segments', '=', campaign.segment.id),
                        ], limit=12)])
        if members:
            site = events[2]
            assignments = Assignment.search([
                    ('member', '=', members[0].id),
                    ('in_force', '=', True),
                    ], limit=10)
            registrations += Registration.create([{
                        'event': site.id,
                        'member': members[0].id,
                        'employee': a.employee.id,
                        'name': f'{a.employee.first_name} '
                        f'{a.employee.last_name}',
                        } for a in {a.employee: a
                            for a in assignments}.values()])
        present = [r for r in registrations if rng.random() < 0.85]
        Registration.attend(present)
        Registration.absent([r for r in registrations if r not in present])
        for registration in present:
            before = rng.randint(3, 7)
            registration.satisfaction = str(rng.choice([3, 4, 4, 5, 5]))
            registration.usefulness = str(rng.choice([3, 4, 5]))
            registration.knowledge_before = before
            registration.knowledge_after = min(10, before + rng.randint(0, 4))
        Registration.save(present)
        Event.do([e for e in events if e.date < today])
        return events
