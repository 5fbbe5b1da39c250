"""Demo indicators: the measures of the last five years for the service
and each scope, so the dashboards open on figures."""
from trytond.pool import Pool, PoolMeta


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        cls.generate_indicators(ctx)

    @classmethod
    def generate_indicators(cls, ctx):
        pool = Pool()
        Indicator = pool.get('spsti.indicator')
        Configuration = pool.get('spsti.adherent.configuration')
        config = Configuration(1)
        if not config.export_service_code:
            config.export_service_code = 'SPSTI-DEMO'
            config.save()
        # As the scheduled task computes them every night.
        Indicator.compute_default_windows()
