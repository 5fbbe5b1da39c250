"""Helpers of the portal tests: the mail the portal sends, read back, the
route test cases' data made once, and members with everything the portal
shows."""
import datetime as dt
import re

import trytond.config as config
from trytond.modules.spsti_base.demo import DemoContext
from trytond.modules.spsti_base.tests.tools import SMTPSink as BaseSMTPSink
from trytond.modules.spsti_facturation.tests.tools import (
    billing_run, member_with_workers, setup_billing, validated_declarations)
from trytond.pool import Pool
from trytond.sendmail import SMTPDataManager
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError
from trytond.worker import run_task

BASE = 'https://localhost'


def queued_mail():
    "The messages the current transaction will send when it commits."
    return [message for manager in Transaction()._datamanagers
        if isinstance(manager, SMTPDataManager)
        for _, _, message in manager.queue]


def code_from(messages):
    "The sign-in code of the last message."
    body = messages[-1].get_body().get_content()
    return re.search(r'\b(\d{6})\b', body).group(1)


class SMTPSink(BaseSMTPSink):
    "The shared SMTP sink, reading back sign-in codes."

    def code_for(self, address):
        return code_from([m for m in self.messages if m['To'] == address])


class PortalRouteTestMixin:
    """For a RouteTestCase of the portal, in French: its mail received by
    an SMTPSink, the data of the classmethod create_data made once as
    the admin, a client on HTTPS (the cookies are Secure) with no code
    nor failed attempt left by the previous test."""
    module = 'spsti_portal'
    # The portal speaks French: its messages come from locale/fr.po.
    language = 'fr'

    @classmethod
    def setUpClass(cls):
        cls.smtp = SMTPSink().start()
        cls._email_uri = config.get('email', 'uri')
        config.set('email', 'uri', cls.smtp.uri)
        super().setUpClass()
        # As with_transaction does: start again with the tables to lock.
        extras = {}
        while True:
            with Transaction().start(DB_NAME, 1, **extras) as transaction:
                try:
                    cls.create_data()
                    break
                except TransactionError as e:
                    transaction.rollback()
                    e.fix(extras)
        # The tasks the data queued (those of the posted invoices) run now,
        # as the server runs them after the request that queued them: the
        # list is the thread's, so the first request of a test would run
        # them and change the data under it.
        while Transaction().tasks:
            run_task(DB_NAME, Transaction().tasks.pop())

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        config.set('email', 'uri', cls._email_uri)
        cls.smtp.stop()

    def setUp(self):
        super().setUp()
        self.client = self.client()
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            for name in ['spsti.portal.login_code',
                    'web.user.authenticate.attempt']:
                Model = pool.get(name)
                Model.delete(Model.search([]))
            transaction.commit()

    def url(self, path=''):
        return f'/{DB_NAME}/portal{path}'

    def csrf(self):
        "The CSRF token of the client's cookie, asked for when missing."
        cookie = self.client.get_cookie('spsti_portal_csrf',
            domain='localhost', path=self.url())
        if not cookie:
            self.client.get(self.url('/login'), base_url=BASE)
            return self.csrf()
        return cookie.value


# Health content of the consultations of the portal tests: no page of the
# employer space may show any of it.
HEALTH_TEXTS = {
    'anamnesis': "Lombalgies chroniques depuis le déménagement",
    'clinical_notes': "Tension élevée, suivi cardiologique",
    'complementary_exams': "Audiogramme : perte de 30 dB",
    'vision': "OD 6/10 sans correction",
    'employee_advice': "Réduire la consommation de café",
    'exposures': "Exposition au bruit signalée par le salarié",
    }
# The reason of a visit the employee asked for himself (R4624-34).
EMPLOYEE_REQUEST_REASON = "Souffrance au travail"
# Advice for the employee only (audience 'employee' in the thésaurus).
EMPLOYEE_ONLY_ADVICE = 'SANTE.ADDICTIONS'


def next_monday():
    today = dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


def portal_members(names, workers=2):
    """Members billed for the year whose first employee has a visit booked
    next Monday and an opinion issued a month ago (with health content),
    and whose second employee has a visit his employer asked for and one
    he asked for himself; each member has an open declaration for next
    year, a validated company risk sheet, a document shared with it and one
    not shared, and a validated SEPA mandate.
    Returns one dict of records per name."""
    pool = Pool()
    Address = pool.get('party.address')
    VisitRequest = pool.get('spsti.visit.request')
    VisitType = pool.get('spsti.visit.type')
    WorkTime = pool.get('spsti.professional.work_time')
    Slot = pool.get('spsti.slot')
    MedicalFile = pool.get('spsti.dmst')
    Consultation = pool.get('spsti.dmst.consultation')
    Declaration = pool.get('spsti.declaration')
    AdviceType = pool.get('spsti.advice.type')
    Sheet = pool.get('spsti.company_sheet')
    Risk = pool.get('spsti.risk')
    Mandate = pool.get('account.payment.sepa.mandate')
    Attachment = pool.get('ir.attachment')
    ModelData = pool.get('ir.model.data')
    org = setup_billing()
    today = dt.date.today()
    result = []
    with Transaction().set_context(company=org['company'].id):
        # The service's direct debit journal, before any member.
        ctx = DemoContext(0, 0, seed=3)
        ctx.company = org['company']
        pool.get('spsti.demo').generate_sepa(ctx)
        for seed, name in enumerate(names, 201):
            member, establishment, employees = member_with_workers(
                name, seed, workers)
            # EN 16931 needs the buyer's country.
            Address.write(list(member.party.addresses), {
                    'country': org['company'].party.addresses[0].country.id})
            result.append({'member': member, 'establishment': establishment,
                    'employees': employees})
        members = [r['member'] for r in result]
        validated_declarations(members)
        run = billing_run(org['scale'])
        # The year's invoices have due dates already past.
        with Transaction().set_context(_skip_warnings=True):
            run.__class__.post_invoices([run])
        VisitRequest.compute_due_visits([a for r in result
                for e in r['employees'] for a in e.assignments])
        nurse, doctor = org['nurse'], org['doctor']
        WorkTime.create([{
                    'professional': nurse.id,
                    'weekday': str(next_monday().weekday()),
                    'start_time': dt.time(9),
                    'end_time': dt.time(12),
                    'centre': nurse.centre.id,
                    'room': nurse.centre.rooms[0].id,
                    'slot_duration': 30,
                    }])
        slots = Slot.generate([nurse], next_monday(), next_monday())
        demande, = VisitType.search([('code', '=', 'DEMANDE')])
        advice, = AdviceType.search([('code', '=', EMPLOYEE_ONLY_ADVICE)])
        risks = Risk.search([('parent', '!=', None)], limit=2)
        for slot, r in zip(slots, result):
            first, second = r['employees'][:2]
            booked = VisitRequest.search([
                    ('employee', '=', first.id),
                    ('state', '=', 'to_plan'),
                    ], limit=1)[0]
            Slot.book([slot], [booked])
            asked, own = VisitRequest.create([{
                        'employee': second.id,
                        'assignment': second.assignments[0].id,
                        'member': r['member'].id,
                        'visit_type': demande.id,
                        'origin': origin,
                        'reason': reason,
                        } for origin, reason in [
                            ('employer', "Conflit dans l'équipe"),
                            ('employee', EMPLOYEE_REQUEST_REASON)]])
            seen, = VisitRequest.create([{
                        'employee': first.id,
                        'assignment': first.assignments[0].id,
                        'member': r['member'].id,
                        'visit_type': demande.id,
                        'origin': 'employer',
                        'reason': "Retour d'arrêt",
                        }])
            file, = MedicalFile.get_or_create([first])
            consultation, = Consultation.create([{
                        'file': file.id,
                        'request': seen.id,
                        'visit_type': demande.id,
                        'professional': doctor.id,
                        'date': today - dt.timedelta(days=30),
                        'outcome': 'fit',
                        'employer_recommendations': "Pas de port de charges",
                        'advice': [('add', [advice.id])],
                        **HEALTH_TEXTS,
                        }])
            Consultation.issue([consultation])
            sheet, = Sheet.create([{
                        'establishment': r['establishment'].id,
                        'date': today - dt.timedelta(days=60),
                        'author': doctor.id,
                        'synthesis': "Former les salariés au port de charges",
                        'risks': [('create', [{'risk': k.id}
                                        for k in risks])],
                        }])
            Sheet.validate_sheet([sheet])
            document, private_document = Attachment.create([{
                        'name': "Fiche entreprise signée.txt",
                        'resource': str(r['establishment']),
                        'data': b"Fiche signee par la direction",
                        'spsti_type': ModelData.get_id('spsti_organisation',
                            'document_type_member_sheet'),
                        }, {
                        'name': "Courrier.txt",
                        'resource': str(r['establishment']),
                        'data': b"Courrier interne",
                        'spsti_type': ModelData.get_id('spsti_organisation',
                            'document_type_member_letter'),
                        }])
            r['member'].request_mandate('FR1420041010050500013M02606')
            Mandate.validate_mandate(r['member'].party.sepa_mandates)
            r.update({'booked': booked, 'slot': slot, 'asked': asked,
                    'own': own, 'seen': seen, 'consultation': consultation,
                    'sheet': sheet, 'document': document,
                    'private_document': private_document})
        declarations = Declaration.open_year(today.year + 1,
            members=members, reference_date=today)
        for r, declaration in zip(result, declarations):
            r['declaration'] = declaration
    return result
