"""Fault tests of the production processes on PostgreSQL (127.0.0.1):

- a queue worker (trytond-worker) killed with SIGKILL in the middle of a
  billing run, then of a workforce import: a new worker and a rerun finish
  the work with nothing billed or imported twice and nothing missing;
- two server processes (trytond) booking the same slot at the same moment
  over JSON-RPC: one books it, the other gets the translated error.

The batches are started as a user does (the buttons' methods, in this
process, committed); the workers are separate processes, as in
scripts/serve-production."""
import base64
import datetime as dt
import os
import signal
import subprocess
import threading
from contextlib import contextmanager
from decimal import Decimal

import pytest
import requests

from .conftest import ROOT, query, server, wait_for

# Bounds of each wait: the data are small, these only stop a hung test.
TIMEOUT = 240
IMPORT_LINES = 3000


@pytest.fixture(scope='module')
def erp(production):
    "trytond in this process on the production database: (pool, admin id)."
    os.environ['TRYTOND_DATABASE_URI'] = production['uri'] + '/'
    from trytond import config
    config.update_etc(str(production['home'] / 'trytond.conf'))
    # Billing runs in tasks of 2 members: several tasks for the small demo.
    if not config.has_section('spsti'):
        config.add_section('spsti')
    config.set('spsti', 'billing_task_members', '2')
    from trytond.pool import Pool
    Pool.start()
    pool = Pool(production['db'])
    pool.init()
    (admin,), = query(production['uri'], production['db'],
        "SELECT id FROM res_user WHERE login = 'admin'")
    return pool, admin


@contextmanager
def transaction_as(erp, production, **context):
    "A committed transaction of the administrator, in French."
    from trytond.transaction import Transaction
    _, admin = erp
    with Transaction().start(production['db'], admin,
            context=dict(context, language='fr')) as transaction:
        yield transaction
        transaction.commit()


@contextmanager
def worker(production, name):
    "A trytond-worker process (one worker) as serve-production starts it."
    log = open(production['home'] / 'log' / f'{name}.log', 'wb')
    process = subprocess.Popen([str(ROOT / '.venv' / 'bin' / 'trytond-worker'),
            '-c', str(production['home'] / 'trytond.conf'),
            '-d', production['db'], '-n', '1'],
        env={**os.environ,
            'TRYTOND_DATABASE_URI': production['uri'] + '/'},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def kill(process):
    "SIGKILL to the worker and its pool process: nothing is cleaned up."
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def batch_of(production, origin):
    rows = query(production['uri'], production['db'],
        "SELECT state, done, total FROM spsti_batch WHERE origin = %s "
        "ORDER BY id DESC LIMIT 1", (origin,))
    return rows[0] if rows else (None, 0, None)


def pending_tasks(production, model):
    (count,), = query(production['uri'], production['db'],
        "SELECT count(*) FROM ir_queue WHERE dequeued_at IS NULL "
        "AND data->>'model' = %s", (model,))
    return count


def notifications(production, admin, text):
    return query(production['uri'], production['db'],
        "SELECT label FROM res_notification WHERE \"user\" = %s "
        "AND label LIKE %s", (admin, f'%{text}%'))


def rerun_until_done(production, done, resume, model):
    """What the user (or the hourly task) does after the crash: resume the
    batch once the new worker has nothing left in the queue, until it is
    done."""
    from trytond import backend

    def finished():
        if done():
            return True
        if not pending_tasks(production, model):
            try:
                resume()
            except backend.DatabaseOperationalError:
                # The worker took the task meanwhile and wrote the batch:
                # the RPC layer retries such a call, so does the user.
                pass
        return done()
    wait_for(finished, TIMEOUT, "the rerun did not finish", interval=1)


# Billing run

def new_year_billing_run(erp, production):
    """An approved scale and validated declarations of the year after the
    demo's, and a draft yearly call of that year; returns its id."""
    pool, _ = erp
    Scale = pool.get('spsti.contribution.scale')
    Declaration = pool.get('spsti.declaration')
    Run = pool.get('spsti.billing.run')
    with transaction_as(erp, production) as transaction:
        current, = Scale.search([], order=[('year', 'DESC')], limit=1)
        year = current.year + 1
        with transaction.set_context(company=current.company.id,
                _skip_warnings=True):
            scale, = Scale.create([{
                        'company': current.company.id,
                        'year': year,
                        'amount_per_worker': Decimal('115.00'),
                        'membership_fee': Decimal('30.00'),
                        'minimum_amount': Decimal('150.00'),
                        'approval_date': dt.date(year - 1, 6, 20),
                        }])
            Scale.approve([scale])
            Declaration.validate_declaration(Declaration.open_year(year))
            run, = Run.create([{
                        'company': current.company.id,
                        'year': year,
                        'kind': 'call',
                        'period': '01',
                        'invoice_date': dt.date(year, 2, 1),
                        'scale': scale.id,
                        }])
        return run.id, year, current.company.id


def test_worker_killed_during_billing_run(production, erp):
    pool, admin = erp
    Run = pool.get('spsti.billing.run')
    uri, db = production['uri'], production['db']
    run_id, year, company = new_year_billing_run(erp, production)
    origin = f'spsti.billing.run,{run_id}'
    members = {m for m, in query(uri, db,
            "SELECT DISTINCT member FROM spsti_declaration "
            "WHERE year = %s AND state = 'validated'", (year,))}
    assert len(members) >= 10, "too few members to stop the run mid-way"

    with worker(production, 'worker-billing-1') as first:
        with transaction_as(erp, production, company=company):
            Run.start([Run(run_id)])
        wait_for(lambda: batch_of(production, origin)[1] >= 4, TIMEOUT,
            "the worker billed nothing", interval=0.05)
        kill(first)
    state, done, total = batch_of(production, origin)
    assert state == 'running' and done < total, (state, done, total)
    (run_state,), = query(uri, db,
        "SELECT state FROM spsti_billing_run WHERE id = %s", (run_id,))
    assert run_state == 'processing'

    def resume():
        with transaction_as(erp, production, company=company):
            Run.resume([Run(run_id)])

    def run_done():
        return query(uri, db, "SELECT state FROM spsti_billing_run "
            "WHERE id = %s", (run_id,))[0][0] == 'done'

    with worker(production, 'worker-billing-2'):
        rerun_until_done(production, run_done, resume, 'spsti.billing.run')

    invoices = query(uri, db,
        "SELECT spsti_member, count(*) FROM account_invoice "
        "WHERE spsti_billing_run = %s GROUP BY spsti_member", (run_id,))
    assert {m for m, _ in invoices} == members, "a member was not billed"
    assert all(n == 1 for _, n in invoices), "a member was billed twice"
    # The batch ends right after the commit of the last task.
    wait_for(lambda: batch_of(production, origin)[0] == 'done', 30,
        "the batch did not end")
    state, done, total = batch_of(production, origin)
    assert done == total
    assert notifications(production, admin, f'{year}'), \
        "no notification of the end"


# Workforce import

def workforce_file(production):
    """IMPORT_LINES hires (DPAE) in the establishments of the demo
    members, each a new employee with a valid NIR."""
    from trytond.modules.spsti_adherent.tests.tools import nir
    sirets = [s for s, in query(production['uri'], production['db'],
            "SELECT i.code FROM spsti_establishment AS e "
            "JOIN spsti_member AS m ON m.id = e.member "
            "JOIN party_identifier AS i ON i.address = e.address "
            "WHERE m.state = 'member' AND i.type = 'fr_siret' "
            "ORDER BY e.id LIMIT 5")]
    assert sirets
    lines = ['siret;nir;nom;prenom;date_naissance;sexe;numero_contrat;'
        'type_contrat;date_embauche;pcs']
    for i in range(IMPORT_LINES):
        birth = dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
        sex = 'M' if i % 2 else 'F'
        lines.append(';'.join([sirets[i % len(sirets)], nir(sex, birth, i),
                    'PANNE', f'Prénom{chr(65 + i % 26)}', birth.isoformat(),
                    sex, f'KILL-{i:05d}', 'cdi', '2026-01-05', '431f']))
    return ('\n'.join(lines) + '\n').encode('utf-8')


def test_worker_killed_during_workforce_import(production, erp):
    pool, admin = erp
    Import = pool.get('spsti.workforce.import')
    uri, db = production['uri'], production['db']
    with transaction_as(erp, production):
        record, = Import.create([{'file': workforce_file(production),
                    'filename': 'embauches.csv', 'kind': 'dpae'}])
        record_id = record.id
    origin = f'spsti.workforce.import,{record_id}'

    def employees():
        return query(uri, db, "SELECT count(*), count(DISTINCT nir) "
            "FROM spsti_employee WHERE last_name = 'PANNE'")[0]

    def process():
        with transaction_as(erp, production):
            Import.process([Import(record_id)])

    with worker(production, 'worker-import-1') as first:
        process()
        wait_for(lambda: batch_of(production, origin)[1] >= 500, TIMEOUT,
            "the worker imported nothing", interval=0.05)
        kill(first)
    state, done, total = batch_of(production, origin)
    assert state == 'running' and done < total, (state, done, total)
    count, _ = employees()
    assert 0 < count < IMPORT_LINES, count

    def import_done():
        return query(uri, db, "SELECT state FROM spsti_workforce_import "
            "WHERE id = %s", (record_id,))[0][0] == 'done'

    with worker(production, 'worker-import-2'):
        rerun_until_done(production, import_done, process,
            'spsti.workforce.import')

    assert employees() == (IMPORT_LINES, IMPORT_LINES)
    (assignments, contracts), = query(uri, db,
        "SELECT count(*), count(DISTINCT a.external_key) "
        "FROM spsti_assignment AS a JOIN spsti_employee AS e "
        "ON e.id = a.employee WHERE e.last_name = 'PANNE'")
    assert (assignments, contracts) == (IMPORT_LINES, IMPORT_LINES)
    (lines_read, rejected), = query(uri, db,
        "SELECT lines_read, lines_rejected FROM spsti_workforce_import "
        "WHERE id = %s", (record_id,))
    assert (lines_read, rejected) == (IMPORT_LINES, 0)
    wait_for(lambda: batch_of(production, origin)[0] == 'done', 30,
        "the batch did not end")
    assert batch_of(production, origin) == ('done', IMPORT_LINES,
        IMPORT_LINES)
    assert notifications(production, admin, 'embauches.csv')


# Booking the same slot from two server processes

def rpc(url, method, params, session=None):
    headers = {}
    if session:
        headers['Authorization'] = 'Session ' + base64.b64encode(
            session.encode()).decode()
    response = requests.post(url + '/rpc/', json={
            'id': 1, 'method': method, 'params': params},
        headers=headers, timeout=120)
    response.raise_for_status()
    return response.json()


def login(url):
    answer = rpc(url, 'common.db.login',
        ['admin', {'password': 'Secret-for-tests-1'}, 'fr'])
    user_id, key = answer['result'][:2]
    return f'admin:{user_id}:{key}'


def test_two_servers_book_the_same_slot(production):
    uri, db = production['uri'], production['db']
    (slot, visit_type), = query(uri, db,
        "SELECT s.id, s.visit_type FROM spsti_slot AS s "
        "WHERE s.state = 'free' AND s.start > now() AND s.room IS NOT NULL "
        "ORDER BY s.start LIMIT 1")
    requests_to_plan = [r for r, in query(uri, db,
            "SELECT id FROM spsti_visit_request WHERE state = 'to_plan' "
            "AND (%s::int IS NULL OR visit_type = %s) ORDER BY id LIMIT 2",
            (visit_type, visit_type))]
    assert len(requests_to_plan) == 2

    with server(production, 'rpc-1') as first, \
            server(production, 'rpc-2') as second:
        urls = [first, second]
        sessions = [login(u) for u in urls]
        barrier = threading.Barrier(2)
        answers = [None, None]

        def book(i):
            context = {'language': 'fr', 'active_model': 'spsti.slot',
                'active_id': slot, 'active_ids': [slot]}
            try:
                created = rpc(urls[i], 'wizard.spsti.slot.book.create',
                    [context], sessions[i])
                session_id = created['result'][0]
            finally:
                barrier.wait(timeout=60)
            answers[i] = rpc(urls[i], 'wizard.spsti.slot.book.execute', [
                    session_id, {'start': {
                            'slot': slot, 'request': requests_to_plan[i]}},
                    'book', context], sessions[i])

        threads = [threading.Thread(target=book, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT)

    winners = [i for i, a in enumerate(answers) if a and 'result' in a]
    losers = [a for a in answers if a and 'error' in a]
    assert len(winners) == 1 and len(losers) == 1, answers
    kind, (message, *_) = losers[0]['error']
    assert kind == 'UserError', losers[0]
    assert "n'est pas libre" in message, message
    (state, request), = query(uri, db,
        "SELECT state, request FROM spsti_slot WHERE id = %s", (slot,))
    assert (state, request) == ('booked', requests_to_plan[winners[0]])
    (other,), = query(uri, db,
        "SELECT state FROM spsti_visit_request WHERE id = %s",
        (requests_to_plan[1 - winners[0]],))
    assert other == 'to_plan'
