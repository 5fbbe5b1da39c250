"""Due dates of the échéancier, case by case, written from the rules:
VIP within 3 months (2 for apprentices, before the post for night workers
and under-18s), renewed every 5 years (SIG) or 3 years (SIA); SIR aptitude
exam before the post, renewed every 4 years (every year for category A
radiation workers) with an intermediate visit within 2 years; certificate of
no contraindication instead of SIR for driving and electrical clearance
since 2025-10-01; mid-career visit in the year of 45 (since 2022-03-31);
return-to-work visit within 8 days after maternity, occupational disease,
work accident of 30 days or more, sickness of 60 days or more (30 before
2022-03-31); post-exposure visit; exemption from the initial visit after an
equivalent visit (5 years for a VIP, 2 years for an aptitude exam)."""
import datetime as dt

from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

D = dt.date
# (name, assignment, history, stoppages, today, expected due dates)
# assignment: keyword values of create_assignment plus 'birth';
# history: (visit type, date, outcome, 'same' or 'other' assignment, job);
# stoppages: (kind, first day off, last day off, 'same' or 'other' member);
# expected: visit type -> due date, or None when it must not be due.
CASES = [
    ("SIG hire: VIP within 3 months",
        {'start': D(2026, 3, 1)}, [], [], D(2026, 3, 10),
        {'VIP-I': D(2026, 6, 1), 'VIP-P': None, 'SIR-I': None}),
    ("SIG apprentice: VIP within 2 months",
        {'start': D(2026, 3, 1), 'contract_type': 'apprentice'}, [], [],
        D(2026, 3, 10), {'VIP-I': D(2026, 5, 1)}),
    ("Apprentice under 18: before the post (strictest rule)",
        {'start': D(2026, 3, 1), 'contract_type': 'apprentice',
            'birth': D(2010, 5, 1)}, [], [], D(2026, 3, 10),
        {'VIP-I': D(2026, 3, 1)}),
    ("Under 18: before the post",
        {'start': D(2026, 6, 1), 'birth': D(2009, 1, 1)}, [], [],
        D(2026, 3, 10), {'VIP-I': D(2026, 6, 1)}),
    ("Night worker: before the post",
        {'start': D(2026, 3, 1), 'night_work': True}, [], [], D(2026, 3, 10),
        {'VIP-I': D(2026, 3, 1)}),
    ("Night worker apprentice: before the post",
        {'start': D(2026, 3, 1), 'night_work': True,
            'contract_type': 'apprentice'}, [], [], D(2026, 3, 10),
        {'VIP-I': D(2026, 3, 1)}),
    ("Disabled worker (SIA): VIP within 3 months",
        {'start': D(2026, 3, 1), 'disabled_worker': True}, [], [],
        D(2026, 3, 10), {'VIP-I': D(2026, 6, 1)}),
    ("SIG: periodic VIP 5 years after the initial one",
        {'start': D(2021, 1, 1)}, [('VIP-I', D(2021, 4, 10), 'attestation',
                'same', '431f')], [], D(2026, 3, 10),
        {'VIP-I': None, 'VIP-P': D(2026, 4, 10)}),
    ("SIG: periodic VIP 5 years after the latest periodic one",
        {'start': D(2018, 1, 1)}, [
            ('VIP-I', D(2018, 2, 1), 'attestation', 'same', '431f'),
            ('VIP-P', D(2022, 7, 15), 'attestation', 'same', '431f')],
        [], D(2026, 3, 10), {'VIP-P': D(2027, 7, 15)}),
    ("SIA disabled worker: periodic VIP after 3 years",
        {'start': D(2024, 1, 1), 'disabled_worker': True},
        [('VIP-I', D(2024, 2, 1), 'attestation', 'same', '431f')], [],
        D(2026, 3, 10), {'VIP-P': D(2027, 2, 1)}),
    ("SIA night worker: periodic VIP after 3 years",
        {'start': D(2023, 12, 1), 'night_work': True},
        [('VIP-I', D(2024, 1, 1), 'attestation', 'same', '431f')], [],
        D(2026, 3, 10), {'VIP-P': D(2027, 1, 1)}),
    ("SIA pregnancy: periodic VIP after 3 years",
        {'start': D(2023, 1, 1), 'pregnancy': True},
        [('VIP-I', D(2023, 3, 1), 'attestation', 'same', '431f')], [],
        D(2026, 3, 10), {'VIP-P': D(2026, 3, 1)}),
    ("SIR hire: aptitude exam before the post, no VIP",
        {'start': D(2026, 4, 1), 'risks': ['CHIM.AMIANTE']}, [], [],
        D(2026, 3, 10), {'SIR-I': D(2026, 4, 1), 'VIP-I': None}),
    ("SIR: periodic exam 4 years, intermediate visit 2 years",
        {'start': D(2024, 3, 1), 'risks': ['CHIM.CMR']},
        [('SIR-I', D(2024, 3, 1), 'fit', 'same', '431f')], [],
        D(2026, 1, 10), {'SIR-P': D(2028, 3, 1), 'SIR-INT': D(2026, 3, 1),
            'SIR-I': None}),
    ("SIR: intermediate visit done, not due until the next exam",
        {'start': D(2024, 3, 1), 'risks': ['CHIM.CMR']}, [
            ('SIR-I', D(2024, 3, 1), 'fit', 'same', '431f'),
            ('SIR-INT', D(2026, 2, 15), 'attestation', 'same', '431f')],
        [], D(2026, 3, 10), {'SIR-INT': None, 'SIR-P': D(2028, 3, 1)}),
    ("SIR: intermediate visit 2 years after the latest periodic exam",
        {'start': D(2019, 1, 1), 'risks': ['BIO.G3']}, [
            ('SIR-I', D(2019, 1, 1), 'fit', 'same', '431f'),
            ('SIR-INT', D(2021, 1, 1), 'attestation', 'same', '431f'),
            ('SIR-P', D(2025, 1, 10), 'fit', 'same', '431f')],
        [], D(2026, 3, 10), {'SIR-INT': D(2027, 1, 10),
            'SIR-P': D(2029, 1, 10)}),
    ("Radiation category A: exam every year",
        {'start': D(2025, 6, 1), 'risks': ['PHYS.RI.A']},
        [('SIR-I', D(2025, 6, 1), 'fit', 'same', '431f')], [],
        D(2026, 3, 10), {'SIR-P': D(2026, 6, 1)}),
    ("Radiation category B: exam every 4 years",
        {'start': D(2025, 6, 1), 'risks': ['PHYS.RI.B']},
        [('SIR-I', D(2025, 6, 1), 'fit', 'same', '431f')], [],
        D(2026, 3, 10), {'SIR-P': D(2029, 6, 1)}),
    ("Electrical clearance before 2025-10-01: SIR exam",
        {'start': D(2025, 9, 1), 'risks': ['SECU.HABELEC']}, [], [],
        D(2025, 9, 15), {'SIR-I': D(2025, 9, 1), 'ANCI': None,
            'VIP-I': None}),
    ("Electrical clearance since 2025-10-01: VIP and certificate",
        {'start': D(2025, 10, 5), 'risks': ['SECU.HABELEC']}, [], [],
        D(2025, 10, 15), {'SIR-I': None, 'ANCI': D(2025, 10, 5),
            'VIP-I': D(2026, 1, 5)}),
    ("Driving licence since 2025-10-01: certificate renewed after 5 years",
        {'start': D(2025, 11, 1), 'risks': ['SECU.CONDUITE']},
        [('ANCI', D(2025, 10, 20), 'certificate', 'same', '431f'),
            ('VIP-I', D(2025, 12, 1), 'attestation', 'same', '431f')],
        [], D(2026, 3, 10), {'ANCI': D(2030, 10, 20), 'VIP-I': None,
            'VIP-P': D(2030, 12, 1)}),
    ("Former SIR driver after the change: VIP renewal and certificate",
        {'start': D(2020, 1, 1), 'risks': ['SECU.CONDUITE']},
        [('SIR-I', D(2020, 1, 1), 'fit', 'same', '431f')], [],
        D(2025, 10, 15), {'VIP-I': None, 'VIP-P': D(2025, 1, 1),
            'ANCI': D(2025, 10, 1), 'SIR-P': None}),
    ("Mid-career: the year of 45",
        {'start': D(2010, 1, 1), 'birth': D(1981, 7, 14)},
        [('VIP-P', D(2024, 1, 1), 'attestation', 'same', '431f')], [],
        D(2026, 3, 2), {'MICARRIERE': D(2026, 12, 31)}),
    ("Mid-career: 45 before the rule existed",
        {'start': D(2010, 1, 1), 'birth': D(1975, 7, 14)},
        [('VIP-P', D(2024, 1, 1), 'attestation', 'same', '431f')], [],
        D(2026, 3, 2), {'MICARRIERE': None}),
    ("Mid-career: done this year",
        {'start': D(2010, 1, 1), 'birth': D(1981, 7, 14)},
        [('MICARRIERE', D(2026, 2, 1), 'report', 'same', '431f')], [],
        D(2026, 3, 2), {'MICARRIERE': None}),
    ("Mid-career: due later for a younger employee",
        {'start': D(2020, 1, 1), 'birth': D(1990, 3, 3)},
        [('VIP-I', D(2020, 2, 1), 'attestation', 'same', '431f')], [],
        D(2026, 3, 2), {'MICARRIERE': D(2035, 12, 31)}),
    ("Return after maternity leave: 8 days",
        {'start': D(2020, 1, 1)}, [],
        [('maternity', D(2026, 1, 1), D(2026, 4, 20), 'same')],
        D(2026, 4, 21), {'REPRISE': D(2026, 4, 29)}),
    ("Work accident of 29 days: no return visit",
        {'start': D(2020, 1, 1)}, [],
        [('work_accident', D(2026, 1, 1), D(2026, 1, 29), 'same')],
        D(2026, 2, 1), {'REPRISE': None}),
    ("Work accident of 30 days: return visit",
        {'start': D(2020, 1, 1)}, [],
        [('work_accident', D(2026, 1, 1), D(2026, 1, 30), 'same')],
        D(2026, 2, 1), {'REPRISE': D(2026, 2, 8)}),
    ("Sickness of 59 days: no return visit",
        {'start': D(2020, 1, 1)}, [],
        [('sickness', D(2026, 1, 1), D(2026, 2, 28), 'same')],
        D(2026, 3, 2), {'REPRISE': None}),
    ("Sickness of 60 days: return visit",
        {'start': D(2020, 1, 1)}, [],
        [('sickness', D(2026, 1, 1), D(2026, 3, 1), 'same')],
        D(2026, 3, 2), {'REPRISE': D(2026, 3, 10)}),
    ("Sickness of 45 days ended before 2022-03-31: return visit (30 days)",
        {'start': D(2020, 1, 1)}, [],
        [('sickness', D(2022, 1, 1), D(2022, 2, 14), 'same')],
        D(2022, 2, 20), {'REPRISE': D(2022, 2, 23)}),
    ("Sickness of 45 days after 2022-03-31: no return visit",
        {'start': D(2020, 1, 1)}, [],
        [('sickness', D(2022, 4, 1), D(2022, 5, 15), 'same')],
        D(2022, 5, 20), {'REPRISE': None}),
    ("Occupational disease of 5 days: return visit",
        {'start': D(2020, 1, 1)}, [],
        [('occupational_disease', D(2026, 2, 1), D(2026, 2, 5), 'same')],
        D(2026, 2, 6), {'REPRISE': D(2026, 2, 14)}),
    ("Return visit done: no longer due",
        {'start': D(2020, 1, 1)},
        [('REPRISE', D(2026, 4, 23), 'fit', 'same', '431f')],
        [('maternity', D(2026, 1, 1), D(2026, 4, 20), 'same')],
        D(2026, 4, 25), {'REPRISE': None}),
    ("Stoppage declared by another employer: not for this post",
        {'start': D(2020, 1, 1)}, [],
        [('maternity', D(2026, 1, 1), D(2026, 4, 20), 'other')],
        D(2026, 4, 21), {'REPRISE': None}),
    ("Stoppage still going on: nothing yet",
        {'start': D(2020, 1, 1)}, [],
        [('sickness', D(2026, 1, 1), None, 'same')],
        D(2026, 4, 21), {'REPRISE': None}),
    ("SIR post ended: post-exposure visit",
        {'start': D(2020, 1, 1), 'end_date': D(2026, 1, 31),
            'risks': ['CHIM.AMIANTE']},
        [('SIR-I', D(2020, 1, 1), 'fit', 'same', '431f')], [],
        D(2026, 2, 10), {'POSTEXPO': D(2026, 1, 31), 'SIR-P': None}),
    ("SIG post ended: no post-exposure visit",
        {'start': D(2020, 1, 1), 'end_date': D(2026, 1, 31)}, [], [],
        D(2026, 2, 10), {'POSTEXPO': None, 'VIP-I': None}),
    ("Exemption: VIP for the same job 3 years ago",
        {'start': D(2026, 3, 1)},
        [('VIP-P', D(2023, 5, 1), 'attestation', 'other', '431f')], [],
        D(2026, 3, 10), {'VIP-I': None, 'VIP-P': D(2028, 5, 1)}),
    ("No exemption: the previous VIP was for another job",
        {'start': D(2026, 3, 1)},
        [('VIP-P', D(2023, 5, 1), 'attestation', 'other', '684a')], [],
        D(2026, 3, 10), {'VIP-I': D(2026, 6, 1)}),
    ("No exemption: the previous VIP is older than 5 years",
        {'start': D(2026, 3, 1)},
        [('VIP-P', D(2020, 1, 1), 'attestation', 'other', '431f')], [],
        D(2026, 3, 10), {'VIP-I': D(2026, 6, 1)}),
    ("No exemption: an adjustment of the post since",
        {'start': D(2026, 3, 1)},
        [('VIP-P', D(2023, 5, 1), 'attestation', 'other', '431f'),
            ('DEMANDE', D(2024, 5, 1), 'fit_with_adjustment', 'other',
                '431f')], [],
        D(2026, 3, 10), {'VIP-I': D(2026, 6, 1)}),
    ("SIR exemption: aptitude exam for the same job within 2 years",
        {'start': D(2026, 3, 1), 'risks': ['CHIM.PLOMB']},
        [('SIR-P', D(2025, 1, 1), 'fit', 'other', '431f')], [],
        D(2026, 3, 10), {'SIR-I': None, 'SIR-P': D(2029, 1, 1),
            'SIR-INT': D(2027, 1, 1)}),
    ("No SIR exemption after 2 years",
        {'start': D(2026, 3, 1), 'risks': ['CHIM.PLOMB']},
        [('SIR-P', D(2023, 6, 1), 'fit', 'other', '431f')], [],
        D(2026, 3, 10), {'SIR-I': D(2026, 3, 1)}),
    ("Future post: initial visit from its start",
        {'start': D(2026, 9, 1)}, [], [], D(2026, 3, 10),
        {'VIP-I': D(2026, 12, 1)}),
    ]


class DueDatesTestCase(ModuleTestCase):
    "Due dates of the échéancier"
    module = 'spsti_planning'

    @with_transaction()
    def test_due_date_cases(self):
        "Each case of the table gets the due dates of the rules"
        pool = Pool()
        VisitRequest = pool.get('spsti.visit.request')
        VisitType = pool.get('spsti.visit.type')
        Assignment = pool.get('spsti.assignment')
        Stoppage = pool.get('spsti.work_stoppage')
        setup_referentials()
        _, here = create_member("Hôpital Nord", 101)
        _, other = create_member("Clinique Sud", 102)
        types = {t.code: t for t in VisitType.search([])}
        self.assertGreaterEqual(len(CASES), 40)
        for i, (name, values, history, stoppages, today, expected) in \
                enumerate(CASES):
            with self.subTest(case=name):
                values = dict(values)
                employee = create_employee(f"Cas{i}", "Test",
                    values.pop('birth', D(1985, 5, 5)), seed=500 + i)
                assignment = create_assignment(employee, here,
                    risks=values.pop('risks', []),
                    start=values.pop('start'), **values)
                Assignment.compute_categories([assignment], today)
                previous = None
                for code, date, outcome, where, job in history:
                    target = assignment
                    if where == 'other':
                        previous = previous or create_assignment(
                            employee, other, job=job,
                            start=date - dt.timedelta(days=30),
                            end_date=date + dt.timedelta(days=1))
                        target = previous
                    request, = VisitRequest.create([{
                                'employee': employee.id,
                                'assignment': target.id,
                                'member': target.member.id,
                                'visit_type': types[code].id,
                                'request_date': date,
                                }])
                    VisitRequest.write([request], {
                            'state': 'done', 'done_date': date,
                            'outcome': outcome})
                Stoppage.create([{
                            'employee': employee.id,
                            'member': (here if where == 'same'
                                else other).member.id,
                            'kind': kind, 'start_date': first,
                            'end_date': last,
                            } for kind, first, last, where in stoppages])
                VisitRequest.compute_due_visits([assignment], today=today)
                due = {r.visit_type.code: r.due_date
                    for r in VisitRequest.search([
                            ('assignment', '=', assignment.id),
                            ('origin', '=', 'engine'),
                            ('state', '=', 'to_plan'),
                            ])}
                got = {code: due.get(code) for code in expected}
                self.assertEqual(got, expected)


del ModuleTestCase
