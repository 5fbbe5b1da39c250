"""spsti-admin: load the shipped referentials and generate demo data.

    spsti-admin [-c trytond.conf] -d DB referentials
    spsti-admin [-c trytond.conf] -d DB demo [--members N] [--employees M]
"""
import argparse
import os
import sys
import time


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


if __name__ == '__main__':
    sys.exit(main())
