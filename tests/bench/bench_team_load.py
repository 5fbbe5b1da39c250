#!/usr/bin/env python3
"""Benchmark of the team coverage and load (spsti_organisation).

Builds its own database on the given backend (PostgreSQL in practice):
activates spsti_organisation, loads the shipped referentials, creates demo
members and a workforce of about --assignments job assignments, weekly
working times for the health professionals; then times:

- Coverage.initialise: the coverage periods of every member (one query,
  then creation in slices), and its re-run (must create nothing);
- TeamLoad.compute: the load of every team (one aggregate query over the
  assignments in force, the rules, the working times), twice for the same
  date (the second replaces the first);
- a reassignment of half the members of the first team.

Prints seconds, assignments/second of the load and peak memory.

    tests/bench/run_bench.sh bench_team_load --assignments 300000
"""
import datetime as dt
import sys
import time

import benchlib
from benchlib import max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_team_load')
    parser.add_argument('--assignments', type=int, default=300000)
    parser.add_argument('--members', type=int, default=0,
        help="member companies (default: one per 20 assignments)")
    return benchlib.parse_args(parser)


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_organisation'):
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        with Transaction().start(args.database_name, 0) as transaction:
            from trytond.modules.spsti_base.demo import DemoContext
            from trytond.modules.spsti_base.thesaurus import (
                load_shipped_lists)
            pool = Pool()
            Demo = pool.get('spsti.demo')
            Assignment = pool.get('spsti.assignment')
            Coverage = pool.get('spsti.team.coverage')
            load_shipped_lists()
            employees = int(args.assignments / 1.01)
            ctx = DemoContext(args.members or max(1, employees // 20),
                employees, seed=args.seed)
            ctx.company = Demo.generate_company(ctx)
            with transaction.set_context(company=ctx.company.id):
                Demo.generate_organisation(ctx)
                Demo.generate_members(ctx)
                transaction.commit()
                Demo.generate_workforce(ctx)
                working_times()
            # The members were created with the module: start from none.
            Coverage.delete(Coverage.search([]))
            transaction.commit()
            count = Assignment.search_count([])
        print(f"setup: {count} assignments, "
            f"{time.monotonic() - started:.0f} s", flush=True)
        measure(args, 'coverage initialise', initialise)
        measure(args, 'coverage re-run', initialise)
        measure(args, 'load first', compute, count)
        measure(args, 'load same date', compute, count)
        measure(args, 'reassignment', reassign)


def working_times():
    "Every health professional of a team receives on weekday mornings."
    from trytond.pool import Pool
    pool = Pool()
    WorkTime = pool.get('spsti.professional.work_time')
    Professional = pool.get('spsti.professional')
    WorkTime.create([{
                'professional': p.id,
                'weekday': str(day),
                'start_time': dt.time(8, 30),
                'end_time': dt.time(12),
                'centre': p.centre.id,
                } for p in Professional.search([
                    ('profession.health_professional', '=', True),
                    ('centre', '!=', None),
                    ])
            for day in range(5)])


def initialise():
    from trytond.pool import Pool
    return f"{Pool().get('spsti.team.coverage').initialise()} created"


def compute():
    from trytond.pool import Pool
    loads = Pool().get('spsti.team.load').compute()
    overloaded = sum(1 for l in loads if l.status == 'overloaded')
    return f"{len(loads)} teams, {overloaded} overloaded"


def reassign():
    from trytond.pool import Pool
    pool = Pool()
    Team = pool.get('spsti.team')
    Member = pool.get('spsti.member')
    Reassignment = pool.get('spsti.team.reassignment')
    first, second = Team.search([], order=[('code', 'ASC')], limit=2)
    members = Member.search([('team', '=', first.id)], order=[('id', 'ASC')])
    reassignment, = Reassignment.create([{
                'from_team': first.id,
                'to_team': second.id,
                'members': [('add', [m.id for m in members[::2]])],
                }])
    Reassignment.apply([reassignment])
    return f"{reassignment.moved} moved"


def measure(args, name, function, rows=None):
    from trytond.transaction import Transaction
    with Transaction().start(args.database_name, 0) as transaction:
        from trytond.pool import Pool
        Company = Pool().get('company.company')
        company, = Company.search([], limit=1)
        with transaction.set_context(company=company.id):
            start = time.monotonic()
            result = function()
            transaction.commit()
            elapsed = time.monotonic() - start
    rate = f", {rows / elapsed:,.0f} assignments/s" if rows else ""
    print(f"{name}: {elapsed:.2f} s{rate} ({result}); "
        f"peak RSS {max_rss_mb():.0f} MiB", flush=True)


if __name__ == '__main__':
    sys.exit(main())
