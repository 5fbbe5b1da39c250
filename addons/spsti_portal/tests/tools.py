"Helpers of the portal tests: the mail the portal sends, read back."
import re

from trytond.modules.spsti_base.tests.tools import SMTPSink as BaseSMTPSink
from trytond.sendmail import SMTPDataManager
from trytond.transaction import Transaction


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
