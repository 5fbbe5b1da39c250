#!/usr/bin/env python3
"""Benchmark of the yearly call shared by queue workers (trytond-worker).

Builds the population of bench_billing (--members members, about
--employees declared workers), then bills the same yearly call with each
count of --workers trytond-worker processes in turn: the run is started as
the Start button does (its members queued in tasks of --task-members), the
workers bill them, the run ends when the last task counts its members. The
invoices of a pass are deleted before the next one. Prints, per count of
workers, the wall time from Start to the end of the run and the rate in
steady state (from 10 % of the members billed to the end, once every
worker has loaded the modules), and the CPU time the workers and the
PostgreSQL cluster used in the pass: on a shared machine, a second worker
gains only what the cores left free allow.

    tests/bench/run_bench.sh bench_billing_workers --members 5000 \\
        --employees 75000 --workers 1 2
"""
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib
from bench_billing import copy_members, setup_template

ROOT = Path(__file__).resolve().parents[2]


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_billing_workers')
    parser.add_argument('--members', type=int, default=5000)
    parser.add_argument('--employees', type=int, default=75000)
    parser.add_argument('--template-members', type=int, default=100)
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--task-members', type=int, default=250)
    args = benchlib.parse_args(parser)
    if not args.database_uri.startswith('postgresql'):
        parser.error("queue workers need PostgreSQL")
    return args


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_facturation'):
        from trytond import config
        year = setup_template(args)
        copy_members(args, year)
        print(f"setup: {time.monotonic() - started:.0f} s", flush=True)
        # Tasks go to the queue (the workers), as in production.
        config.set('queue', 'worker', 'True')
        if not config.has_section('spsti'):
            config.add_section('spsti')
        config.set('spsti', 'billing_task_members', str(args.task_members))
        with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
            conf.write("[queue]\nworker = True\n")
            conf.flush()
            rates = {}
            for count in args.workers:
                run_id = new_run(args, year)
                rates[count] = bill_with_workers(args, run_id, count,
                    conf.name)
                delete_run(args, run_id)
        base = rates[args.workers[0]]
        for count, rate in rates.items():
            print(f"{count} worker(s): {rate:,.1f} members/s in steady "
                f"state, {rate / base:.2f}x", flush=True)


def new_run(args, year):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(args.database_name, 0) as transaction:
        pool = Pool()
        Run = pool.get('spsti.billing.run')
        Scale = pool.get('spsti.contribution.scale')
        scale, = Scale.search([('year', '=', year)])
        run, = Run.create([{
                    'company': scale.company.id,
                    'year': year,
                    'kind': 'call',
                    'period': '01',
                    'scale': scale.id,
                    'invoice_date': dt.date(year, 2, 1),
                    }])
        transaction.commit()
        return run.id


def bill_with_workers(args, run_id, count, conf):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    log = open(f'/tmp/bench_billing_workers_{os.getpid()}_{count}.log',
        'wb')
    pg_data = os.path.join(os.environ['PG_DIR'], 'data')
    pg_cpu = benchlib.postgresql_cpu_seconds(pg_data)
    workers = [subprocess.Popen([str(ROOT / '.venv' / 'bin' /
                    'trytond-worker'), '-c', conf, '-d',
                args.database_name, '-n', '1'],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(count)]
    try:
        with Transaction().start(args.database_name, 0) as transaction:
            pool = Pool()
            Run = pool.get('spsti.billing.run')
            Batch = pool.get('spsti.batch')
            run = Run(run_id)
            with transaction.set_context(company=run.company.id):
                Run.start([run])
            transaction.commit()
            start = time.monotonic()
            steady = None
            while True:
                time.sleep(0.2)
                transaction.rollback()
                batch, = Batch.search([('origin', '=', str(run))])
                if steady is None and batch.done >= batch.total / 10:
                    steady = (time.monotonic(), batch.done)
                if Run(run_id).state == 'done':
                    break
                if batch.state == 'failed':
                    sys.exit(f"the run failed: {batch.error}")
                if time.monotonic() - start > 3600:
                    sys.exit("the run did not end within an hour")
            end = time.monotonic()
            total = batch.total
            invoices = Run(run_id).invoice_count
            workers_cpu = sum(benchlib.session_cpu_seconds(w.pid)
                for w in workers)
            pg_cpu = benchlib.postgresql_cpu_seconds(pg_data) - pg_cpu
            load = os.getloadavg()[0]
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        log.close()
    rate = (total - steady[1]) / (end - steady[0])
    print(f"\n{count} worker(s): {invoices} invoices for {total} members in "
        f"{end - start:.1f} s from Start (workers loading included), "
        f"{rate:,.1f} members/s in steady state; CPU: workers "
        f"{workers_cpu:.1f} s, PostgreSQL {pg_cpu:.1f} s; load average "
        f"{load:.1f} on {os.cpu_count()} cores", flush=True)
    return rate


def delete_run(args, run_id):
    "Delete the invoices and the run, as if never billed."
    from trytond.transaction import Transaction
    with Transaction().start(args.database_name, 0) as transaction:
        cursor = transaction.connection.cursor()
        invoices = ('SELECT id FROM account_invoice '
            'WHERE spsti_billing_run = %s')
        lines = ('SELECT id FROM account_invoice_line '
            f'WHERE invoice IN ({invoices})')
        for query in [
                'DELETE FROM "account_invoice_line-account_tax" '
                f'WHERE line IN ({lines})',
                f'DELETE FROM account_invoice_line WHERE id IN ({lines})',
                'DELETE FROM account_invoice_tax '
                f'WHERE invoice IN ({invoices})',
                'DELETE FROM account_invoice WHERE spsti_billing_run = %s',
                "DELETE FROM spsti_batch WHERE origin = "
                "'spsti.billing.run,' || %s",
                'DELETE FROM spsti_billing_run WHERE id = %s']:
            cursor.execute(query, (run_id,))
        transaction.commit()


if __name__ == '__main__':
    main()
