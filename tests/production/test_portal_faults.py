"""Fault test: the database restarts while the portal is in use. Pages
answer 503 with a page of their own (no connection detail shown) while it
is down, and work again, session kept, once it is back."""
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests

from .conftest import server

PORTAL_USER = 'employeur@example.org'
PASSWORD = 'spsti-demo'


def pg_ctl(*args):
    "pg_ctl on the cluster scripts/test started (PG_DIR)."
    data = Path(os.environ['PG_DIR']) / 'data'
    bindir = sorted(Path('/usr/lib/postgresql').glob('*/bin'))[-1]
    run_as = ['runuser', '-u', 'postgres', '--'] if os.getuid() == 0 else []
    subprocess.run([*run_as, str(bindir / 'pg_ctl'), '-D', str(data), '-w',
            '-l', str(data.parent / 'log'), *args],
        check=True, capture_output=True, timeout=120)


@pytest.fixture
def portal(production):
    "trytond serving the production database on a free local port."
    if 'PG_DIR' not in os.environ:
        pytest.fail("PG_DIR is not set: run these tests through scripts/test")
    # Plain http on the loopback: the client keeps the cookies.
    with server(production, 'fault',
            "[spsti_portal]\nsecure_cookie = False\n") as url:
        yield url + '/portal'


def database_port():
    "The port of the database cluster (in PG_URI)."
    return os.environ['PG_URI'].rstrip('/').rsplit(':', 1)[1]


def test_database_restart_during_portal_use(portal):
    session = requests.Session()
    session.get(portal + '/login', timeout=10)
    response = session.post(portal + '/login', data={
            'email': PORTAL_USER, 'password': PASSWORD, 'action': 'password',
            'csrf_token': session.cookies['spsti_portal_csrf'],
            }, timeout=30)
    assert response.ok and 'Adhérent n°' in response.text, response.text
    member_page = response.url

    pg_ctl('stop', '-m', 'fast')
    try:
        response = session.get(member_page, timeout=120)
        assert response.status_code == 503
        assert 'momentanément indisponible' in response.text
        # Nothing of the connection shows.
        pg_port = database_port()
        assert not re.search(r'psycopg|OperationalError|127\.0\.0\.1',
            response.text, re.IGNORECASE)
        assert pg_port not in response.text
        assert response.headers['Retry-After'] == '30'
    finally:
        pg_ctl('start')

    deadline = time.monotonic() + 60
    while True:
        response = session.get(member_page, timeout=120)
        if response.status_code == 200:
            break
        assert response.status_code == 503, response.status_code
        assert time.monotonic() < deadline, "the portal did not recover"
        time.sleep(1)
    # The session, kept in the database, survived the restart.
    assert 'Adhérent n°' in response.text
