"""spsti-admin: load the shipped referentials, generate demo data and run
the long batches with a progress bar.

    spsti-admin [-c trytond.conf] -d DB referentials
    spsti-admin [-c trytond.conf] -d DB demo [--members N] [--employees M]
    spsti-admin [-c trytond.conf] -d DB billing-run RUN_ID
    spsti-admin [-c trytond.conf] -d DB due-visits
    spsti-admin [-c trytond.conf] -d DB workforce-import FILE [--kind dsn]

A billing run is started (draft) or resumed (processing): with queue
workers configured ([queue] worker = True) they do the work and the command
follows it; else the command does it. The batches show their progress as a
bar on a terminal, as a line every few seconds otherwise.
"""
import argparse
import os
import sys
import time
from contextlib import contextmanager


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='spsti-admin', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config', dest='configfile', nargs='+',
        default=[os.environ.get('TRYTOND_CONFIG')],
        help="trytond configuration files, later ones win "
        "(default: $TRYTOND_CONFIG)")
    parser.add_argument('-d', '--database', required=True)
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('referentials',
        help="load or refresh the thésaurus and the regulatory rule tables")
    demo = commands.add_parser('demo',
        help="create a demo SPSTI (what exists is kept)")
    demo.add_argument('--members', type=int, default=50)
    demo.add_argument('--employees', type=int, default=800)
    demo.add_argument('--seed', type=int, default=1)
    billing = commands.add_parser('billing-run',
        help="start or resume a billing run (campagne de facturation)")
    billing.add_argument('run', type=int, help="id of the billing run")
    commands.add_parser('due-visits',
        help="compute the due visits of every assignment (échéancier)")
    workforce = commands.add_parser('workforce-import',
        help="import a workforce file (DPAE or DSN entries and exits)")
    workforce.add_argument('file')
    workforce.add_argument('--kind', choices=['dpae', 'dsn'], default='dpae')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from trytond import config
    config.update_etc(args.configfile)

    from trytond.model import ModelSingleton, ModelSQL
    from trytond.pool import Pool

    Pool.start()
    pool = Pool(args.database)
    pool.init()
    start = time.monotonic()
    if args.command in BATCHES:
        with progress_shown(pool):
            lines = BATCHES[args.command](args, pool)
        for line in lines:
            print(line)
        print(f"done in {time.monotonic() - start:.1f} s")
        return 1 if isinstance(lines, FAILED) else 0
    # The demo creates most configuration singletons: lock them at once
    # rather than one retry of the whole demo each.
    lock_tables = [model._table for _, model in pool.iterobject()
        if issubclass(model, ModelSingleton) and issubclass(model, ModelSQL)]
    lines = run_in_transaction(args.database,
        lambda: run_command(args, pool), context={'language': 'fr'},
        _lock_tables=lock_tables)
    for line in lines:
        print(line)
    print(f"done in {time.monotonic() - start:.1f} s")


def run_in_transaction(database, func, context=None, **extras):
    """func() in a transaction of database, committed at the end. Like
    trytond-admin, a transaction that meets a table it must lock starts
    again with the lock taken first."""
    from trytond.transaction import Transaction, TransactionError
    while True:
        with Transaction().start(database, 0, context=context,
                **extras) as transaction:
            try:
                return func()
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)


def run_command(args, pool):
    "Load the referentials or the demo; returns the lines to print."
    if args.command == 'referentials':
        from .thesaurus import load_shipped_lists
        return [str(r) for r in load_shipped_lists()]
    from .demo import DemoContext
    ctx = DemoContext(args.members, args.employees, args.seed)
    pool.get('spsti.demo').generate(ctx)
    return ctx.report or ["nothing to add: demo data already there"]


class FAILED(list):
    "The lines of a batch that failed (the command exits 1)."


class ProgressDisplay:
    """Shows the progress of the batches: a tqdm bar on a terminal, a
    plain line at most every few seconds otherwise (logs, cron mails)."""
    every = 5

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.bars = {}
        self.printed = {}

    def __call__(self, batch):
        done, total = batch.done or 0, batch.total
        if self.tty:
            from tqdm import tqdm
            bar = self.bars.get(batch.id)
            if bar is None:
                bar = self.bars[batch.id] = tqdm(desc=batch.name,
                    total=total, file=self.stream, unit=' él.')
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)
            return
        now = time.monotonic()
        if (now - self.printed.get(batch.id, 0) < self.every
                and (total is None or done < total)):
            return
        self.printed[batch.id] = now
        share = f" ({100 * done // total} %)" if total else ""
        print(f"{batch.name}: {done}/{total if total is not None else '?'}"
            f"{share}", file=self.stream, flush=True)

    def close(self):
        for bar in self.bars.values():
            bar.close()


@contextmanager
def progress_shown(pool):
    "Show the progress of the batches run or followed by this process."
    Batch = pool.get('spsti.batch')
    display = ProgressDisplay()
    Batch.observers.append(display)
    try:
        yield display
    finally:
        Batch.observers.remove(display)
        display.close()


def run_billing(args, pool):
    """Start or resume the run; do its queued tasks here unless queue
    workers are configured, in which case follow them."""
    from trytond import config
    from trytond.transaction import Transaction
    from trytond.worker import run_task
    Run = pool.get('spsti.billing.run')
    with Transaction().start(args.database, 0) as transaction:
        run = Run(args.run)
        with transaction.set_context(company=run.company.id):
            if run.state == 'draft':
                Run.start([run])
            else:
                Run.resume([run])
        tasks = list(transaction.tasks)
        transaction.tasks.clear()
        transaction.commit()
    if config.getboolean('queue', 'worker', default=False):
        batch = follow(args.database, pool, run)
    else:
        for task_id in tasks:
            run_task(pool, task_id)
        batch = last_batch(args.database, pool, run)
    return batch_lines(batch)


def last_batch(database, pool, origin):
    from trytond.transaction import Transaction
    Batch = pool.get('spsti.batch')
    with Transaction().start(database, 0, readonly=True):
        batches = Batch.search([('origin', '=', str(origin))], limit=1)
        return batches[0].id if batches else None


def follow(database, pool, origin, interval=1):
    "Poll the batch of origin, showing its progress, until it ends."
    from trytond.transaction import Transaction
    Batch = pool.get('spsti.batch')
    batch_id = last_batch(database, pool, origin)
    while batch_id:
        with Transaction().start(database, 0, readonly=True):
            batch = Batch(batch_id)
            batch._notify_observers()
            if batch.state in {'done', 'failed'}:
                break
        time.sleep(interval)
    return batch_id


def batch_lines(batch_id):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    if not batch_id:
        return ["nothing to do"]
    pool = Pool()
    with Transaction().start(pool.database_name, 0, readonly=True):
        batch = pool.get('spsti.batch')(batch_id)
        lines = [f"{batch.name}: {batch.state}, {batch.done}/{batch.total}"]
        lines += [l for l in (batch.summary, batch.error) if l]
        return FAILED(lines) if batch.state != 'done' else lines


def run_due_visits(args, pool):
    "The nightly recompute of the due visits, in one transaction."
    from trytond.transaction import Transaction
    VisitRequest = pool.get('spsti.visit.request')
    with Transaction().start(args.database, 0) as transaction:
        count = VisitRequest.compute_all_due_visits()
        transaction.commit()
    return [f"{count} assignments"]


def run_workforce_import(args, pool):
    """Import a file as the import button does (committing every chunk: a
    rerun after a stop resumes)."""
    from trytond.transaction import Transaction
    Import = pool.get('spsti.workforce.import')
    with open(args.file, 'rb') as file:
        data = file.read()
    with Transaction().start(args.database, 0) as transaction:
        record, = Import.create([{'file': data, 'kind': args.kind,
                    'filename': os.path.basename(args.file)}])
        transaction.commit()
        Import.run_import([record], commit=True)
        transaction.commit()
    return batch_lines(last_batch(args.database, pool, record))


BATCHES = {
    'billing-run': run_billing,
    'due-visits': run_due_visits,
    'workforce-import': run_workforce_import,
    }


if __name__ == '__main__':
    sys.exit(main())
