#!/usr/bin/env python3
"""Benchmark of the yearly call of contributions (spsti_facturation).

Builds its own PostgreSQL database: activates spsti_facturation, loads the
referentials, the French chart of accounts and an approved scale, creates
--template-members demo members with their workforce through the ORM and
validates their declarations; then multiplies these members by plain SQL
(parties, addresses, members, validated declarations and their lines,
copied with fresh ids) up to --members, so that the billed population
reaches --members members and about --employees declared workers without
hours of ORM set-up. The template members get twice the workforce needed
and each copy keeps at random the share of their declared workers that
reaches --employees, so that the copied members' workforces (and
invoices) differ.
Billing only reads the declarations, so copied lines pointing at the
template employees bill exactly like distinct people.

Then inserts, as a baseline, the same invoice and line rows with plain
SQL (rolled back); runs the yearly call (BillingRun.process, committing
every chunk as the queued task does); processes the same run again (it
must create nothing). Prints invoices/second, seconds and peak memory of
each, and the ratio of the run to the baseline.

    tests/bench/run_bench.sh bench_billing --members 20000 --employees 300000
"""
import datetime as dt
import sys
import time
from decimal import Decimal

import benchlib
from benchlib import max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_billing')
    parser.add_argument('--members', type=int, default=20000)
    parser.add_argument('--employees', type=int, default=300000)
    parser.add_argument('--template-members', type=int, default=100)
    args = benchlib.parse_args(parser)
    if not args.database_uri.startswith('postgresql'):
        parser.error("the copy of the members is written for PostgreSQL")
    return args


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_facturation'):
        year = setup_template(args)
        copy_members(args, year)
        print(f"setup: {time.monotonic() - started:.0f} s", flush=True)
        reference, lower = baseline(args, year)
        run_id, rate = bill(args, year, 'first')
        print(f"  the run costs {reference / rate:.1f}x the plain-SQL "
            "baseline of the same rows per invoice "
            f"({lower / rate:.1f}x the invoices and contribution lines "
            "alone)", flush=True)
        bill(args, year, 're-run', run_id)


def setup_template(args):
    "The demo organisation, its template members and their declarations."
    from trytond.modules.spsti_base.commandline import run_in_transaction

    # Singletons and sequences lock their table: retried with the lock.
    return run_in_transaction(args.database_name, lambda: build_template(args))


def build_template(args):
    from trytond.modules.spsti_base.demo import DemoContext
    from trytond.modules.spsti_base.thesaurus import load_shipped_lists
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    transaction = Transaction()
    pool = Pool()
    Demo = pool.get('spsti.demo')
    Scale = pool.get('spsti.contribution.scale')
    Declaration = pool.get('spsti.declaration')
    load_shipped_lists()
    # Twice the workforce needed: the copies keep a random share of it.
    per_member = max(1, round(2 * args.employees / args.members))
    ctx = DemoContext(args.template_members,
        args.template_members * per_member, seed=args.seed)
    ctx.company = Demo.generate_company(ctx)
    year = pool.get('ir.date').today().year
    with transaction.set_context(
            company=ctx.company.id, _skip_warnings=True):
        Demo.generate_organisation(ctx)
        Demo.generate_members(ctx)
        Demo.generate_workforce(ctx)
        Demo.generate_accounting(ctx)
        scale, = Scale.create([{
                    'year': year,
                    'amount_per_worker': Decimal('112.00'),
                    'minimum_amount': Decimal('150.00'),
                    'approval_date': dt.date(year - 1, 6, 20),
                    }])
        Scale.approve([scale])
        declarations = Declaration.open_year(year)
        Declaration.validate_declaration(declarations)
    return year


# Columns given a new value in the copies; the others are copied as is.
COPIES = [
    ('party_party', 'id IN (SELECT party FROM spsti_member)', {
            'code': "t.code || '-' || %(round)s",
            'name': "t.name || ' ' || %(round)s",
            }),
    ('party_address', 'party IN (SELECT party FROM spsti_member)', {
            'party': 'party_party',
            }),
    ('spsti_member', 'true', {
            'party': 'party_party',
            'number': "t.number || '-' || %(round)s",
            }),
    ('spsti_declaration', "state = 'validated'", {
            'member': 'spsti_member',
            }),
    ('spsti_declaration_line',
        "declaration IN (SELECT id FROM spsti_declaration "
        "WHERE state = 'validated')", {
            'declaration': 'spsti_declaration',
            }),
    ]
# Rows left out of a copy: the declared workers beyond the share kept.
DROPPED = {
    'spsti_declaration_line':
        "abs(hashtext(t.id || '-' || %(round)s)) % 1000 >= %(kept)s",
    }


def copy_members(args, year):
    """Copy the template members round after round: each table's rows get
    fresh ids through a mapping table, and the references to the tables
    copied before follow the mapping."""
    from trytond.transaction import Transaction

    rounds = -(-args.members // args.template_members) - 1
    with Transaction().start(args.database_name, 0) as transaction:
        cursor = transaction.connection.cursor()
        originals = {}
        for table, where, _ in COPIES:
            cursor.execute(f'SELECT id FROM {table} WHERE {where}')
            originals[table] = [i for i, in cursor]
        columns = {}
        for table, _, _ in COPIES:
            cursor.execute(
                'SELECT column_name FROM information_schema.columns '
                'WHERE table_name = %s AND column_name != %s',
                (table, 'id'))
            columns[table] = [c for c, in cursor]
        # Per mille of the template's declared workers each copy keeps.
        declared = len(originals['spsti_declaration_line'])
        kept = min(1000, round(1000 * args.employees
                / args.members * args.template_members / max(declared, 1)))
        for round_ in range(1, rounds + 1):
            for table, _, overrides in COPIES:
                cursor.execute(f'CREATE TEMP TABLE map_{table} '
                    'ON COMMIT DROP AS '
                    f"SELECT id AS old, nextval('{table}_id_seq') AS new "
                    f'FROM {table} WHERE id = ANY(%s)', (originals[table],))
                values = []
                for column in columns[table]:
                    expression = overrides.get(column)
                    if expression is None:
                        values.append(f't.{column}')
                    elif expression.startswith(('party_', 'spsti_')):
                        values.append(f'(SELECT new FROM map_{expression} m '
                            f'WHERE m.old = t.{column})')
                    else:
                        values.append(
                            expression.replace('%(round)s', str(round_)))
                dropped = DROPPED.get(table, 'false').replace(
                    '%(round)s', str(round_)).replace('%(kept)s', str(kept))
                cursor.execute(
                    f'INSERT INTO {table} (id, {", ".join(columns[table])}) '
                    f'SELECT m.new, {", ".join(values)} FROM {table} t '
                    f'JOIN map_{table} m ON m.old = t.id '
                    f'WHERE NOT ({dropped})')
            transaction.commit()
        cursor.execute('ANALYZE')
        cursor.execute(
            "SELECT count(DISTINCT d.member), count(*) "
            "FROM spsti_declaration_line l JOIN spsti_declaration d "
            "ON d.id = l.declaration WHERE d.state = 'validated' "
            "AND d.year = %s", (year,))
        members, lines = cursor.fetchone()
    print(f"{members} members with a validated declaration, "
        f"{lines} declared workers", flush=True)


def baseline(args, year):
    """Plain SQL: the rows the run writes, inserted set-wise from the same
    aggregation, then rolled back: one invoice per member, one line per
    follow-up category and share, a line raising the contributions to the
    minimum, each line's tax and each invoice's tax (the exempt
    contribution tax). No pro rata, no membership fee, no rounding per
    line: a lower bound of what billing costs. Returns invoices/second of
    the same rows; also prints the figure of the invoices and
    contribution lines alone."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0) as transaction:
        pool = Pool()
        Configuration = pool.get('spsti.billing.configuration')
        Journal = pool.get('account.journal')
        Scale = pool.get('spsti.contribution.scale')
        scale, = Scale.search([('year', '=', year)])
        company = scale.company
        with transaction.set_context(company=company.id):
            config = Configuration(1)
            product = config.contribution_product
            minimum_product = config.minimum_product
            revenue = product.account_revenue_used.id
            tax, = product.customer_taxes_used
            receivable = pool.get('account.configuration')(1).get_multivalue(
                'default_account_receivable').id
        journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        cursor = transaction.connection.cursor()
        start = time.monotonic()
        cursor.execute(
            'INSERT INTO account_invoice (company, type, party, '
            'invoice_address, currency, account, journal, payment_term, '
            'state, invoice_date, description, spsti_member, create_uid, '
            'create_date) '
            "SELECT %s, 'out', m.party, "
            '(SELECT min(a.id) FROM party_address a WHERE a.party = m.party), '
            "%s, %s, %s, %s, 'draft', %s, 'baseline', m.id, 0, now() "
            'FROM spsti_member m WHERE m.id IN (SELECT d.member '
            'FROM spsti_declaration d '
            "WHERE d.year = %s AND d.state = 'validated')",
            (company.id, company.currency.id, receivable, journal.id,
                config.payment_term.id, dt.date(year, 2, 1), year))
        invoices = cursor.rowcount
        cursor.execute(
            'INSERT INTO account_invoice_line (invoice, type, company, '
            'currency, product, account, quantity, unit_price, description, '
            'contribution_year, contribution_heading, contribution_category, '
            'contribution_share, contribution_instalment, '
            'contribution_instalments, sequence, create_uid, create_date) '
            "SELECT i.id, 'line', %s, %s, %s, %s, c.workers, "
            '%s / c.share, %s, %s, %s, c.category, c.share, 1, 1, 1, 0, now() '
            'FROM (SELECT d.member, l.category, '
            'COALESCE(x.member_count, 1) AS share, '
            'count(DISTINCT l.employee) AS workers '
            'FROM spsti_declaration_line l '
            'JOIN spsti_declaration d ON d.id = l.declaration '
            'LEFT JOIN spsti_multi_employer x ON x.year = d.year '
            'AND x.employee = l.employee AND x.job = l.job '
            'AND x.category = l.category '
            "WHERE d.year = %s AND d.state = 'validated' AND l.included "
            'GROUP BY d.member, l.category, COALESCE(x.member_count, 1)) c '
            "JOIN account_invoice i ON i.spsti_member = c.member "
            "AND i.description = 'baseline'",
            (company.id, company.currency.id, product.id, revenue,
                scale.amount_per_worker, f'Cotisation {year}', year,
                'contribution', year))
        lines = cursor.rowcount
        contributions = time.monotonic() - start
        cursor.execute(
            'INSERT INTO account_invoice_line (invoice, type, company, '
            'currency, product, account, quantity, unit_price, description, '
            'contribution_year, contribution_heading, '
            'contribution_instalment, contribution_instalments, sequence, '
            'create_uid, create_date) '
            "SELECT s.invoice, 'line', %s, %s, %s, %s, 1, %s - s.total, %s, "
            '%s, %s, 1, 1, 2, 0, now() '
            'FROM (SELECT l.invoice, sum(l.quantity * l.unit_price) AS total '
            'FROM account_invoice_line l JOIN account_invoice i '
            "ON i.id = l.invoice WHERE i.description = 'baseline' "
            'GROUP BY l.invoice) s WHERE s.total < %s',
            (company.id, company.currency.id, minimum_product.id, revenue,
                scale.minimum_amount, f'Minimum {year}', year, 'minimum',
                scale.minimum_amount))
        lines += cursor.rowcount
        cursor.execute(
            'INSERT INTO "account_invoice_line-account_tax" (line, tax, '
            'create_uid, create_date) '
            'SELECT l.id, %s, 0, now() FROM account_invoice_line l '
            'JOIN account_invoice i ON i.id = l.invoice '
            "WHERE i.description = 'baseline'", (tax.id,))
        cursor.execute(
            'INSERT INTO account_invoice_tax (invoice, description, tax, '
            'account, base, amount, manual, sequence, create_uid, '
            'create_date) '
            'SELECT l.invoice, %s, %s, %s, sum(l.quantity * l.unit_price), '
            '0, false, 0, 0, now() FROM account_invoice_line l '
            'JOIN account_invoice i ON i.id = l.invoice '
            "WHERE i.description = 'baseline' GROUP BY l.invoice",
            (tax.description, tax.id, tax.invoice_account.id))
        seconds = time.monotonic() - start
        transaction.rollback()
    print(f"\nplain SQL baseline: {invoices} invoices, {lines} lines, "
        f"their taxes inserted in {seconds:.2f} s, "
        f"{invoices / seconds:,.0f} invoices/s (the invoices and "
        f"contribution lines alone: {contributions:.2f} s, "
        f"{invoices / contributions:,.0f} invoices/s)", flush=True)
    return invoices / seconds, invoices / contributions


def bill(args, year, label, run_id=None):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    rss_before = max_rss_mb()
    with Transaction().start(args.database_name, 0) as transaction:
        pool = Pool()
        Run = pool.get('spsti.billing.run')
        Scale = pool.get('spsti.contribution.scale')
        Invoice = pool.get('account.invoice')
        scale, = Scale.search([('year', '=', year)])
        with transaction.set_context(company=scale.company.id):
            if run_id is None:
                run, = Run.create([{
                            'year': year,
                            'kind': 'call',
                            'period': '01',
                            'scale': scale.id,
                            'invoice_date': dt.date(year, 2, 1),
                            }])
                Run.prepare([run])
                Run.write([run], {'state': 'processing'})
            else:
                run = Run(run_id)
                Run.write([run], {'state': 'processing'})
            transaction.commit()
            before = Invoice.search_count([])
            profile = None
            if args.profile and label == 'first':
                import cProfile
                profile = cProfile.Profile()
                profile.enable()
            start = time.monotonic()
            Run.process([run], commit=True)
            seconds = time.monotonic() - start
            if profile:
                profile.disable()
                profile.dump_stats(args.profile)
            created = Invoice.search_count([]) - before
            total = Run(run.id).invoice_count
            cursor = transaction.connection.cursor()
            cursor.execute('SELECT count(*) FROM (SELECT DISTINCT '
                'string_agg(quantity || \'x\' || unit_price, \',\' '
                'ORDER BY id) FROM account_invoice_line '
                'WHERE invoice IN (SELECT id FROM account_invoice '
                'WHERE spsti_billing_run = %s) GROUP BY invoice) s',
                (run.id,))
            shapes, = cursor.fetchone()
    print(f"\n{label} run: {created} invoices created, {total} in the run "
        f"({shapes} distinct sets of lines)")
    print(f"  {seconds:.1f} s"
        + (f", {created / seconds:,.1f} members/s" if created else '')
        + f", peak RSS {max_rss_mb():.0f} MiB (before the run "
        f"{rss_before:.0f} MiB)", flush=True)
    if label == 're-run' and created:
        print("  ERROR: the re-run created invoices", file=sys.stderr)
        sys.exit(1)
    return run.id, created / seconds if created else 0


if __name__ == '__main__':
    main()
