"Helpers of the portal tests: the mail the portal sends, read back."
import email
import email.policy
import re
import socket

from aiosmtpd.controller import Controller

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


class SMTPSink:
    """A real SMTP server on a free local port that keeps what it
    receives, for the pages whose transactions send mail on commit."""

    def __init__(self):
        self.messages = []
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(self, hostname='127.0.0.1',
            port=self.port)

    @property
    def uri(self):
        return f'smtp://127.0.0.1:{self.port}'

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(
                envelope.content, policy=email.policy.default))
        return '250 OK'

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def code_for(self, address):
        return code_from([m for m in self.messages if m['To'] == address])
