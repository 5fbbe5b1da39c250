#!/usr/bin/env python3
"""Benchmark of the employer portal under load (spsti_portal).

Builds its own database on the given backend (PostgreSQL in practice):
activates spsti_portal in French, loads the shipped referentials, creates
--members members of --employees employees each (job assignments with
their exposures and follow-up categories, the échéancier computed) and the
administrator's portal account of each member. Serves it the way
scripts/serve-production does: gunicorn with --workers synchronous WSGI
workers of trytond's application, in production mode, on 127.0.0.1. A
second process then drives --sessions concurrent sessions, each signed in
as the administrator of a member, browsing for --duration seconds (after
--warm-up seconds not counted): the employees list (first page, another
page, a search by name), the exposures of a post, the visit requests, the
member's home. Prints requests/second, p50/p95/p99 latency overall and
per page, and the errors.

    tests/bench/run_bench.sh bench_portal --members 25 --employees 500 \\
        --sessions 50 --workers 4 --duration 60
"""
import multiprocessing
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = 'Bench-Portail-2026!'
# What a session does, with its weight.
PAGES = [
    ('employees', 30), ('employees_page', 20), ('employees_search', 15),
    ('exposures', 15), ('visits', 10), ('home', 10),
    ]


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_portal')
    parser.add_argument('--members', type=int, default=25)
    parser.add_argument('--employees', type=int, default=500,
        help="employees of each member")
    parser.add_argument('--sessions', type=int, default=50,
        help="concurrent signed-in sessions")
    parser.add_argument('--workers', type=int, default=4,
        help="gunicorn WSGI workers")
    parser.add_argument('--duration', type=float, default=60,
        help="seconds of measured load")
    parser.add_argument('--warm-up', type=float, default=10,
        help="seconds of load before the measure")
    return benchlib.parse_args(parser)


def email(index):
    return f'admin{index}@bench.example.org'


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_portal', lang='fr'):
        members = build(args)
        print(f"setup: {members} members of {args.employees} employees, "
            f"{time.monotonic() - started:.0f} s", flush=True)
        with serve(args) as url:
            results = load(args, url, members)
    report(args, results)


def build(args):
    """The members, their workforce and échéancier, and the portal
    accounts (kept from a previous run with --keep and the same
    --database-name); returns the number of members."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0) as transaction:
        from trytond.modules.spsti_adherent.demo import RISK_RATES
        from trytond.modules.spsti_base.demo import DemoContext
        from trytond.modules.spsti_base.thesaurus import load_shipped_lists
        pool = Pool()
        Demo = pool.get('spsti.demo')
        Member = pool.get('spsti.member')
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        Job = pool.get('spsti.job')
        Risk = pool.get('spsti.risk')
        VisitRequest = pool.get('spsti.visit.request')
        User = pool.get('web.user')
        Access = pool.get('spsti.portal.member_access')
        accounts = User.search_count([('email', 'like', email('%'))])
        if accounts:
            print(f"reusing the {accounts} members of the database",
                flush=True)
            return accounts
        load_shipped_lists()
        ctx = DemoContext(args.members, args.members * args.employees,
            seed=args.seed)
        ctx.company = Demo.generate_company(ctx)
        with transaction.set_context(company=ctx.company.id):
            Demo.generate_organisation(ctx)
            Demo.generate_members(ctx)
            transaction.commit()
            rng = ctx.rng
            jobs = [(j.id, j.name[:60])
                for j in Job.search([('level', '=', 'profession')])]
            risks = {r.code: r.id for r in Risk.search(
                    [('code', 'in', list(RISK_RATES))])}
            members = Member.search([], order=[('id', 'ASC')])
            # One member at a time: 500 people and their posts.
            for member in members:
                establishments = [e.id for e in member.establishments]
                employees = Employee.create([Demo._demo_person(ctx)
                        for _ in range(args.employees)])
                values = []
                for employee in employees:
                    job, title = rng.choice(jobs)
                    start = ctx.fake.date_between('-15y', '-1m')
                    values.append({
                            'employee': employee.id,
                            'member': member.id,
                            'establishment': rng.choice(establishments),
                            'job': job,
                            'job_title': title,
                            'contract_type': 'cdi',
                            'start_date': start,
                            'source': 'dsn',
                            'exposures': [('create', [{
                                            'risk': risks[code],
                                            'source': 'employer',
                                            'start_date': start,
                                            } for code, rate
                                        in RISK_RATES.items()
                                        if rng.random() < rate])],
                            })
                Assignment.create(values)
                transaction.commit()
            VisitRequest.compute_all_due_visits()
            users = User.create([{'email': email(i), 'password': PASSWORD}
                    for i in range(len(members))])
            Access.create([{'web_user': u.id, 'member': m.id,
                        'administrator': True}
                    for u, m in zip(users, members)])
        transaction.commit()
        return len(members)


class serve:
    "gunicorn serving trytond's application as scripts/serve-production."

    def __init__(self, args):
        self.args = args
        self.folder = tempfile.TemporaryDirectory(prefix='bench_portal')

    def __enter__(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        folder = Path(self.folder.name)
        (folder / 'filestore').mkdir()
        conf = folder / 'trytond.conf'
        # The cookies of a local HTTP bench cannot be Secure (production
        # serves HTTPS).
        conf.write_text(f"""[database]
path = {folder / 'filestore'}
language = fr
[web]
listen = 127.0.0.1:{port}
[session]
timeout = 3600
web_timeout = 7200
[spsti_portal]
secure_cookie = False
""")
        env = dict(os.environ, TRYTOND_CONFIG=str(conf),
            TRYTOND_DATABASE_URI=self.args.database_uri,
            TRYTOND_DATABASE_NAMES=self.args.database_name,
            PYTHONOPTIMIZE='1')
        env.pop('DB_NAME', None)
        self.log = open(folder / 'web.log', 'wb')
        self.process = subprocess.Popen([
                str(Path(sys.executable).parent / 'gunicorn'),
                '--workers', str(self.args.workers),
                '--bind', f'127.0.0.1:{port}', '--timeout', '300',
                'trytond.application:app'],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        url = f'http://127.0.0.1:{port}/{self.args.database_name}/portal'
        import requests
        deadline = time.monotonic() + 300
        while True:
            if self.process.poll() is not None:
                sys.exit("gunicorn stopped:\n"
                    + (folder / 'web.log').read_text()[-3000:])
            try:
                if requests.get(url + '/login', timeout=30).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                sys.exit("the portal did not answer in time")
            time.sleep(1)
        print(f"serving {url} with {self.args.workers} gunicorn workers",
            flush=True)
        return url

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()
        self.folder.cleanup()


def load(args, url, members):
    "Run the sessions in a process of their own; returns their samples."
    context = multiprocessing.get_context('spawn')
    queue = context.Queue()
    process = context.Process(target=drive, args=(url, members,
            args.sessions, args.warm_up, args.duration, args.seed, queue))
    process.start()
    results = queue.get()
    process.join()
    return results


def drive(url, members, sessions, warm_up, duration, seed, queue):
    """sessions threads, each signed in as the administrator of a member,
    browse until the end of the warm-up and the duration; puts the samples
    measured after the warm-up: (page, seconds, status)."""
    import requests

    start = time.monotonic()
    measure_from = start + warm_up
    end = measure_from + duration
    samples, errors = [], []
    lock = threading.Lock()

    def session(index):
        rng = random.Random(seed * 1000 + index)
        http = requests.Session()
        member_id = None
        try:
            http.get(url + '/login', timeout=60)
            response = http.post(url + '/login', data={
                    'email': email(index % members), 'action': 'password',
                    'password': PASSWORD,
                    'csrf_token': http.cookies['spsti_portal_csrf']},
                timeout=60)
            member_id = re.search(r'/m/(\d+)/', response.url).group(1)
        except Exception as e:
            with lock:
                errors.append(f"sign-in {index}: {e!r}")
            return
        base = f'{url}/m/{member_id}'
        names, posts = [], []
        pages = [p for p, _ in PAGES]
        weights = [w for _, w in PAGES]
        while time.monotonic() < end:
            page = rng.choices(pages, weights)[0]
            if page == 'employees':
                target = base + '/employees'
            elif page == 'employees_page':
                target = base + f'/employees?page={rng.randint(2, 10)}'
            elif page == 'employees_search':
                target = base + '/employees?q=' + (
                    rng.choice(names)[:4] if names else 'a')
            elif page == 'exposures':
                target = base + (f'/employees/{rng.choice(posts)}/exposures'
                    if posts else '/employees')
            elif page == 'visits':
                target = base + '/visits'
            else:
                target = base + '/'
            before = time.monotonic()
            try:
                response = http.get(target, timeout=300,
                    allow_redirects=False)
                status = response.status_code
            except requests.RequestException as e:
                status = repr(e)
            after = time.monotonic()
            if page.startswith('employees') and status == 200:
                posts = re.findall(r'/employees/(\d+)/exposures',
                    response.text) or posts
                names = re.findall(r'<tr><td>([^<]+)</td>',
                    response.text) or names
            if before >= measure_from and after <= end:
                with lock:
                    samples.append((page, after - before, status))

    threads = [threading.Thread(target=session, args=(i,))
        for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put({'samples': samples, 'errors': errors,
            'duration': duration})


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def report(args, results):
    samples = results['samples']
    print(f"\n{args.sessions} sessions, {args.workers} gunicorn workers, "
        f"{args.members} members of {args.employees} employees, "
        f"{results['duration']:.0f} s measured on "
        f"{args.database_uri.split('://')[0]}")
    for error in results['errors']:
        print(f"  ERROR {error}", file=sys.stderr)
    if not samples:
        sys.exit("no request measured")
    errors = [s for s in samples if s[2] != 200]
    print(f"{len(samples)} requests, "
        f"{len(samples) / results['duration']:.1f} requests/s, "
        f"{len(errors)} errors")
    rows = [('all', [s[1] for s in samples])] + [
        (page, [s[1] for s in samples if s[0] == page]) for page, _ in PAGES]
    print(f"  {'page':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'mean ms':>9}")
    for page, times in rows:
        if times:
            print(f"  {page:<18}{len(times):>7}"
                f"{percentile(times, 50) * 1000:>9.0f}"
                f"{percentile(times, 95) * 1000:>9.0f}"
                f"{percentile(times, 99) * 1000:>9.0f}"
                f"{statistics.mean(times) * 1000:>9.0f}")
    for status in sorted({str(s[2]) for s in errors}):
        print(f"  status {status}: "
            f"{sum(1 for s in errors if str(s[2]) == status)}")
    if errors or results['errors']:
        sys.exit(1)


if __name__ == '__main__':
    main()
