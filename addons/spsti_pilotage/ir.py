from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('spsti.indicator|compute_default_windows',
                "Compute Indicators over their Default Windows"))

    @classmethod
    def _batch_methods(cls):
        return super()._batch_methods() | {
            'spsti.indicator|compute_default_windows'}
