#!/usr/bin/env python3
"""Benchmark of the workforce file import (spsti_adherent).

Builds its own database on the given backend (PostgreSQL in practice):
activates spsti_adherent, loads the shipped referentials, creates demo
members with about --establishments establishments, writes a DSN-like CSV
of --lines lines (valid NIRs, PCS-ESE codes, risks, some exits, a few bad
lines) to a temporary file, imports it with a commit per chunk, then imports
it again (nothing must be created), and prints lines/second, seconds and
peak memory.

    tests/bench/run_bench.sh bench_import --lines 100000

or, against a server of your own:

    .venv/bin/python tests/bench/bench_import.py \\
        --database-uri postgresql://user@host:5432/ --lines 100000
"""
import datetime as dt
import os
import random
import sys
import tempfile
import time
import tracemalloc

import benchlib
from benchlib import max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_import')
    parser.add_argument('--lines', type=int, default=100000)
    parser.add_argument('--establishments', type=int, default=2000,
        help="about this many establishments of members")
    parser.add_argument('--chunk-size', type=int, default=500)
    parser.add_argument('--bad-rate', type=float, default=0.005,
        help="share of deliberately wrong lines")
    parser.add_argument('--no-rerun', action='store_true',
        help="skip the second (idempotence) import")
    parser.add_argument('--tracemalloc', action='store_true',
        help="also measure the Python heap peak (slows the import)")
    return benchlib.parse_args(parser)


def nir(rng, sex, birth):
    body = ('1' if sex == 'M' else '2') + f'{birth.year % 100:02d}' \
        + f'{birth.month:02d}' + f'{rng.randint(1, 95):02d}' \
        + f'{rng.randint(1, 990):03d}' + f'{rng.randint(1, 999):03d}'
    return body + f'{97 - int(body) % 97:02d}'


HEADER = ['siret', 'nir', 'last_name', 'usage_name', 'first_name',
    'birth_date', 'sex', 'contract_id', 'contract_type', 'start_date',
    'end_date', 'pcs_code', 'job_title', 'night_work', 'risks']
LAST_NAMES = ['Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard',
    'Durand', 'Dubois', 'Moreau', 'Laurent', 'Simon', 'Michel', 'Lefèvre',
    'Leroy', 'Roux', 'David', 'Bertrand', 'Morel', 'Fournier', 'Girard',
    'Bonnet', 'Dupont', 'Lambert', 'Fontaine', 'Rousseau', 'Vincent',
    'Müller', 'Lefebvre', 'Faure', 'André', 'Mercier', 'Blanc', 'Guérin']
FIRST_NAMES = {
    'F': ['Marie', 'Léa', 'Emma', 'Chloé', 'Inès', 'Camille', 'Sarah',
        'Manon', 'Julie', 'Anne', 'Zoé', 'Louise', 'Jeanne', 'Hélène'],
    'M': ['Lucas', 'Hugo', 'Louis', 'Gabriel', 'Arthur', 'Jules', 'Paul',
        'Nathan', 'Thomas', 'Noé', 'Adam', 'Raphaël', 'Éric', 'Marc'],
    }
CONTRACTS = ['01'] * 14 + ['02'] * 3 + ['03', 'apprentice', 'seasonal',
    'intern']
RISKS = ['ERGO.MANUT', 'ERGO.POSTURE', 'ERGO.ECRAN', 'PHYS.BRUIT',
    'CHIM.ACD', 'CHIM.CMR', 'SECU.CONDUITE', 'SECU.HABELEC', 'PSY.CHARGE',
    'BIO.G2']


def write_csv(path, lines, sirets, jobs, risks, bad_rate, rng):
    """A DSN-like file: one line per contract; ~2 % of the people hold a
    second contract at another establishment, ~10 % of the contracts have
    ended, ~5 % of the lines have no NIR, bad_rate of the lines are wrong."""
    import csv
    risks = [r for r in RISKS if r in risks]
    bad = 0
    with open(path, 'w', encoding='utf-8', newline='') as fp:
        writer = csv.writer(fp, delimiter=';')
        writer.writerow(HEADER)
        written = 0
        while written < lines:
            sex = rng.choice('FM')
            birth = dt.date(rng.randint(1960, 2007), rng.randint(1, 12),
                rng.randint(1, 28))
            person = {
                'nir': nir(rng, sex, birth) if rng.random() > 0.05 else '',
                'last_name': rng.choice(LAST_NAMES),
                'first_name': rng.choice(FIRST_NAMES[sex])
                + f' {rng.choice(FIRST_NAMES[sex])}',
                'birth_date': birth.strftime('%d/%m/%Y'),
                'sex': sex,
                }
            posts = 2 if rng.random() < 0.02 else 1
            for post in range(posts):
                if written >= lines:
                    break
                start = dt.date(2010, 1, 1) + dt.timedelta(
                    days=rng.randint(0, 5600))
                end = (start + dt.timedelta(days=rng.randint(30, 900))
                    if rng.random() < 0.10 else None)
                row = {
                    **person,
                    'siret': rng.choice(sirets),
                    'contract_id': f'{post + 1:05d}',
                    'contract_type': rng.choice(CONTRACTS),
                    'start_date': start.isoformat(),
                    'end_date': end.isoformat() if end else '',
                    'pcs_code': rng.choice(jobs),
                    'job_title': '',
                    'night_work': '1' if rng.random() < 0.08 else '0',
                    'risks': '|'.join(rng.sample(risks, rng.choice(
                                [0, 0, 1, 1, 2, 3]))),
                    }
                if rng.random() < bad_rate:
                    bad += 1
                    fault = rng.choice(['pcs_code', 'birth_date', 'siret'])
                    row[fault] = {
                        'pcs_code': '999z',
                        'birth_date': '31/02/1980',
                        'siret': '00000000000000',
                        }[fault]
                writer.writerow([row.get(h, '') for h in HEADER])
                written += 1
    return bad


def main():
    args = parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_adherent'):
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        with Transaction().start(args.database_name, 0) as transaction:
            from trytond.modules.spsti_base.demo import DemoContext
            from trytond.modules.spsti_base.thesaurus import (
                load_shipped_lists)
            pool = Pool()
            Demo = pool.get('spsti.demo')
            Establishment = pool.get('spsti.establishment')
            Job = pool.get('spsti.job')
            Risk = pool.get('spsti.risk')
            load_shipped_lists()
            # Members have 1.6 establishments on average in the demo.
            ctx = DemoContext(int(args.establishments / 1.6), 0,
                seed=args.seed)
            ctx.company = Demo.generate_company(ctx)
            with transaction.set_context(company=ctx.company.id):
                Demo.generate_organisation(ctx)
                Demo.generate_members(ctx)
            transaction.commit()
            sirets = [e.siret.replace(' ', '')
                for e in Establishment.search([])]
            jobs = [j.code for j in Job.search(
                    [('level', '=', 'profession')])]
            risks = {r.code for r in Risk.search([])}
        print(f"setup: {len(sirets)} establishments, {len(jobs)} PCS-ESE "
            f"professions, {time.monotonic() - started:.0f} s", flush=True)

        fd, path = tempfile.mkstemp(prefix='bench-import-', suffix='.csv')
        os.close(fd)
        try:
            bad = write_csv(path, args.lines, sirets, jobs, risks,
                args.bad_rate, rng)
            size = os.path.getsize(path) / 2 ** 20
            print(f"file: {args.lines} lines, {size:.1f} MiB, {bad} wrong "
                "lines on purpose", flush=True)
            runs = ['first'] if args.no_rerun else ['first', 're-run']
            for run in runs:
                run_import(args, path, run)
        finally:
            os.unlink(path)


def run_import(args, path, run):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    rss_before = max_rss_mb()
    if args.tracemalloc:
        tracemalloc.start()
    with Transaction().start(args.database_name, 0) as transaction:
        Import = Pool().get('spsti.workforce.import')
        profile = None
        if args.profile and run == 'first':
            import cProfile
            profile = cProfile.Profile()
            profile.enable()
        start = time.monotonic()
        report = Import.import_file(path, 'dsn',
            chunk_size=args.chunk_size, commit=True)
        seconds = time.monotonic() - start
        transaction.commit()
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
        # Messages are translated from the database: print them here.
        examples = [str(e) for e in report.errors[:3]]
    heap = None
    if args.tracemalloc:
        heap = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    counts = report.counts()
    print(f"\n{run} import: " + ', '.join(
            f'{k}={v}' for k, v in counts.items()))
    print(f"  {report.lines_read / seconds:,.0f} lines/s, {seconds:.1f} s, "
        f"peak RSS {max_rss_mb():.0f} MiB (before the import "
        f"{rss_before:.0f} MiB)"
        + (f", Python heap peak {heap:.0f} MiB" if heap else ''),
        flush=True)
    for example in examples:
        print(f"  e.g. {example}")
    if run == 're-run' and report.created:
        print("  ERROR: the re-run created records", file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
