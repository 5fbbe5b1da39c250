"""spsti-admin runs a long batch from a terminal or a script: progress
lines when the output is not a terminal, the batch recorded as done."""
import os
import subprocess

from .conftest import ROOT, query


def test_due_visits_from_the_command_line(production):
    result = subprocess.run([str(ROOT / '.venv' / 'bin' / 'spsti-admin'),
            '-c', str(production['home'] / 'trytond.conf'),
            '-d', production['db'], 'due-visits'],
        env={**os.environ, 'TRYTOND_DATABASE_URI': production['uri'] + '/'},
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    (state, done, total), = query(production['uri'], production['db'],
        "SELECT state, done, total FROM spsti_batch "
        "WHERE origin IS NULL ORDER BY id DESC LIMIT 1")
    assert state == 'done' and done == total > 0
    assert f'{total} assignments' in result.stdout, result.stdout
    # Plain progress lines (no terminal), the last one complete.
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith(f'{total}/{total} (100 %)'), result.stderr[-2000:]
