"""Browser tests: the README's run command brings the product up, and a real
headless Chromium (Debian's /usr/bin/chromium) drives the Sao web client."""
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
# Flags for a root sandbox with no network but loopback.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync']
START_TIMEOUT = 900


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def artefacts_dir():
    path = Path(os.environ.get('TEST_ARTEFACTS', ROOT / 'tests' / 'artefacts'))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope='session')
def smtp():
    "A real SMTP server that receives the mail the product sends."
    from trytond.modules.spsti_portal.tests.tools import SMTPSink
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope='session')
def product(tmp_path_factory, smtp):
    """scripts/run on a fresh SQLite database in a temporary folder, its
    mail sent to the smtp fixture; yields the URL once the web client
    answers, the portal's URL and the server's output."""
    db_dir = tmp_path_factory.mktemp('run')
    port = free_port()
    log_path = artefacts_dir() / 'run.log'
    env = dict(os.environ, SPSTI_DB='spsti_ui', SPSTI_DB_DIR=str(db_dir),
        SPSTI_PORT=str(port), TRYTOND_EMAIL__URI=smtp.uri)
    with open(log_path, 'wb') as log:
        process = subprocess.Popen(
            [str(ROOT / 'scripts' / 'run'), '--members', '5',
                '--employees', '300'],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"scripts/run exited with {process.returncode}:\n"
                    + log_path.read_text()[-5000:])
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the web client did not answer in time:\n"
                    + log_path.read_text()[-5000:])
            time.sleep(1)
        yield {'url': url, 'portal': f'{url}spsti_ui/portal/',
            'log': log_path}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope='session')
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # The users of the service, in France: the agendas show Paris time.
    context = browser.new_context(locale='fr-FR', timezone_id='Europe/Paris',
        viewport={'width': 1280, 'height': 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    "A phone-sized page, for the portal."
    context = browser.new_context(locale='fr-FR', timezone_id='Europe/Paris',
        viewport={'width': 390, 'height': 844}, is_mobile=True,
        has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def sao_login(page, url, login, password):
    "Log in through the Sao login dialogs (user name, then password)."
    page.goto(url)
    # Sao fills the database field from an asynchronous call; a login sent
    # before it answers is silently ignored.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#database')]"
        ".some(field => field.value)")
    page.fill('input#login', login)
    page.press('input#login', 'Enter')
    page.wait_for_selector('input[type=password]')
    page.fill('input[type=password]', password)
    page.press('input[type=password]', 'Enter')
    page.wait_for_selector('#menu .treeview', state='visible', timeout=60000)
