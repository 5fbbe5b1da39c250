"Backup of the database and filestore, restored into a new database."
import time

from .conftest import query, run_script

KEY_TABLES = ['spsti_member', 'spsti_establishment', 'spsti_employee',
    'spsti_assignment', 'spsti_assignment_exposure', 'spsti_risk',
    'spsti_periodicity_rule', 'party_party', 'party_identifier',
    'ir_attachment']


def checksum(uri, database, table):
    "Count and digest of a table's rows, in id order."
    (count, digest), = query(uri, database,
        f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' '
        f'ORDER BY t.id), \'\')) FROM "{table}" AS t')
    return count, digest


def test_backup_restore_round_trip(production, tmp_path):
    uri, env = production['uri'], production['env']
    attachment = add_attachment(production)

    run_script('backup', tmp_path / 'backup', env=env)
    start = time.monotonic()
    run_script('restore', tmp_path / 'backup', 'spsti_restored', env=env)
    elapsed = time.monotonic() - start
    print(f"\nrestore of the demo database: {elapsed:.1f} s")

    for table in KEY_TABLES:
        source = checksum(uri, production['db'], table)
        copy = checksum(uri, 'spsti_restored', table)
        assert source == copy, table
        assert source[0] > 0, f"{table} is empty: the test proves nothing"
    # The attachment's content lives in the filestore, restored beside.
    restored = production['home'] / 'filestore' / 'spsti_restored'
    assert any(p.read_bytes() == attachment for p in restored.rglob('*')
        if p.is_file())


def add_attachment(production):
    "An attachment stored in the filestore (not in the database)."
    import os
    import subprocess
    import sys
    content = b'Fiche d\'entreprise - version 1\n' * 100
    code = (
        "import sys\n"
        "from trytond import config\n"
        "config.update_etc(sys.argv[1])\n"
        "from trytond.pool import Pool\n"
        "from trytond.transaction import Transaction\n"
        "Pool.start(); pool = Pool(sys.argv[2]); pool.init()\n"
        "with Transaction().start(sys.argv[2], 0):\n"
        "    Attachment = pool.get('ir.attachment')\n"
        "    Member = pool.get('spsti.member')\n"
        "    member = Member.search([], limit=1)[0]\n"
        "    Attachment.create([{'name': 'fiche.txt', 'type': 'data',\n"
        "        'resource': str(member), 'data': sys.stdin.buffer.read()}])\n")
    subprocess.run([sys.executable, '-c', code,
            str(production['home'] / 'trytond.conf'), production['db']],
        input=content, check=True, timeout=300,
        env={**os.environ,
            'TRYTOND_DATABASE_URI': production['uri'] + '/'})
    return content
