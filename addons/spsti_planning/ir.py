from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('spsti.visit.request|compute_all_due_visits',
                "Compute Due Visits"))
        cls.method.selection.append(
            ('spsti.slot|send_reminders', "Send Visit Reminders"))

    @classmethod
    def _batch_methods(cls):
        return super()._batch_methods() | {
            'spsti.visit.request|compute_all_due_visits'}
