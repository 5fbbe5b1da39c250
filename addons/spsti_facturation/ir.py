from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('spsti.billing.run|resume_all', "Resume Billing Runs"),
                ('spsti.billing.run|create_calls',
                    "Create the Contribution Calls of the Month"),
                ])
