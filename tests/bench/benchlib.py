"Helpers shared by the benchmarks of tests/bench."
import argparse
import os
import resource
from contextlib import contextmanager


def max_rss_mb():
    "Peak resident memory of this process, in MiB."
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def argument_parser(doc, name):
    """The parser of a benchmark with the options they all take: the
    backend and a database of its own, a profile of the first run, keeping
    the database, the seed of the generated data."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--database-uri',
        default=os.environ.get('TRYTOND_DATABASE_URI'),
        help="backend URI (default: $TRYTOND_DATABASE_URI)")
    parser.add_argument('--database-name', default=f'{name}_{os.getpid()}')
    parser.add_argument('--profile', metavar='FILE',
        help="write cProfile statistics of the first run to FILE")
    parser.add_argument('--keep', action='store_true',
        help="keep the database afterwards")
    parser.add_argument('--seed', type=int, default=1)
    return parser


def parse_args(parser):
    args = parser.parse_args()
    if not args.database_uri:
        parser.error("--database-uri or TRYTOND_DATABASE_URI is required")
    return args


@contextmanager
def bench_database(args, module, lang='en'):
    """The benchmark's database with module activated (and lang loaded),
    in production mode; dropped at the end unless --keep."""
    # test_tryton reads them when imported.
    os.environ['TRYTOND_DATABASE_URI'] = args.database_uri
    os.environ['DB_NAME'] = args.database_name
    os.environ.pop('DB_CACHE', None)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, drop_db

    print(f"database {args.database_name} on "
        f"{args.database_uri.split('://')[0]}: activating {module}",
        flush=True)
    activate_module(module, lang=lang)
    # test_tryton switched the pool to test mode, where Function fields are
    # validated on every save: measure production behaviour instead.
    Pool.test = False
    try:
        yield
    finally:
        if not args.keep:
            drop_db(args.database_name)
