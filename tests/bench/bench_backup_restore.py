#!/usr/bin/env python3
"""Benchmark of the backup and of the restore of a demo-size service.

Prepares a production database as scripts/serve-production does, fills it
with the demo (spsti-admin demo, by default the size scripts/run creates),
then times scripts/backup and scripts/restore into a new database, as an
operator runs them. Prints the size of the database, of the backup, and
the wall and CPU time of each step.

    tests/bench/run_bench.sh bench_backup_restore --members 50 \\
        --employees 800
"""
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib
import psycopg

ROOT = Path(__file__).resolve().parents[2]


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_backup_restore')
    parser.add_argument('--members', type=int, default=50)
    parser.add_argument('--employees', type=int, default=800)
    args = benchlib.parse_args(parser)
    if not args.database_uri.startswith('postgresql'):
        parser.error("the backup scripts work on PostgreSQL")
    args.database_uri = args.database_uri.rstrip('/') + '/'
    return args


def run(command, env, label=None):
    "Run command; print its wall and CPU time when labelled."
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(command, env={**os.environ, **env}, cwd=ROOT,
        capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if result.returncode:
        sys.exit(f"{' '.join(map(str, command))} exited {result.returncode}"
            f":\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime
        + after.ru_stime - before.ru_stime)
    if label:
        print(f"{label}: {elapsed:.1f} s wall, {cpu:.1f} s CPU of the "
            f"scripts (PostgreSQL's own not counted), load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True)
    return elapsed


def database_size(uri, name):
    with psycopg.connect(uri + 'postgres') as conn:
        (size,), = conn.execute(
            'SELECT pg_database_size(%s)', (name,)).fetchall()
    return size


def drop(uri, *names):
    with psycopg.connect(uri + 'postgres', autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main():
    args = parse_args()
    uri, name = args.database_uri, args.database_name
    restored = name + '_restored'
    with tempfile.TemporaryDirectory() as home:
        home = Path(home)
        password = home / 'admin-password'
        password.write_text('Bench-only-password-1\n')
        env = {
            'SPSTI_DATABASE_URI': uri,
            'SPSTI_DB': name,
            'SPSTI_HOME': str(home),
            'SPSTI_ADMIN_PASSWORD_FILE': str(password),
            }
        try:
            run([ROOT / 'scripts' / 'serve-production', '--prepare-only'],
                env, "database created")
            run([ROOT / '.venv' / 'bin' / 'spsti-admin', '-c',
                    home / 'trytond.conf', '-d', name, 'demo',
                    '--members', str(args.members),
                    '--employees', str(args.employees),
                    '--seed', str(args.seed)],
                {'TRYTOND_DATABASE_URI': uri},
                f"demo of {args.members} members, {args.employees} employees")
            print(f"database: {database_size(uri, name) / 2**20:.1f} MiB",
                flush=True)
            backup = home / 'backup'
            run([ROOT / 'scripts' / 'backup', backup], env, "backup")
            size = sum(p.stat().st_size for p in backup.iterdir())
            print(f"backup: {size / 2**20:.1f} MiB", flush=True)
            elapsed = run([ROOT / 'scripts' / 'restore', backup, restored],
                env, "restore")
            print(f"restored database: "
                f"{database_size(uri, restored) / 2**20:.1f} MiB; restore "
                f"of the demo-size database in {elapsed:.1f} s", flush=True)
        finally:
            if not args.keep:
                drop(uri, name, restored)


if __name__ == '__main__':
    main()
