"Record rules of the SPSTI models may refer to the current user."
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
