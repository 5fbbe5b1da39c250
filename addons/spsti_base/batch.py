"""Traitements de masse: one record per execution of a long batch (billing
run, due-visit recompute, workforce import, indicators), showing its
progress live to the user who started it, then a notification.

The batch works in its own transactions; the record is written in short
transactions of its own (on PostgreSQL), so other users see the progress
while the batch transaction is still open. The end (done or failed) and the
notification are written once the batch transaction has committed (or
rolled back): a batch never shows done for work that was lost.

A batch run in one process::

    with Batch.run(name, origin=record, total=len(ids)) as batch:
        for sub in grouped_slice(ids, size):
            ...
            batch.advance(len(sub))
        batch.complete()

A batch split into queued tasks (several workers share it)::

    batch = Batch.queue(name, origin=record, total=len(ids))
    if batch:   # else its tasks are still at work
        for part in grouped_slice(ids, size):
            Model.__queue__.process_part(records, list(part), batch=batch.id)
    # in each task:
    batch = Batch(batch_id)
    with batch.task():
        ...
        Transaction().commit()
        batch.hold()
        if batch.advance(len(part)):
            batch.complete()

See README.rst, "Traitements de masse"."""
import datetime as dt
import logging
import time
import traceback
from contextlib import contextmanager

from sql.functions import Function

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)

STATES = [
    ('queued', "Queued"),
    ('running', "Running"),
    ('done', "Done"),
    ('failed', "Failed"),
    ]
UNFINISHED = ['queued', 'running']
# What a batch reads of itself as committed (see Batch.refresh).
FIELDS = ['name', 'origin', 'user', 'state', 'done', 'total', 'started_at',
    'summary', 'error']
# Short progress transactions retried on a concurrent update.
RETRIES = 20


class _AdvisoryLock(Function):
    "pg_try_advisory_xact_lock(key, id): true when the lock was taken."
    __slots__ = ()
    _function = 'PG_TRY_ADVISORY_XACT_LOCK'


class _SharedAdvisoryLock(Function):
    "pg_advisory_xact_lock_shared(key, id): held by a working task."
    __slots__ = ()
    _function = 'PG_ADVISORY_XACT_LOCK_SHARED'


# First key of the advisory locks of batches (the second is the batch id).
LOCK_KEY = 0x5b57


class Batch(ModelSQL, ModelView):
    """Traitement de masse: an execution of a long batch, who started it,
    what it works on, how far it is and how it ended."""
    __name__ = 'spsti.batch'
    __string__ = "Batch"
    name = fields.Char("Task", required=True, readonly=True)
    origin = fields.Reference(
        "Origin", selection='get_origins', readonly=True,
        help="The record the batch works on.")
    user = fields.Many2One(
        'res.user', "Started by", readonly=True, ondelete='SET NULL')
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    done = fields.Integer("Done", readonly=True)
    total = fields.Integer("Total", readonly=True)
    progress = fields.Function(
        fields.Float("Progress"), 'get_progress')
    started_at = fields.DateTime("Started at", readonly=True)
    ended_at = fields.DateTime("Ended at", readonly=True)
    summary = fields.Text("Result", readonly=True)
    error = fields.Text("Error", readonly=True,
        states={'invisible': Eval('state') != 'failed'})

    # Functions called with (batch) at every write of the progress in this
    # process (the command line draws its progress bar with them).
    observers = []

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.user, Index.Equality())),
                Index(t, (t.origin, Index.Equality()),
                    where=t.state.in_(UNFINISHED)),
                })

    @classmethod
    def default_state(cls):
        return 'queued'

    @classmethod
    def default_done(cls):
        return 0

    @classmethod
    def get_origins(cls):
        Model = Pool().get('ir.model')
        return [(None, '')] + [(m.name, m.string)
            for m in Model.search([('name', 'in', cls._get_origin())])]

    @classmethod
    def _get_origin(cls):
        "Models whose records a batch may work on; modules extend it."
        return []

    def get_progress(self, name):
        if self.state == 'done':
            return 1.0
        if self.total:
            return round(min(self.done / self.total, 1.0), 4)
        return 0.0

    # Starting

    @classmethod
    def queue(cls, name, origin=None, total=None):
        """The batch to queue tasks for, in the current transaction (it
        appears with the tasks): the unfinished batch of origin, reset, or a
        new one for the current user; None while a batch of origin is at
        work (a task of it is running or waiting), so that its items are
        never queued twice."""
        values = {'name': name, 'state': 'queued', 'total': total,
            'done': 0, 'error': None, 'ended_at': None}
        batch = cls._unfinished(origin)
        if batch and batch.is_alive():
            return None
        with without_check_access():
            if batch:
                cls.write([batch], values)
            else:
                batch, = cls.create([dict(values,
                            origin=str(origin) if origin else None,
                            user=cls._starting_user())])
        return batch

    @classmethod
    @contextmanager
    def run(cls, name, origin=None, total=None):
        """Follow a batch running in this process: the unfinished batch of
        origin (queued, or stopped by a crash) or a new one; failed when
        the block raises. The block calls complete() once all is done."""
        batch = cls._unfinished(origin, own_transaction=True)
        if not batch:
            batch = cls._create_now({
                    'name': name,
                    'origin': str(origin) if origin else None,
                    'user': cls._starting_user(),
                    'total': total,
                    })
        elif total is not None:
            batch.set_total(total, done=0)
        with batch.task():
            yield batch

    @classmethod
    def _starting_user(cls):
        # root (0) runs the scheduler: nobody to notify.
        return Transaction().user or None

    @classmethod
    def _unfinished(cls, origin, own_transaction=False):
        if origin is None:
            return None
        domain = [
            ('origin', '=', str(origin)),
            ('state', 'in', UNFINISHED),
            ]
        if own_transaction and cls._own_transactions():
            # What other transactions committed since this one started.
            with Transaction().new_transaction(readonly=True), \
                    without_check_access():
                ids = [b.id for b in cls.search(domain, limit=1)]
        else:
            with without_check_access():
                ids = [b.id for b in cls.search(domain, limit=1)]
        return cls(ids[0]) if ids else None

    @classmethod
    def _create_now(cls, values):
        "Create a batch that other transactions see at once."
        if cls._own_transactions():
            with Transaction().new_transaction(), without_check_access():
                batch, = cls.create([values])
                batch_id = batch.id
            return cls(batch_id)
        with without_check_access():
            batch, = cls.create([values])
        return batch

    @staticmethod
    def _own_transactions():
        # SQLite has one writer at a time: a second transaction would wait
        # for the batch's own. There the batch's transaction writes the
        # progress, seen when it commits.
        return backend.name != 'sqlite'

    @contextmanager
    def task(self):
        """A part of the batch working in this transaction: running now,
        failed (with the error) if the block raises. On PostgreSQL the task
        holds a shared lock that tells it is alive (see is_alive)."""
        self.hold()
        self.refresh()
        if self.state != 'running' or not self.started_at:
            self._write({'state': 'running',
                    'started_at': self.started_at or dt.datetime.now()})
        try:
            yield self
        except Exception as exception:
            self.fail(exception)
            raise

    def refresh(self):
        """Read the batch as committed: short transactions of their own
        write it, which the current transaction may not see (its snapshot
        may be older, it may even predate the batch)."""
        if not self._own_transactions():
            return
        with Transaction().new_transaction(readonly=True), \
                without_check_access():
            values, = self.__class__.read([self.id], FIELDS)
        del values['id']
        for name, value in values.items():
            setattr(self, name, value)

    def hold(self):
        """Take the shared lock of a working task again (after a commit
        ended the previous one)."""
        if self._own_transactions():
            cursor = Transaction().connection.cursor()
            cursor.execute(*_SharedAdvisoryLock(LOCK_KEY, self.id).select())

    def is_alive(self):
        """Whether a part of the batch is working (it holds the lock) or
        queued; a batch stopped by a crash is not."""
        pool = Pool()
        Queue = pool.get('ir.queue')
        if self._own_transactions():
            cursor = Transaction().connection.cursor()
            cursor.execute(*_AdvisoryLock(LOCK_KEY, self.id).select())
            locked, = cursor.fetchone()
            if not locked:
                return True
        if not self.origin:
            return False
        # A waiting task works on the origin of the batch.
        model, id_ = self.origin.__name__, self.origin.id
        for task in Queue.search([('dequeued_at', '=', None)]):
            instances = task.data.get('instances')
            if isinstance(instances, int):
                instances = [instances]
            if task.data.get('model') == model and id_ in instances:
                return True
        return False

    # Progress

    def set_total(self, total, done=None):
        values = {'total': total}
        if done is not None:
            values['done'] = done
        self._write(values)

    def advance(self, count):
        """Count count more items done; returns whether these were the last
        (true for one call only). The increment is immediate: several tasks
        may share the batch."""
        table = self.__table__()
        transaction = Transaction()
        if self._own_transactions():
            for attempt in range(RETRIES):
                try:
                    with transaction.new_transaction() as own:
                        cursor = own.connection.cursor()
                        cursor.execute(*table.update(
                                [table.done], [table.done + count],
                                where=table.id == self.id,
                                returning=[table.done, table.total]))
                        self.done, self.total = cursor.fetchone()
                    break
                except backend.DatabaseOperationalError:
                    if attempt == RETRIES - 1:
                        raise
                    time.sleep(0.01 * (attempt + 1))
            self._notify_observers()
        else:
            # The only writer: through the ORM, which keeps its cache.
            self._write({'done': (self.done or 0) + count})
        return (self.total is not None
            and self.done - count < self.total <= self.done)

    def _write(self, values):
        for name, value in values.items():
            setattr(self, name, value)
        if self._own_transactions():
            for attempt in range(RETRIES):
                try:
                    with Transaction().new_transaction(), \
                            without_check_access():
                        self.__class__.write([self.__class__(self.id)], values)
                    break
                except backend.DatabaseOperationalError:
                    if attempt == RETRIES - 1:
                        raise
                    time.sleep(0.01 * (attempt + 1))
        else:
            with without_check_access():
                self.__class__.write([self.__class__(self.id)], values)
        self._notify_observers()

    def _notify_observers(self):
        for observer in self.observers:
            observer(self)

    # End

    def complete(self, summary=None):
        """Done once the current transaction commits; the user who started
        the batch gets a notification."""
        Transaction().join(_EndDataManager(self, 'done', summary=summary))

    def fail(self, exception):
        """Failed, with the error, whatever becomes of the transaction."""
        message = getattr(exception, 'message', None) or str(exception)
        logger.info("batch %s failed", self.id, exc_info=True)
        error = '\n'.join([message, ''] + traceback.format_exception_only(
                type(exception), exception)).strip()
        if self._own_transactions():
            self._end('failed', error=error)
        else:
            # The failing transaction holds the only write access: end the
            # batch once it has rolled back (with it, the batch if it
            # created it).
            values = {'name': self.name, 'origin': self.origin,
                'user': self.user, 'total': self.total, 'done': self.done,
                'started_at': self.started_at}
            Transaction().atexit(self._end_alone,
                Transaction().database.name, values, 'failed', error)

    def _end_alone(self, database, values, state, error):
        cls = self.__class__
        with Transaction(new=True).start(database, 0), \
                without_check_access():
            batches = cls.search([('id', '=', self.id)])
            if not batches:
                batches = cls.create([values])
            batches[0]._end(state, error=error)

    def _end(self, state, summary=None, error=None):
        values = {'state': state, 'ended_at': dt.datetime.now(),
            'summary': summary, 'error': error}
        if state == 'done' and self.total is not None:
            values['done'] = max(self.done or 0, self.total)
        self._write(values)
        self.notify()

    def notify(self):
        "Tell the user who started the batch how it ended."
        pool = Pool()
        Notification = pool.get('res.notification')
        if not self.user:
            return
        with Transaction().set_context(language=self.user.language.code
                if self.user.language else None):
            if self.state == 'done':
                label = gettext('spsti_base.msg_batch_done', batch=self.name)
                icon = 'tryton-ok'
            else:
                label = gettext('spsti_base.msg_batch_failed',
                    batch=self.name)
                icon = 'tryton-error'
            description = (self.summary or self.error or '').split('\n')[0]
        values = {
            'user': self.user.id,
            'label': label,
            'description': description[:250],
            'icon': icon,
            'model': self.__name__,
            'records': f'[{self.id}]',
            }
        if self._own_transactions():
            with Transaction().new_transaction(), without_check_access():
                Notification.create([values])
        else:
            with without_check_access():
                Notification.create([values])


class _EndDataManager:
    """Ends a batch after the transaction: done (or failed as asked) when
    it commits, failed when it rolls back. Only once: a batch may commit
    several times before its end."""

    def __init__(self, batch, state, summary=None, error=None):
        self.batch = batch
        self.state = state
        self.summary = summary
        self.error = error
        self.ended = False

    def __eq__(self, other):
        return (isinstance(other, _EndDataManager)
            and other.batch.id == self.batch.id)

    def __hash__(self):
        return hash(self.batch.id)

    def tpc_begin(self, transaction):
        if not self.batch._own_transactions() and not self.ended:
            # One writer: the end goes in the batch's own transaction.
            self.ended = True
            self.batch._end(self.state, summary=self.summary,
                error=self.error)

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_finish(self, transaction):
        if not self.ended:
            self.ended = True
            self.batch._end(self.state, summary=self.summary,
                error=self.error)

    def tpc_abort(self, transaction):
        if self.ended:
            return
        self.ended = True
        if self.batch._own_transactions():
            self.batch._end('failed', error=self.error or gettext(
                    'spsti_base.msg_batch_rolled_back'))
