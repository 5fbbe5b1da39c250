"""Upgrade test: a database made by the previous version of the modules
(fixtures/upgrade.sql.xz, see fixtures/README.md) is upgraded by the
production command (trytond-admin -u of every module, new ones activated)
and keeps all its data: row counts and checksums of the business tables on
the columns the old version had, and business reads through the ORM."""
import json
import lzma
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from .conftest import ROOT, query, run_script

FIXTURE = Path(__file__).parent / 'fixtures' / 'upgrade.sql.xz'
DB = 'spsti_upgraded'
# The records of the service: none may be lost or changed by an upgrade.
TABLES = ['party_party', 'party_address', 'party_identifier',
    'spsti_member', 'spsti_establishment', 'spsti_employee',
    'spsti_assignment', 'spsti_assignment_exposure', 'spsti_declaration',
    'spsti_declaration_line', 'spsti_visit_request', 'spsti_slot',
    'spsti_billing_run', 'account_invoice', 'account_invoice_line',
    'account_move', 'account_move_line', 'account_payment',
    'spsti_dmst', 'spsti_dmst_consultation', 'spsti_company_sheet',
    'spsti_workplace_action', 'res_user', 'company_company']
# Columns a migration of the new version rewrites: checked on their own.
MIGRATED = {'spsti_billing_run': {'kind'}}


def restore(uri):
    with psycopg.connect(f'{uri}/postgres', autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        conn.execute(f'CREATE DATABASE "{DB}" ENCODING \'UTF8\' '
            'TEMPLATE template0')
    bindir = sorted(Path('/usr/lib/postgresql').glob('*/bin'))[-1]
    with lzma.open(FIXTURE) as dump:
        result = subprocess.run([str(bindir / 'psql'), '-q', '-X',
                '-v', 'ON_ERROR_STOP=1', '-o', os.devnull, f'{uri}/{DB}'],
            input=dump.read(), capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


def columns(uri, table):
    return [c for c, in query(uri, DB,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY column_name", (table,))]


def checksum(uri, table, names):
    "Count and digest of the rows of table on the columns names."
    row = ', '.join(f'"{c}"' for c in names)
    (count, digest), = query(uri, DB,
        f'SELECT count(*), md5(coalesce(string_agg(ROW({row})::text, \'|\' '
        f'ORDER BY id), \'\')) FROM "{table}"')
    return count, digest


READS = """
import json, sys
from trytond import config
config.update_etc(sys.argv[1])
from trytond.pool import Pool
from trytond.transaction import Transaction
Pool.start(); pool = Pool(sys.argv[2]); pool.init()
with Transaction().start(sys.argv[2], 0, context={'language': 'fr'}):
    Member = pool.get('spsti.member')
    Employee = pool.get('spsti.employee')
    Run = pool.get('spsti.billing.run')
    Request = pool.get('spsti.visit.request')
    members = Member.search([], order=[('id', 'ASC')])
    runs = Run.search([], order=[('id', 'ASC')])
    print(json.dumps({
        'members': [(m.id, m.rec_name, m.state) for m in members],
        'employees': Employee.search_count([]),
        'runs': [(r.id, r.state, r.invoice_count, str(r.total_amount))
            for r in runs],
        'requests': Request.search_count([('state', '=', 'to_plan')]),
        }))
"""


def business_reads(production):
    result = subprocess.run([sys.executable, '-c', READS,
            str(production['home'] / 'trytond.conf'), DB],
        env={**os.environ, 'TRYTOND_DATABASE_URI': production['uri'] + '/'},
        check=True, capture_output=True, text=True, timeout=600)
    return json.loads(result.stdout.splitlines()[-1])


def test_upgrade_from_previous_version(production):
    uri = production['uri']
    restore(uri)
    before = {}
    for table in TABLES:
        names = [c for c in columns(uri, table)
            if c not in MIGRATED.get(table, ())]
        assert names, f"{table} is missing from the fixture"
        before[table] = names, checksum(uri, table, names)
    members = query(uri, DB,
        "SELECT id, state FROM spsti_member ORDER BY id")
    runs = query(uri, DB, "SELECT r.id, r.state, count(i.id), "
        "sum(i.untaxed_amount_cache)::text FROM spsti_billing_run AS r "
        "JOIN account_invoice AS i ON i.spsti_billing_run = r.id "
        "AND i.state != 'cancelled' GROUP BY r.id ORDER BY r.id")
    (to_plan,), = query(uri, DB, "SELECT count(*) FROM spsti_visit_request "
        "WHERE state = 'to_plan'")
    assert runs and to_plan
    kinds = query(uri, DB, "SELECT id, kind FROM spsti_billing_run "
        "ORDER BY id")

    run_script('serve-production', '--prepare-only',
        env={**production['env'], 'SPSTI_DB': DB})

    for table, (names, summary) in before.items():
        assert checksum(uri, table, names) == summary, table
        assert summary[0] > 0, \
            f"{table} is empty in the fixture: the test proves nothing"
    active = {m for m, in query(uri, DB,
            "SELECT name FROM ir_module WHERE state = 'activated'")}
    assert {p.name for p in (ROOT / 'addons').glob('spsti_*')} <= active

    # The business objects read through the ORM of the new version.
    reads = business_reads(production)
    assert [[i, state] for i, _, state in reads['members']] == [
        list(m) for m in members]
    assert all(name for _, name, _ in reads['members'])
    assert reads['employees'] == before['spsti_employee'][1][0]
    assert reads['runs'] == [list(r) for r in runs]
    assert reads['requests'] == to_plan
    # The yearly calls became the calls of January, the regularisations
    # those of December.
    periods = {'annual': ('call', '01'), 'regularisation': (
            'regularisation', '12')}
    assert query(uri, DB, "SELECT id, kind, period FROM spsti_billing_run "
        "ORDER BY id") == [(i, *periods[k]) for i, k in kinds]
