#!/usr/bin/env python3
"""Benchmark of the indicators (spsti_pilotage) over five years of visits.

Builds its own database on the given backend (PostgreSQL in practice):
activates spsti_pilotage, loads the shipped referentials, creates demo
members and a workforce of --employees employees, then, in SQL, five
years of activity: two visit requests per assignment (most done, some
late, some still to plan), a slot per request done (one in ten a
no-show), a company risk sheet for two establishments in three, a medical
file for four employees in five and an issued consultation for one visit
in five. Then computes every indicator for the whole service and per
team, and prints the seconds per indicator.

    tests/bench/run_bench.sh bench_indicators --employees 300000

or, against a server of your own:

    .venv/bin/python tests/bench/bench_indicators.py \\
        --database-uri postgresql://user@host:5432/ --employees 300000
"""
import datetime as dt
import time

import benchlib
from benchlib import max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_indicators')
    parser.add_argument('--employees', type=int, default=300000)
    parser.add_argument('--members', type=int, default=0,
        help="member companies (default: one per 20 employees)")
    parser.add_argument('--scopes', default='service,team',
        help="comma-separated scopes to compute (service, sector, centre, "
        "team, professional, member)")
    return benchlib.parse_args(parser)


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_pilotage'):
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
            ctx = DemoContext(args.members or max(1, args.employees // 20),
                args.employees, seed=args.seed)
            ctx.company = Demo.generate_company(ctx)
            with transaction.set_context(company=ctx.company.id):
                Demo.generate_organisation(ctx)
                Demo.generate_members(ctx)
                transaction.commit()
                Demo.generate_workforce(ctx)
            transaction.commit()
            count = Assignment.search_count([])
        print(f"workforce: {count} assignments, "
            f"{time.monotonic() - started:.0f} s", flush=True)
        with Transaction().start(args.database_name, 0) as transaction:
            generate_activity(transaction.connection.cursor())
            transaction.commit()
        print(f"activity generated, {time.monotonic() - started:.0f} s",
            flush=True)
        for scope in args.scopes.split(','):
            run(args, scope.strip())


def generate_activity(cursor):
    "Five years of requests, slots, sheets, files and consultations."
    today = dt.date.today()
    cursor.execute('SELECT id FROM spsti_visit_type ORDER BY id')
    types = [t for t, in cursor]
    cursor.execute(
        'SELECT p.id, p.centre FROM spsti_professional p '
        'WHERE p.centre IS NOT NULL ORDER BY p.id')
    professionals = cursor.fetchall()
    cursor.execute('SELECT MIN(id) FROM spsti_centre')
    centre, = cursor.fetchone()
    cursor.execute('DELETE FROM spsti_visit_request')
    # Two requests per assignment, dated over five years from its id; 85 %
    # done, within 0 to 120 days of the request (due after 90 days).
    cursor.execute(
        'INSERT INTO spsti_visit_request (employee, assignment, member, '
        'visit_type, origin, priority, request_date, due_date, state, '
        'done_date, create_uid, create_date) '
        'SELECT a.employee, a.id, a.member, '
        '(%(types)s)[1 + (a.id * 7 + n) %% %(n_types)s], \'engine\', \'3\', '
        'r.request_date, r.request_date + 90, '
        'CASE WHEN (a.id + n) %% 7 = 0 THEN \'to_plan\' ELSE \'done\' END, '
        'CASE WHEN (a.id + n) %% 7 = 0 THEN NULL '
        'ELSE LEAST(r.request_date + (a.id * 13 + n) %% 120, %(today)s) '
        'END, 0, NOW() '
        'FROM spsti_assignment a CROSS JOIN generate_series(0, 1) n '
        'CROSS JOIN LATERAL (SELECT CAST(%(today)s AS DATE) '
        '- 1 - (a.id * 37 + n * 911) %% 1800 AS request_date) r',
        {'types': types, 'n_types': len(types), 'today': today})
    # One slot per request done, round robin over the professionals, 30
    # minutes each (no overlap); one in ten a no-show.
    cursor.execute(
        'INSERT INTO spsti_slot (professional, centre, start, "end", '
        'teleconsultation, state, request, create_uid, create_date) '
        'SELECT p.id, COALESCE(p.centre, %(centre)s), s.start, '
        's.start + INTERVAL \'30 minutes\', true, '
        'CASE WHEN q.id %% 10 = 0 THEN \'no_show\' ELSE \'done\' END, '
        'q.id, 0, NOW() '
        'FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k '
        'FROM spsti_visit_request WHERE state = \'done\') q '
        'JOIN (SELECT id, centre, ROW_NUMBER() OVER (ORDER BY id) - 1 AS i '
        'FROM spsti_professional) p ON p.i = q.k %% %(professionals)s '
        'CROSS JOIN LATERAL (SELECT CAST(%(start)s AS TIMESTAMP) '
        '+ (q.k / %(professionals)s) * INTERVAL \'30 minutes\' AS start) s',
        {'centre': centre, 'professionals': len(professionals) or 1,
            'start': dt.datetime.combine(
                today.replace(year=today.year - 4), dt.time(8))})
    cursor.execute(
        'INSERT INTO spsti_company_sheet (establishment, version, date, '
        'author, state, create_uid, create_date) '
        'SELECT e.id, 1, CAST(%(today)s AS DATE) - e.id %% 1800, '
        '%(author)s, \'validated\', 0, NOW() '
        'FROM spsti_establishment e WHERE e.id %% 3 <> 0',
        {'today': today, 'author': professionals[0][0]})
    cursor.execute(
        'INSERT INTO spsti_dmst (employee, opening_date, state, '
        'create_uid, create_date) '
        'SELECT id, CAST(%(today)s AS DATE) - id %% 1800, \'open\', 0, NOW() '
        'FROM spsti_employee WHERE id %% 5 <> 0', {'today': today})
    cursor.execute(
        'INSERT INTO spsti_dmst_consultation (file, request, visit_type, '
        'professional, date, mode, outcome, adjustment_proposal, state, '
        'delegated, create_uid, create_date) '
        'SELECT f.id, q.id, q.visit_type, %(professional)s, q.done_date, '
        '\'centre\', CASE WHEN q.id %% 50 = 0 THEN \'fit_with_adjustment\' '
        'ELSE \'attestation\' END, CASE WHEN q.id %% 50 = 0 '
        'THEN \'Aménagement\' END, \'issued\', false, 0, NOW() '
        'FROM spsti_visit_request q JOIN spsti_dmst f '
        'ON f.employee = q.employee '
        'WHERE q.state = \'done\' AND q.id %% 5 = 0',
        {'professional': professionals[0][0]})
    for table in ['spsti_visit_request', 'spsti_slot', 'spsti_company_sheet',
            'spsti_dmst', 'spsti_dmst_consultation']:
        cursor.execute(f'SELECT COUNT(*) FROM {table}')
        print(f"  {table}: {cursor.fetchone()[0]} rows", flush=True)
    cursor.execute('ANALYZE')


def run(args, scope):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0) as transaction:
        Indicator = Pool().get('spsti.indicator')
        indicators = Indicator.search([])
        from_date, to_date = indicators[0].window_period()
        print(f"\nscope {scope}, {from_date} – {to_date}", flush=True)
        total = 0
        profile = None
        if args.profile and scope == 'service':
            import cProfile
            profile = cProfile.Profile()
            profile.enable()
        for indicator in indicators:
            start = time.monotonic()
            measures = Indicator.compute(
                [indicator], from_date, to_date, scope)
            transaction.commit()
            seconds = time.monotonic() - start
            total += seconds
            figure = ''
            if scope == 'service' and measures:
                m, = measures
                figure = f"{m.numerator:,.0f} / {m.denominator or '–'}"
            print(f"  {indicator.code:<18} {seconds:7.2f} s  "
                f"{len(measures):>5} measures  {figure}", flush=True)
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
    print(f"  all indicators: {total:.1f} s, peak RSS {max_rss_mb():.0f} MiB",
        flush=True)


if __name__ == '__main__':
    main()
