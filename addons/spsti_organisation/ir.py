from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('spsti.team.coverage|daily', "Apply the Team Coverages"),
                ('spsti.team.load|compute_today', "Compute the Team Loads"),
                ])
