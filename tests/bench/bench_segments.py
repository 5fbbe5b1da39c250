#!/usr/bin/env python3
"""Benchmark of the CRM segments and campaign counts (spsti_crm).

Builds its own database on the given backend (PostgreSQL in practice):
activates spsti_crm, loads the shipped referentials, creates demo members
(--members) with their workforce (--employees), company risk sheets for
60 % of the establishments and the members' contacts with their consents.
Then counts the members of a segment per criterion and of a segment with
every criterion (Segment.member_count: one SQL query each), the recipients
of an email campaign on the widest segment (recipient_count), publishes a
portal campaign to all its members twice (one INSERT ... SELECT, the second
adds nothing) and counts the awareness actions. Prints seconds and
members/second, and a plain-SQL baseline counting the members.

    tests/bench/run_bench.sh bench_segments --members 2000 --employees 10000
"""
import datetime as dt
import time

import benchlib
from benchlib import max_rss_mb


def parse_args():
    parser = benchlib.argument_parser(__doc__, 'bench_segments')
    parser.add_argument('--members', type=int, default=2000)
    parser.add_argument('--employees', type=int, default=10000)
    return benchlib.parse_args(parser)


def main():
    args = parse_args()
    started = time.monotonic()
    with benchlib.bench_database(args, 'spsti_crm'):
        setup(args, started)
        measure(args)


def setup(args, started):
    from trytond.modules.spsti_base.commandline import run_in_transaction
    from trytond.modules.spsti_base.demo import DemoContext
    from trytond.modules.spsti_base.thesaurus import load_shipped_lists
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0) as transaction:
        pool = Pool()
        Demo = pool.get('spsti.demo')
        load_shipped_lists()
        ctx = DemoContext(args.members, args.employees, seed=args.seed)
        ctx.company = Demo.generate_company(ctx)
        with transaction.set_context(company=ctx.company.id):
            Demo.generate_organisation(ctx)
            Demo.generate_members(ctx)
            transaction.commit()
            Demo.generate_workforce(ctx)
            transaction.commit()
            print(f"workforce: {time.monotonic() - started:.0f} s",
                flush=True)

    def sheets_and_contacts():
        Demo = Pool().get('spsti.demo')
        Demo.generate_company_sheets(ctx)
        Demo.generate_contacts(ctx)

    # The company risk sheets lock their table: retried with the lock.
    run_in_transaction(args.database_name, sheets_and_contacts,
        context={'company': ctx.company.id})
    for line in ctx.report:
        print(line)
    print(f"setup: {time.monotonic() - started:.0f} s", flush=True)


def measure(args):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(args.database_name, 0) as transaction:
        pool = Pool()
        Segment = pool.get('spsti.crm.segment')
        Campaign = pool.get('spsti.crm.campaign')
        Content = pool.get('spsti.crm.content')
        Interaction = pool.get('spsti.crm.interaction')
        Awareness = pool.get('spsti.crm.awareness')
        Activity = pool.get('spsti.activity')
        Risk = pool.get('spsti.risk')
        Category = pool.get('spsti.follow_up.category')
        Team = pool.get('spsti.team')
        cursor = transaction.connection.cursor()

        start = time.monotonic()
        cursor.execute('SELECT COUNT(*) FROM spsti_member '
            "WHERE state = 'member'")
        total, = cursor.fetchone()
        print(f"\nplain SQL baseline: {total} members counted in "
            f"{time.monotonic() - start:.3f} s")

        ergo, = Risk.search([('code', '=', 'ERGO')])
        sir, = Category.search([('code', '=', 'SIR')])
        section_f, = Activity.search([('code', '=', 'F')])
        team = Team.search([], limit=1)[0]
        criteria = [
            ("members in membership", {}),
            ("NAF section F", {'activities': [('add', [section_f.id])]}),
            ("workforce 10 to 50", {
                    'workforce_min': 10, 'workforce_max': 50}),
            ("risk ERGO (and under)", {'risks': [('add', [ergo.id])]}),
            ("category SIR", {'categories': [('add', [sir.id])]}),
            ("one team", {'teams': [('add', [team.id])]}),
            ("sheet older than 48 months or missing",
                {'sheet_older_than': 48}),
            ("culture score 2.5 to 5", {
                    'culture_score_min': 2.5, 'culture_score_max': 5}),
            ]
        criteria.append(("all of them", {
                    k: v for _, c in criteria[1:] for k, v in c.items()}))
        segments = Segment.create([{'name': name, **values}
                for name, values in criteria])
        print(f"\nsegments ({total} members in membership):")
        for segment in segments:
            start = time.monotonic()
            count, = Segment.get_member_count([segment], 'member_count')\
                .values()
            seconds = time.monotonic() - start
            print(f"  {segment.name}: {count} members in {seconds:.3f} s "
                f"({total / seconds:,.0f} members/s)", flush=True)

        widest = segments[0]
        content, = Content.create([{'name': "Guide", 'kind': 'document'}])
        campaign, = Campaign.create([{
                    'name': "Bench", 'segment': widest.id, 'email': True,
                    'email_subject': "Bench", 'email_body': "<p>Bench</p>",
                    'portal': True, 'contents': [('add', [content.id])],
                    }])
        start = time.monotonic()
        recipients = campaign.recipient_count
        print(f"\ncampaign recipients: {recipients} persons counted in "
            f"{time.monotonic() - start:.3f} s")
        for run in ['first', 'second']:
            start = time.monotonic()
            Campaign._publish([campaign])
            transaction.commit()
            seconds = time.monotonic() - start
            logged = Interaction.search_count(
                [('campaign', '=', campaign.id)])
            print(f"portal publication, {run} run: {logged} exchanges "
                f"logged, {seconds:.2f} s", flush=True)
        today = dt.date.today()
        start = time.monotonic()
        members, employees = Awareness.count_made_aware(
            today - dt.timedelta(days=5 * 365), today)
        print(f"awareness over 5 years: {members} members, {employees} "
            f"employees in {time.monotonic() - start:.3f} s")
    print(f"peak RSS {max_rss_mb():.0f} MiB")


if __name__ == '__main__':
    main()
