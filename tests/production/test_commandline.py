"""spsti-admin runs a long batch from a terminal or a script: a progress bar
on a terminal, progress lines when the output is not one, the batch
recorded as done."""
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import pytest

from .conftest import ROOT, query


def spsti_admin(production, *args, **popen):
    return subprocess.Popen([str(ROOT / '.venv' / 'bin' / 'spsti-admin'),
            '-c', str(production['home'] / 'trytond.conf'),
            '-d', production['db'], *args],
        env={**os.environ, 'TRYTOND_DATABASE_URI': production['uri'] + '/'},
        **popen)


def last_batch(production):
    (state, done, total), = query(production['uri'], production['db'],
        "SELECT state, done, total FROM spsti_batch "
        "WHERE origin IS NULL ORDER BY id DESC LIMIT 1")
    return state, done, total


def test_due_visits_from_a_script(production):
    process = spsti_admin(production, 'due-visits', stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-3000:]
    state, done, total = last_batch(production)
    assert state == 'done' and done == total > 0
    assert f'{total} assignments' in stdout, stdout
    # Plain progress lines (no terminal), the last one complete.
    last = stderr.strip().splitlines()[-1]
    assert last.endswith(f'{total}/{total} (100 %)'), stderr[-2000:]


def test_due_visits_on_a_terminal(production):
    "On a terminal the progress is a bar that ends full."
    master, slave = pty.openpty()
    # A terminal of 24 lines of 120 columns (a new one has no size).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 120, 0, 0))
    process = spsti_admin(production, 'due-visits', stdout=subprocess.PIPE,
        stderr=slave)
    os.close(slave)
    shown = b''
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if not select.select([master], [], [], 1)[0]:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:
            # EIO: the command ended and closed the terminal.
            break
        if not data:
            break
        shown += data
    else:
        process.kill()
        pytest.fail("spsti-admin did not end")
    os.close(master)
    process.communicate(timeout=60)
    assert process.returncode == 0, shown[-3000:]
    _, _, total = last_batch(production)
    # tqdm redraws the bar in place; its last state is full.
    shown = shown.decode()
    assert re.search(rf'100%\|█+\| {total}/{total} ', shown), shown[-2000:]
