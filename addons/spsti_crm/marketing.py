"""marketing_automation as the email channel of the campaigns: consent
checked at sending, unsubscribe recorded as a withdrawal, deliveries logged
on the members."""
from trytond.model import ModelView, dualmethod
from trytond.pool import Pool, PoolMeta


class Activity(metaclass=PoolMeta):
    __name__ = 'marketing.automation.activity'

    def execute_send_email(self, record_activity, **kwargs):
        """A campaign email goes only to a person who still consents to
        emails when it is sent (the consent may be withdrawn after the
        person entered the scenario)."""
        pool = Pool()
        Campaign = pool.get('spsti.crm.campaign')
        Consent = pool.get('spsti.crm.consent')
        if Campaign.search([('email_activity', '=', self.id)], limit=1):
            party = record_activity.record.record.marketing_party
            if not Consent.consenting([party], 'email'):
                return
        super().execute_send_email(record_activity, **kwargs)


class Record(metaclass=PoolMeta):
    __name__ = 'marketing.automation.record'

    @dualmethod
    @ModelView.button
    def block(cls, records):
        """Unsubscribing (the link of the email) withdraws the person's
        consent to emails: no later campaign writes to them."""
        pool = Pool()
        Consent = pool.get('spsti.crm.consent')
        super().block(records)
        Consent.withdraw_consents(
            [r.record.marketing_party for r in records if r.record],
            'email', 'unsubscribe')


class RecordActivity(metaclass=PoolMeta):
    __name__ = 'marketing.automation.record.activity'

    @classmethod
    def do(cls, record_activities, **kwargs):
        Campaign = Pool().get('spsti.crm.campaign')
        super().do(record_activities, **kwargs)
        Campaign.log_deliveries(record_activities)
