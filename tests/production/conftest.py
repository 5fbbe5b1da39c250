"""Production-mode tests: they need the PostgreSQL cluster that scripts/test
starts (PG_URI in the environment) and run the production scripts as an
operator would."""
import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='session')
def pg_uri():
    uri = os.environ.get('PG_URI')
    if not uri:
        pytest.fail("PG_URI is not set: run these tests through scripts/test")
    return uri.rstrip('/')


def run_script(name, *args, env=None, timeout=1800):
    "Run scripts/<name>, failing the test with its output when it fails."
    result = subprocess.run([str(ROOT / 'scripts' / name), *map(str, args)],
        cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True,
        text=True, timeout=timeout)
    if result.returncode:
        pytest.fail(f"scripts/{name} {' '.join(map(str, args))} exited "
            f"{result.returncode}:\n{result.stdout[-3000:]}\n"
            f"{result.stderr[-5000:]}")
    return result


def query(uri, database, sql, params=None):
    with psycopg.connect(f'{uri}/{database}') as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope='session')
def production(pg_uri, tmp_path_factory):
    """A production database prepared by scripts/serve-production, with the
    demo data of a small service."""
    home = tmp_path_factory.mktemp('production')
    password = home / 'admin-password'
    password.write_text('Secret-for-tests-1\n')
    env = {
        'SPSTI_DATABASE_URI': pg_uri + '/',
        'SPSTI_DB': 'spsti_prod',
        'SPSTI_HOME': str(home),
        'SPSTI_ADMIN_PASSWORD_FILE': str(password),
        }
    run_script('serve-production', '--prepare-only', env=env)
    subprocess.run([str(ROOT / '.venv' / 'bin' / 'spsti-admin'),
            '-c', str(home / 'trytond.conf'), '-d', 'spsti_prod', 'demo',
            '--members', '20', '--employees', '400'],
        env={**os.environ, 'TRYTOND_DATABASE_URI': pg_uri + '/'},
        check=True, capture_output=True, timeout=1800)
    return {'env': env, 'home': home, 'db': 'spsti_prod', 'uri': pg_uri}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextmanager
def server(production, name='server', config=''):
    """trytond serving the production database on a free local port (extra
    configuration lines in config); yields its base URL."""
    port = free_port()
    conf = production['home'] / f'{name}.conf'
    conf.write_text(f"[web]\nlisten = 127.0.0.1:{port}\n{config}")
    env = {**os.environ, 'TRYTOND_DATABASE_URI': production['uri'] + '/'}
    log = open(production['home'] / 'log' / f'{name}.log', 'wb')
    process = subprocess.Popen([str(ROOT / '.venv' / 'bin' / 'trytond'),
            '-c', str(production['home'] / 'trytond.conf'), str(conf),
            '-d', production['db']], env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    url = f'http://127.0.0.1:{port}/{production["db"]}'
    try:
        wait_for(lambda: _answers(url), 120, "trytond did not start")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _answers(url):
    try:
        requests.get(url + '/portal/login', timeout=5)
        return True
    except requests.ConnectionError:
        return False


def wait_for(predicate, timeout, message, interval=0.2):
    "Poll predicate until it is true; fail the test after timeout seconds."
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(interval)
