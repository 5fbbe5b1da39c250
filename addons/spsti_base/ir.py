"""Record rules of the SPSTI models may refer to the current user; the long
batches of the scheduler started by hand go to the task queue."""
from trytond.model import ModelView, dualmethod
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


def _is_spsti(model_names):
    return any(name.startswith('spsti.') for name in model_names)


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        # Rules such as "a doctor edits the team they lead" need user_id,
        # which trytond only gives to a few of its own models.
        context = super()._get_context(model_name)
        if _is_spsti([model_name]):
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if _is_spsti(model_names):
            key = (*key, Transaction().user)
        return key


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def _batch_methods(cls):
        """Scheduled methods that are long batches (they record a
        spsti.batch); modules add theirs."""
        return set()

    @dualmethod
    @ModelView.button
    def run_once(cls, crons):
        # "Run once" clicked by a user: a long batch goes to the queue
        # workers rather than holding the request; the user follows it in
        # Traitements and is notified at the end. The scheduler (context
        # _cron) runs it in its own process as usual.
        if Transaction().context.get('_cron'):
            return super().run_once(crons)
        batches = [c for c in crons if c.method in cls._batch_methods()]
        others = [c for c in crons if c not in batches]
        if others:
            super().run_once(others)
        if batches:
            cls.__queue__.run_batches(batches)

    @classmethod
    def run_batches(cls, crons):
        "The queued task of run_once: the batches, as the scheduler runs them."
        super().run_once(crons)
