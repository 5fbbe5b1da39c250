"The batches of this module are shown with the record they work on."
from trytond.pool import PoolMeta


class Batch(metaclass=PoolMeta):
    __name__ = 'spsti.batch'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['spsti.workforce.import']
