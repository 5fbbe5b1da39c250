"Demo visit history and the échéancier computed for the demo workforce."
import datetime as dt

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

INITIAL = {'SIG': 'VIP-I', 'SIA': 'VIP-I', 'SIR': 'SIR-I'}
OUTCOME = {'VIP-I': 'attestation', 'SIR-I': 'fit'}


class Demo(metaclass=PoolMeta):
    __name__ = 'spsti.demo'

    @classmethod
    def generate(cls, ctx):
        super().generate(ctx)
        with Transaction().set_context(company=ctx.company.id):
            cls.generate_visits(ctx)

    @classmethod
    def generate_visits(cls, ctx):
        """Most posts older than a year had their initial visit a month
        after the start; then the engine computes what is due."""
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        Assignment = pool.get('spsti.assignment')
        VisitType = pool.get('spsti.visit.type')
        if VisitRequest.search([], limit=1):
            return
        types = {t.code: t for t in VisitType.search([])}
        year_ago = dt.date.today() - dt.timedelta(days=365)
        history = []
        for assignment in Assignment.search([('start_date', '<', year_ago)]):
            if ctx.rng.random() > 0.8:
                continue
            code = INITIAL[assignment.effective_category.code]
            date = assignment.start_date + dt.timedelta(days=30)
            history.append({
                    'employee': assignment.employee.id,
                    'assignment': assignment.id,
                    'member': assignment.member.id,
                    'visit_type': types[code].id,
                    'origin': 'engine',
                    'request_date': assignment.start_date,
                    'due_date': date,
                    'state': 'done',
                    'done_date': date,
                    'outcome': OUTCOME[code],
                    })
        VisitRequest.create(history)
        count = VisitRequest.compute_all_due_visits()
        ctx.report.append(f"visits: {len(history)} done in the history, "
            f"échéancier computed for {count} assignments")
