#!/usr/bin/env python3
"""Benchmark of the nightly due-visit computation (spsti_planning).

Builds its own database on the given backend (PostgreSQL in practice):
activates spsti_planning, loads the shipped referentials, creates demo
members and a workforce of about --assignments job assignments (with their
exposures and categories), then runs the échéancier on all of them
(compute_all_due_visits, a commit at the end) twice: the first run creates
the visit requests, the second must change nothing. Prints
assignments/second, seconds and peak memory of each run, and a plain-SQL
baseline that reads the same assignment rows with their employee and
exposures.

    tests/bench/run_bench.sh bench_due_visits --assignments 300000

or, against a server of your own:

    .venv/bin/python tests/bench/bench_due_visits.py \\
        --database-uri postgresql://user@host:5432/ --assignments 300000
"""
import datetime as dt
import sys
import time
import tracemalloc

import benchlib
from benchlib import max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_due_visits')
    parser.add_argument('--assignments', type=int, default=300000)
    parser.add_argument('--members', type=int, default=0,
        help="member companies (default: one per 20 assignments)")
    parser.add_argument('--chunk-size', type=int, default=2000)
    parser.add_argument('--no-rerun', action='store_true',
        help="skip the second (idempotence) run")
    parser.add_argument('--tracemalloc', action='store_true',
        help="also measure the Python heap peak (slows the run)")
    return benchlib.parse_args(parser)


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_planning'):
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        with Transaction().start(args.database_name, 0) as transaction:
            from trytond.modules.spsti_base.demo import DemoContext
            from trytond.modules.spsti_base.thesaurus import (
                load_shipped_lists)
            pool = Pool()
            Demo = pool.get('spsti.demo')
            Assignment = pool.get('spsti.assignment')
            load_shipped_lists()
            # The demo gives about 1 % of the people a second post.
            employees = int(args.assignments / 1.01)
            ctx = DemoContext(args.members or max(1, employees // 20),
                employees, seed=args.seed)
            ctx.company = Demo.generate_company(ctx)
            with transaction.set_context(company=ctx.company.id):
                Demo.generate_organisation(ctx)
                Demo.generate_members(ctx)
                transaction.commit()
                print(f"members: {ctx.members}, "
                    f"{time.monotonic() - started:.0f} s", flush=True)
                Demo.generate_workforce(ctx)
            transaction.commit()
            count = Assignment.search_count([])
        print(f"setup: {count} assignments, "
            f"{time.monotonic() - started:.0f} s", flush=True)
        baseline(args)
        runs = ['first'] if args.no_rerun else ['first', 're-run']
        for run in runs:
            run_engine(args, run)


def baseline(args):
    """Plain SQL: the assignments in force with their employee and
    exposures, the rows the engine reads, without computing anything."""
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0, readonly=True) as t:
        cursor = t.connection.cursor()
        start = time.monotonic()
        cursor.execute(
            'SELECT a.id, a.start_date, a.end_date, a.category, '
            'a.night_work, a.disabled_worker, a.job, e.birth_date, '
            'x.risk, x.start_date, x.end_date '
            'FROM spsti_assignment a '
            'JOIN spsti_employee e ON e.id = a.employee '
            'LEFT JOIN spsti_assignment_exposure x ON x.assignment = a.id '
            'WHERE a.end_date IS NULL OR a.end_date >= %s '
            'ORDER BY a.employee, a.id', (dt.date.today(),))
        rows = sum(1 for _ in cursor)
        seconds = time.monotonic() - start
    print(f"\nplain SQL baseline: {rows} rows in {seconds:.2f} s, "
        f"{rows / seconds:,.0f} rows/s", flush=True)


def run_engine(args, run):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    rss_before = max_rss_mb()
    if args.tracemalloc:
        tracemalloc.start()
    with Transaction().start(args.database_name, 0) as transaction:
        VisitRequest = Pool().get('spsti.visit.request')
        before = VisitRequest.search_count([])
        profile = None
        if args.profile and run == 'first':
            import cProfile
            profile = cProfile.Profile()
            profile.enable()
        start = time.monotonic()
        count = VisitRequest.compute_all_due_visits(chunk=args.chunk_size)
        transaction.commit()
        seconds = time.monotonic() - start
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
        created = VisitRequest.search_count([]) - before
    heap = None
    if args.tracemalloc:
        heap = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    print(f"\n{run} run: {count} assignments, {created} visit requests "
        "created")
    print(f"  {count / seconds:,.0f} assignments/s, {seconds:.1f} s, "
        f"peak RSS {max_rss_mb():.0f} MiB (before the run "
        f"{rss_before:.0f} MiB)"
        + (f", Python heap peak {heap:.0f} MiB" if heap else ''),
        flush=True)
    if run == 're-run' and created:
        print("  ERROR: the re-run created requests", file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
