"Helpers of the tests of the member relations."
import datetime as dt

from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee)
from trytond.pool import Pool
from trytond.sendmail import SMTPDataManager
from trytond.transaction import Transaction


def create_contact(member, name, roles=('DIRIGEANT',), email=None,
        consent=None):
    """A person contact of member with roles (codes), an email address
    when given, and a consent to emails given on the date consent."""
    pool = Pool()
    Party = pool.get('party.party')
    Consent = pool.get('spsti.crm.consent')
    party, = Party.create([{
                'name': name,
                'contact_mechanisms': [('create', [
                            {'type': 'email', 'value': email}]
                        if email else [])],
                }])
    add_contact(member, party, roles)
    if consent:
        Consent.create([{
                    'party': party.id,
                    'channel': 'email',
                    'date': consent,
                    'source': 'form',
                    }])
    return party


def add_contact(member, party, roles=('DIRIGEANT',)):
    pool = Pool()
    Contact = pool.get('spsti.crm.contact')
    Role = pool.get('spsti.crm.contact.role')
    contact, = Contact.create([{
                'member': member.id,
                'party': party.id,
                'roles': [('add', [r.id for r in Role.search(
                                [('code', 'in', list(roles))])])],
                }])
    return contact


def create_workforce(establishment, count, seed, risks=(),
        start=dt.date(2020, 1, 1)):
    "count employees with an assignment in force at establishment."
    return [create_assignment(
            create_employee(f"Salarié{seed + i}", "Test",
                dt.date(1980, 1, 1 + i % 28), seed=seed + i),
            establishment, risks=risks, start=start).employee
        for i in range(count)]


def queued_mail():
    "The messages the current transaction will send when it commits."
    return [message for manager in Transaction()._datamanagers
        if isinstance(manager, SMTPDataManager)
        for _, _, message in manager.queue]


def send_waiting_emails():
    """What the scheduled task of marketing_automation does for the
    activities due: execute them (the emails join the transaction)."""
    RecordActivity = Pool().get('marketing.automation.record.activity')
    RecordActivity.do(RecordActivity.search([
                ('state', '=', 'waiting'),
                ('at', '<=', dt.datetime.now()),
                ('record.blocked', '!=', True),
                ]))
