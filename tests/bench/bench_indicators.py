#!/usr/bin/env python3
"""Benchmark of the indicators (spsti_pilotage) over five years of visits.

Builds its own PostgreSQL database: activates spsti_pilotage with
spsti_portal (whose indicators come with it), loads the shipped
referentials and generates with the ORM demo generator the members and a
template workforce of --template-employees employees (follow-up
categories computed from their exposures), then copies the template's
people by plain SQL until --employees (see bench_due_visits: each copy
moves its dates back by up to a year and leaves some people out). Then,
in SQL, five years of activity: two visit requests per assignment (most
done, some late, some still to plan), a slot per request done (one in ten
a no-show), a company risk sheet for two establishments in three, a
medical file for four employees in five and an issued consultation for
one visit in five (one in fifty with a job adjustment), a work stoppage
for one employee in twenty (a third of them long), advice at one
consultation in ten, an awareness session at one establishment in four
(about a third of its employees), portal accounts for one employee in ten
and half the members, and satisfaction answers.

Prints the seconds of a plain-SQL reference (the employees followed at
the end of the window, the denominator most indicators share, counted
once), then of every indicator for the whole service and for each scope
of --scopes (per team by default), with the peak memory.

    tests/bench/run_bench.sh bench_indicators --employees 300000

or, against a server of your own:

    .venv/bin/python tests/bench/bench_indicators.py \\
        --database-uri postgresql://user@host:5432/ --employees 300000
"""
import datetime as dt
import time
from types import SimpleNamespace

import benchlib
from bench_due_visits import copy_workforce
from benchlib import max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_indicators')
    parser.add_argument('--employees', type=int, default=300000)
    parser.add_argument('--template-employees', type=int, default=10000,
        help="employees generated with the ORM, then copied")
    parser.add_argument('--scopes', default='service,team',
        help="comma-separated scopes to compute (service, sector, centre, "
        "team, professional, member)")
    args = benchlib.parse_args(parser)
    if not args.database_uri.startswith('postgresql'):
        parser.error("the activity is generated for PostgreSQL")
    return args


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(
            args, ['spsti_pilotage', 'spsti_portal']):
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        template = min(args.employees, args.template_employees)
        with Transaction().start(args.database_name, 0) as transaction:
            from trytond.modules.spsti_base.demo import DemoContext
            from trytond.modules.spsti_base.thesaurus import (
                load_shipped_lists)
            pool = Pool()
            Demo = pool.get('spsti.demo')
            Assignment = pool.get('spsti.assignment')
            load_shipped_lists()
            # One member per 20 employees of the whole service: the copies
            # of the template's people share the template's establishments.
            ctx = DemoContext(max(1, args.employees // 20), template,
                seed=args.seed)
            ctx.company = Demo.generate_company(ctx)
            with transaction.set_context(company=ctx.company.id):
                Demo.generate_organisation(ctx)
                Demo.generate_members(ctx)
                transaction.commit()
                Demo.generate_workforce(ctx)
            transaction.commit()
            count = Assignment.search_count([])
        print(f"template: {count} assignments of {template} employees, "
            f"{time.monotonic() - started:.0f} s", flush=True)
        if args.employees > template:
            copy_workforce(SimpleNamespace(
                    database_name=args.database_name,
                    assignments=round(args.employees * count / template)))
            print(f"workforce copied, {time.monotonic() - started:.0f} s",
                flush=True)
        with Transaction().start(args.database_name, 0) as transaction:
            generate_activity(transaction.connection.cursor())
            transaction.commit()
        print(f"activity generated, {time.monotonic() - started:.0f} s",
            flush=True)
        reference(args)
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
    # A work stoppage for one employee in twenty, over five years, of 10
    # to 190 days (a third of them 90 days or more), a few going on; one
    # in eight a maternity leave.
    cursor.execute(
        'INSERT INTO spsti_work_stoppage (employee, member, kind, '
        'start_date, end_date, create_uid, create_date) '
        'SELECT a.employee, a.member, '
        'CASE WHEN a.id %% 8 = 0 THEN \'maternity\' '
        'WHEN a.id %% 8 = 1 THEN \'work_accident\' '
        'ELSE \'sickness\' END, s.start_date, '
        'CASE WHEN a.id %% 11 = 0 THEN NULL '
        'ELSE s.start_date + 10 + (a.id * 17) %% 180 END, 0, NOW() '
        'FROM spsti_assignment a CROSS JOIN LATERAL (SELECT '
        'CAST(%(today)s AS DATE) - (a.id * 53) %% 1800 AS start_date) s '
        'WHERE a.id %% 20 = 3', {'today': today})
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
    # Advice given at one consultation in ten.
    cursor.execute(
        'INSERT INTO "spsti_dmst_consultation-spsti_advice_type" '
        '(consultation, advice, create_uid, create_date) '
        'SELECT c.id, t.id, 0, NOW() FROM spsti_dmst_consultation c '
        'CROSS JOIN (SELECT MIN(id) AS id FROM spsti_advice_type '
        'WHERE parent IS NOT NULL) t WHERE c.id % 10 = 0')
    # An awareness session done at one establishment in four, about one
    # of its employees in three.
    cursor.execute(
        'INSERT INTO spsti_workplace_action (type, member, establishment, '
        'theme, start, "end", state, create_uid, create_date) '
        'SELECT t.id, e.member, e.id, \'Sensibilisation\', s.start, '
        's.start + INTERVAL \'2 hours\', \'done\', 0, NOW() '
        'FROM spsti_establishment e CROSS JOIN (SELECT MIN(id) AS id '
        'FROM spsti_workplace_action_type WHERE awareness) t '
        'CROSS JOIN LATERAL (SELECT CAST(%(today)s AS TIMESTAMP) '
        '- ((e.id * 29) %% 1800) * INTERVAL \'1 day\' '
        '+ INTERVAL \'9 hours\' AS start) s '
        'WHERE e.id %% 4 = 1', {'today': today})
    cursor.execute(
        'INSERT INTO "spsti_workplace_action-spsti_employee" (action, '
        'employee, create_uid, create_date) '
        'SELECT DISTINCT w.id, a.employee, 0, NOW() '
        'FROM spsti_workplace_action w JOIN spsti_assignment a '
        'ON a.establishment = w.establishment WHERE a.employee % 3 = 0')
    # Portal accounts: one employee in ten, an administrator for every
    # other member; satisfaction answers for one member in three.
    cursor.execute(
        'INSERT INTO web_user (email, active, employee, create_uid, '
        'create_date) '
        'SELECT \'employee\' || id || \'@example.com\', true, id, 0, '
        'CAST(%(today)s AS TIMESTAMP) - (id %% 1800) * INTERVAL \'1 day\' '
        'FROM spsti_employee WHERE id %% 10 = 1', {'today': today})
    cursor.execute(
        'INSERT INTO web_user (email, active, create_uid, create_date) '
        'SELECT \'member\' || id || \'@example.com\', true, 0, '
        'CAST(%(today)s AS TIMESTAMP) - (id %% 1800) * INTERVAL \'1 day\' '
        'FROM spsti_member WHERE id %% 2 = 0', {'today': today})
    cursor.execute(
        'INSERT INTO spsti_portal_member_access (web_user, member, '
        'administrator, active, create_uid, create_date) '
        'SELECT u.id, m.id, true, true, 0, u.create_date '
        'FROM web_user u JOIN spsti_member m '
        'ON u.email = \'member\' || m.id || \'@example.com\'')
    cursor.execute(
        'INSERT INTO spsti_portal_satisfaction (member, context, date, '
        'score, create_uid, create_date) '
        'SELECT id, c.context, CAST(%(today)s AS DATE) - (id * 7) %% 1800, '
        'CAST(1 + id %% 5 AS VARCHAR), 0, NOW() '
        'FROM spsti_member CROSS JOIN (VALUES (\'adhesion\'), '
        '(\'adhesion_information\'), '
        '(\'declaration\')) c (context) WHERE id %% 3 = 0',
        {'today': today})
    for table in ['spsti_visit_request', 'spsti_slot', 'spsti_company_sheet',
            'spsti_dmst', 'spsti_dmst_consultation',
            'spsti_dmst_consultation-spsti_advice_type',
            'spsti_workplace_action', 'spsti_workplace_action-spsti_employee',
            'spsti_work_stoppage', 'web_user', 'spsti_portal_satisfaction']:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        print(f"  {table}: {cursor.fetchone()[0]} rows", flush=True)
    cursor.execute('ANALYZE')


def reference(args):
    """Plain SQL: the distinct employees followed at the end of the window
    (assignment in force at a member then), the denominator of most rates.
    An indicator of employees costs this count and its numerator's."""
    from trytond.transaction import Transaction

    today = dt.date.today()
    with Transaction().start(args.database_name, 0, readonly=True) as t:
        cursor = t.connection.cursor()
        start = time.monotonic()
        cursor.execute(
            'SELECT COUNT(DISTINCT a.employee) FROM spsti_assignment a '
            'JOIN spsti_member m ON m.id = a.member '
            'WHERE a.start_date <= %(today)s '
            'AND (a.end_date IS NULL OR a.end_date >= %(today)s) '
            'AND m.membership_date <= %(today)s '
            'AND (m.strike_off_date IS NULL '
            'OR m.strike_off_date > %(today)s)', {'today': today})
        followed, = cursor.fetchone()
        seconds = time.monotonic() - start
    print(f"\nplain SQL reference: {followed} employees followed, "
        f"{seconds:.2f} s", flush=True)


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
                figure = f"{m.numerator:,.0f} / " + (
                    f"{m.denominator:,.0f}" if m.denominator is not None
                    else '–')
            print(f"  {indicator.code:<33} {seconds:7.2f} s  "
                f"{len(measures):>5} measures  {figure}", flush=True)
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
    print(f"  all indicators: {total:.1f} s, peak RSS {max_rss_mb():.0f} MiB",
        flush=True)


if __name__ == '__main__':
    main()
