#!/usr/bin/env python3
"""Benchmark of the nightly due-visit computation (spsti_planning).

Builds its own PostgreSQL database: activates spsti_planning, loads the
shipped referentials and generates, with the ORM demo generator, a template
workforce of --template-assignments job assignments (members, employees,
exposures and follow-up categories, the visits done and the work stoppages
of their history); then multiplies the template's people by plain SQL
(employees, assignments, exposures, specific visits, visits done and
stoppages copied with fresh ids) until --assignments assignments. Each copy
of a person moves all its dates back by a number of days of its own (up to
a year) and each copy leaves out some people, exposures, visits and
stoppages, so that the copies differ in what falls due and when. The
template's open requests are removed: the first measured run creates them.

Then reads, as a baseline, the rows the engine reads (assignments in force
with their employee, exposures and specific visits, the visits done and
stoppages of their employees, the open requests of the engine) with plain
SQL; runs the échéancier on all of them (compute_all_due_visits, a commit
at the end) twice: the first run creates the visit requests, the second
must change nothing. Prints assignments/second, seconds, peak memory and
the CPU time of the process and of its database backend (on a machine
shared with other jobs, the rest is waiting for a core) of each run, and
its ratio to the baseline.

    tests/bench/run_bench.sh bench_due_visits --assignments 300000

or, against a server of your own:

    .venv/bin/python tests/bench/bench_due_visits.py \\
        --database-uri postgresql://user@host:5432/ --assignments 300000
"""
import datetime as dt
import math
import sys
import time
import tracemalloc

import benchlib
from benchlib import cpu_seconds, max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_due_visits')
    parser.add_argument('--assignments', type=int, default=300000)
    parser.add_argument('--template-assignments', type=int, default=10000,
        help="assignments generated with the ORM, then copied")
    parser.add_argument('--chunk-size', type=int, default=2000)
    parser.add_argument('--no-rerun', action='store_true',
        help="skip the second (idempotence) run")
    parser.add_argument('--tracemalloc', action='store_true',
        help="also measure the Python heap peak (slows the run)")
    args = benchlib.parse_args(parser)
    if not args.database_uri.startswith('postgresql'):
        parser.error("the copy of the workforce is written for PostgreSQL")
    return args


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_planning'):
        print(f"activated: {time.monotonic() - started:.0f} s", flush=True)
        setup_template(args)
        print(f"template: {time.monotonic() - started:.0f} s", flush=True)
        copy_workforce(args)
        print(f"setup: {time.monotonic() - started:.0f} s", flush=True)
        reference = baseline(args)
        runs = ['first'] if args.no_rerun else ['first', 're-run']
        for run in runs:
            seconds = run_engine(args, run)
            print(f"  the run takes {seconds / reference:.0f}x the time of "
                "the plain-SQL baseline", flush=True)


def setup_template(args):
    "The demo organisation, members and template workforce with history."
    from trytond.modules.spsti_base.commandline import run_in_transaction

    # Singletons and sequences lock their table: retried with the lock.
    run_in_transaction(args.database_name, lambda: build_template(args))


def build_template(args):
    from trytond.modules.spsti_base.demo import DemoContext
    from trytond.modules.spsti_base.thesaurus import load_shipped_lists
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    transaction = Transaction()
    Demo = Pool().get('spsti.demo')
    load_shipped_lists()
    # The demo gives about 1 % of the people a second post.
    employees = max(1, round(args.template_assignments / 1.01))
    ctx = DemoContext(max(1, employees // 20), employees, seed=args.seed)
    ctx.company = Demo.generate_company(ctx)
    with transaction.set_context(company=ctx.company.id):
        Demo.generate_organisation(ctx)
        Demo.generate_members(ctx)
        Demo.generate_workforce(ctx)
        Demo.generate_visit_history(ctx)
    # The declared stoppages computed what is due for their employees.
    cursor = transaction.connection.cursor()
    cursor.execute(
        "DELETE FROM spsti_visit_request WHERE state != 'done'")
    for line in ctx.report:
        print(line, flush=True)


# The copied tables, parents first: (table, (column, mapped table) whose
# copies its rows follow, the other references to copied tables, the date
# columns moved back, the columns emptied).
COPIES = [
    ('spsti_employee', None, {}, ['birth_date'], ['nir', 'ins']),
    ('spsti_assignment', ('employee', 'spsti_employee'), {},
        ['start_date', 'end_date', 'category_date', 'override_date'],
        ['external_key']),
    ('spsti_assignment_exposure', ('assignment', 'spsti_assignment'), {},
        ['start_date', 'end_date'], []),
    ('spsti_assignment-spsti_visit_type', ('assignment', 'spsti_assignment'),
        {}, [], []),
    ('spsti_visit_request', ('assignment', 'spsti_assignment'),
        {'employee': 'spsti_employee'},
        ['request_date', 'earliest_date', 'due_date', 'due_date_override',
            'done_date'], []),
    ('spsti_work_stoppage', ('employee', 'spsti_employee'), {},
        ['start_date', 'end_date'], []),
    ]
# Per mille of the template rows each copy leaves out.
DROPPED = {
    'spsti_employee': 80,
    'spsti_assignment_exposure': 100,
    'spsti_visit_request': 100,
    'spsti_work_stoppage': 100,
    }


def copy_workforce(args):
    """Copy the template's people round after round until --assignments:
    each table's rows get fresh ids through a mapping table (with the days
    the dates of the person move back), the references follow it."""
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0) as transaction:
        cursor = transaction.connection.cursor()
        originals, columns = {}, {}
        for table, *_ in COPIES:
            cursor.execute(f'SELECT id FROM "{table}" ORDER BY id')
            originals[table] = [i for i, in cursor]
            cursor.execute(
                'SELECT column_name FROM information_schema.columns '
                'WHERE table_name = %s AND column_name != %s '
                'ORDER BY ordinal_position', (table, 'id'))
            columns[table] = [c for c, in cursor]
        per_employee = (len(originals['spsti_assignment'])
            / len(originals['spsti_employee']))
        count, round_ = len(originals['spsti_assignment']), 0
        while count < args.assignments:
            round_ += 1
            people = math.ceil((args.assignments - count) / per_employee)
            for table, parent, references, dates, emptied in COPIES:
                dropped = (f"abs(hashtext(t.id || '-{round_}')) %% 1000 "
                    f"< {DROPPED.get(table, 0)}")
                if parent:
                    column, mapped = parent
                    cursor.execute(f'CREATE TEMP TABLE "map_{table}" '
                        'ON COMMIT DROP AS '
                        f"SELECT t.id AS old, nextval('\"{table}_id_seq\"') "
                        'AS new, p.shift '
                        f'FROM "{table}" t JOIN "map_{mapped}" p '
                        f'ON p.old = t."{column}" '
                        f'WHERE t.id = ANY(%s) AND NOT {dropped}',
                        (originals[table],))
                    references = {**references, column: mapped}
                else:
                    cursor.execute(f'CREATE TEMP TABLE "map_{table}" '
                        'ON COMMIT DROP AS '
                        f"SELECT t.id AS old, nextval('\"{table}_id_seq\"') "
                        'AS new, '
                        f"abs(hashtext(t.id || '+{round_}')) %% 366 AS shift "
                        f'FROM "{table}" t '
                        f'WHERE t.id = ANY(%s) AND NOT {dropped} '
                        'ORDER BY t.id LIMIT %s',
                        (originals[table], people))
                values, joins = [], []
                for name in columns[table]:
                    if name in references:
                        joins.append(f'LEFT JOIN "map_{references[name]}" '
                            f'"r_{name}" ON "r_{name}".old = t."{name}"')
                        values.append(f'"r_{name}".new')
                    elif name in dates:
                        values.append(f't."{name}" - m.shift')
                    elif name in emptied:
                        values.append('NULL')
                    else:
                        values.append(f't."{name}"')
                names = ', '.join(f'"{n}"' for n in columns[table])
                cursor.execute(f'INSERT INTO "{table}" (id, {names}) '
                    f'SELECT m.new, {", ".join(values)} FROM "{table}" t '
                    f'JOIN "map_{table}" m ON m.old = t.id '
                    + ' '.join(joins))
                if table == 'spsti_assignment':
                    count += cursor.rowcount
            transaction.commit()
        cursor.execute('ANALYZE')
        counts = {}
        for table, *_ in COPIES:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table], = cursor.fetchone()
        cursor.execute('SELECT count(*) FROM spsti_assignment '
            'WHERE end_date IS NULL OR end_date >= %s', (dt.date.today(),))
        in_force, = cursor.fetchone()
    print(f"{round_} copies of the template: "
        f"{counts['spsti_employee']} employees, "
        f"{counts['spsti_assignment']} assignments ({in_force} in force "
        "or future), "
        f"{counts['spsti_assignment_exposure']} exposures, "
        f"{counts['spsti_visit_request']} visits done, "
        f"{counts['spsti_work_stoppage']} work stoppages", flush=True)


# The assignments the engine computes on a first run: in force or future.
IN_FORCE = 'SELECT id FROM spsti_assignment WHERE end_date IS NULL ' \
    'OR end_date >= %(today)s'
# The rows it reads for them, in a few queries as it does.
BASELINE = [
    'SELECT a.id, a.employee, a.member, a.job, a.start_date, a.end_date, '
    'COALESCE(a.category_override, a.category), a.contract_type, '
    'a.night_work, a.disabled_worker, a.invalidity_pension, a.pregnancy, '
    'e.birth_date, x.risk, x.start_date, x.end_date '
    'FROM spsti_assignment a '
    'JOIN spsti_employee e ON e.id = a.employee '
    'LEFT JOIN spsti_assignment_exposure x ON x.assignment = a.id '
    f'WHERE a.id IN ({IN_FORCE}) ORDER BY a.employee, a.id',
    'SELECT s.assignment, s.visit_type '
    'FROM "spsti_assignment-spsti_visit_type" s '
    f'WHERE s.assignment IN ({IN_FORCE})',
    'SELECT r.employee, r.done_date, r.visit_type, r.assignment, a.job, '
    'r.outcome FROM spsti_visit_request r '
    'JOIN spsti_assignment a ON a.id = r.assignment '
    "WHERE r.state = 'done' AND r.done_date IS NOT NULL "
    'AND r.employee IN (SELECT employee FROM spsti_assignment '
    f'WHERE id IN ({IN_FORCE}))',
    'SELECT s.employee, s.member, s.kind, s.start_date, s.end_date '
    'FROM spsti_work_stoppage s '
    'WHERE s.employee IN (SELECT employee FROM spsti_assignment '
    f'WHERE id IN ({IN_FORCE}))',
    'SELECT r.id, r.assignment, r.visit_type, r.state, r.due_date, '
    'r.earliest_date, r.rule, r.reason, r.priority '
    "FROM spsti_visit_request r WHERE r.origin = 'engine' "
    "AND r.state IN ('to_plan', 'planned') "
    f'AND r.assignment IN ({IN_FORCE})',
    ]


def baseline(args):
    """Plain SQL: the rows the engine reads for the assignments in force
    (see BASELINE), without computing anything. Returns the seconds."""
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0, readonly=True) as t:
        cursor = t.connection.cursor()
        cursor.execute('SELECT pg_backend_pid()')
        backend, = cursor.fetchone()
        cpu, backend_cpu = cpu_seconds(), cpu_seconds(backend)
        start = time.monotonic()
        rows = 0
        for query in BASELINE:
            cursor.execute(query, {'today': dt.date.today()})
            rows += sum(1 for _ in cursor)
        seconds = time.monotonic() - start
        cpu = cpu_seconds() - cpu
        if backend_cpu is not None:
            backend_cpu = cpu_seconds(backend) - backend_cpu
    print(f"\nplain SQL baseline: {rows} rows in {seconds:.2f} s, "
        f"{rows / seconds:,.0f} rows/s", flush=True)
    print(f"  CPU: Python {cpu:.1f} s"
        + (f", database backend {backend_cpu:.1f} s"
            if backend_cpu is not None else ''), flush=True)
    return seconds


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
        cursor = transaction.connection.cursor()
        cursor.execute('SELECT pg_backend_pid()')
        backend, = cursor.fetchone()
        cpu, backend_cpu = cpu_seconds(), cpu_seconds(backend)
        start = time.monotonic()
        count = VisitRequest.compute_all_due_visits(chunk=args.chunk_size)
        transaction.commit()
        seconds = time.monotonic() - start
        cpu = cpu_seconds() - cpu
        if backend_cpu is not None:
            backend_cpu = cpu_seconds(backend) - backend_cpu
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
    print(f"  CPU: Python {cpu:.1f} s"
        + (f", database backend {backend_cpu:.1f} s"
            if backend_cpu is not None else ''), flush=True)
    if run == 're-run' and created:
        print("  ERROR: the re-run created requests", file=sys.stderr)
        sys.exit(1)
    return seconds


if __name__ == '__main__':
    main()
