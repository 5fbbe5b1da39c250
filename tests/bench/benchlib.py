"Helpers shared by the benchmarks of tests/bench."
import argparse
import os
import resource
from contextlib import contextmanager


def max_rss_mb():
    "Peak resident memory of this process, in MiB."
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid=None):
    """CPU time (user and system) of this process, or of process pid on
    this machine (e.g. the database backend of a local server); None when
    it cannot be read. On a machine shared with other jobs, it tells the
    work from the wait for a core."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        with open(f'/proc/{pid}/stat') as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except OSError:
        return None
    # utime and stime, fields 14 and 15 of proc(5), in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


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


def _proc_stats():
    "(pid, ppid, session, own CPU, reaped children's CPU) of every process."
    tick = os.sysconf('SC_CLK_TCK')
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as stat:
                # The command name may hold spaces: fields follow its ')'.
                fields = stat.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        ppid, session = int(fields[1]), int(fields[3])
        own = (int(fields[11]) + int(fields[12])) / tick
        children = (int(fields[13]) + int(fields[14])) / tick
        yield int(name), ppid, session, own, children


def session_cpu_seconds(session):
    """CPU time (user + system) used so far by the processes of a session
    (a command started with start_new_session) and their reaped children."""
    return sum(own + children
        for _, _, sid, own, children in _proc_stats() if sid == session)


def postgresql_cpu_seconds(data_dir):
    """CPU time used so far by a PostgreSQL cluster: the postmaster, its
    live backends and those that ended (reaped by the postmaster)."""
    with open(os.path.join(data_dir, 'postmaster.pid')) as pid_file:
        postmaster = int(pid_file.readline())
    total = 0
    for pid, ppid, _, own, children in _proc_stats():
        if pid == postmaster:
            total += own + children
        elif ppid == postmaster:
            total += own
    return total
