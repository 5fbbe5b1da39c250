"""Production-mode tests: they need the PostgreSQL cluster that scripts/test
starts (PG_URI in the environment) and run the production scripts as an
operator would."""
import os
import subprocess
from pathlib import Path

import psycopg
import pytest

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
