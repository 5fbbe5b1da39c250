"""Envoi de SMS: the sender is chosen in the configuration,

    [spsti_planning]
    sms_sender = package.module:Class

a class whose instances have send(number, text); by default the text is
only logged. Messages leave when the transaction commits, like emails."""
import importlib
import logging

from trytond import config
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class LogSender:
    "Default sender: logs the messages (no SMS gateway configured)."

    def send(self, number, text):
        logger.info("SMS to %s: %s", number, text)


def get_sender():
    path = config.get('spsti_planning', 'sms_sender', default=None)
    if not path:
        return LogSender()
    module, _, name = path.partition(':')
    return getattr(importlib.import_module(module), name)()


class SMSDataManager:
    "Queues the messages of a transaction and sends them once it commits."

    def __init__(self, sender):
        self.sender = sender
        self.queue = []

    def __eq__(self, other):
        if not isinstance(other, SMSDataManager):
            return NotImplemented
        return self.sender is other.sender

    def put(self, number, text):
        self.queue.append((number, text))

    def abort(self, trans):
        self.queue = []

    def tpc_begin(self, trans):
        pass

    def commit(self, trans):
        pass

    def tpc_vote(self, trans):
        pass

    def tpc_finish(self, trans):
        for number, text in self.queue:
            try:
                self.sender.send(number, text)
            except Exception:
                logger.error("fail to send SMS to %s", number, exc_info=True)
        self.queue = []

    def tpc_abort(self, trans):
        self.queue = []


def send_transactional(sender, number, text):
    datamanager = Transaction().join(SMSDataManager(sender))
    datamanager.put(number, text)
