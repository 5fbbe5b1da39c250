"""A hand-built service whose indicators are counted by hand in the tests.

Period 2021-01-01 – 2025-12-31, first team T1, other team T2:

- members: M1 (T1, member since 2019), M2 (T2, since 2022-06-01), M3 (T1,
  struck off 2024-03-01), M4 (T2, member from 2026-02-01);
- company sheets: E1 validated 2023-05-01, E2 draft 2024-04-01, E3
  validated 2022-02-01;
- employees: A at E1 since 2020; B at E1 2020 – 2024-06-30; C at E2 since
  2022-06-01; D at E2 since 2023 and at E1 since 2024; F at E3 since 2019;
- follow-up categories in force: A and C SIG, D SIA at E2 and SIG
  overridden to SIR by the doctor at E1;
- work stoppages S1 … S6, visit requests R1 … R9, medical files,
  consultations, an awareness action and slots as written below."""
import datetime as dt

from trytond.modules.spsti_adherent.tests.tools import (
    create_assignment, create_employee, create_member, setup_referentials)
from trytond.pool import Pool
from trytond.transaction import Transaction

FROM_DATE = dt.date(2021, 1, 1)
TO_DATE = dt.date(2025, 12, 31)


def d(text):
    return dt.date.fromisoformat(text)


def create_service():
    "The organisation and the service described above; returns its names."
    pool = Pool()
    Member = pool.get('spsti.member')
    VisitRequest = pool.get('spsti.visit.request')
    VisitType = pool.get('spsti.visit.type')
    CompanySheet = pool.get('spsti.company_sheet')
    MedicalFile = pool.get('spsti.dmst')
    Consultation = pool.get('spsti.dmst.consultation')
    AdviceType = pool.get('spsti.advice.type')
    Action = pool.get('spsti.workplace_action')
    ActionType = pool.get('spsti.workplace_action.type')
    Slot = pool.get('spsti.slot')
    Assignment = pool.get('spsti.assignment')
    Category = pool.get('spsti.follow_up.category')
    Stoppage = pool.get('spsti.work_stoppage')

    org = setup_referentials()
    t1, t2 = org['team'], org['other_team']
    m1, e1 = create_member("Boulangerie Un", 301, team=t1)
    m2, e2 = create_member("Garage Deux", 302, team=t2)
    m3, e3 = create_member("Menuiserie Trois", 303, team=t1)
    m4, e4 = create_member("Traiteur Quatre", 304, team=t2)
    Member.write([m1], {'membership_date': d('2019-01-01')},
        [m2], {'membership_date': d('2022-06-01')},
        [m3], {'membership_date': d('2018-01-01'),
            'strike_off_date': d('2024-03-01'), 'state': 'struck_off'},
        [m4], {'membership_date': d('2026-02-01')})

    CompanySheet.create([
            {'establishment': e1.id, 'date': d('2023-05-01'),
                'author': org['doctor'].id, 'state': 'validated'},
            {'establishment': e2.id, 'date': d('2024-04-01'),
                'author': org['doctor'].id, 'state': 'draft'},
            {'establishment': e3.id, 'date': d('2022-02-01'),
                'author': org['doctor'].id, 'state': 'validated'},
            ])

    people = {}
    for seed, name in enumerate('ABCDF', 1):
        people[name] = create_employee(
            f"Salarié{name}", "Test", dt.date(1980, seed, 10), seed=seed)
    a = {
        'A': create_assignment(people['A'], e1, start=d('2020-01-01')),
        'B': create_assignment(people['B'], e1, start=d('2020-01-01'),
            end_date=d('2024-06-30')),
        'C': create_assignment(people['C'], e2, start=d('2022-06-01')),
        'D2': create_assignment(people['D'], e2, start=d('2023-01-01')),
        'D1': create_assignment(people['D'], e1, start=d('2024-01-01')),
        'F': create_assignment(people['F'], e3, start=d('2019-01-01')),
        }
    category = {c.code: c.id for c in Category.search([])}
    Assignment.write([a['A'], a['C'], a['D1']], {'category': category['SIG']},
        [a['D2']], {'category': category['SIA']},
        [a['D1']], {'category_override': category['SIR']})

    def stoppage(name, member, kind, start, end=None):
        return {'employee': people[name].id, 'member': member.id,
            'kind': kind, 'start_date': d(start),
            'end_date': d(end) if end else None}
    Stoppage.create([
            # S1: 152 days, long.
            stoppage('A', m1, 'sickness', '2024-01-01', '2024-05-31'),
            # S2: going on, 92 days by 2025-12-31, long.
            stoppage('C', m2, 'work_accident', '2025-10-01'),
            # S3: maternity leave, never counted.
            stoppage('B', m1, 'maternity', '2022-01-01', '2022-06-30'),
            # S4: 32 days, short.
            stoppage('D', m2, 'sickness', '2025-01-10', '2025-02-10'),
            # S5: before the period.
            stoppage('C', m2, 'sickness', '2020-03-01', '2020-09-01'),
            # S6: going on, 47 days by 2025-12-31, short.
            stoppage('D', m1, 'sickness', '2025-11-15'),
            ])

    # Only the requests below: none the engine may have made.
    VisitRequest.delete(VisitRequest.search([]))
    types = {t.code: t for t in VisitType.search([])}

    def request(key, type_code, request_date, due_date, state,
            done_date=None):
        assignment = a[key]
        return {
            'employee': assignment.employee.id,
            'assignment': assignment.id,
            'member': assignment.member.id,
            'visit_type': types[type_code].id,
            'origin': 'staff',
            'priority': '3',
            'request_date': d(request_date),
            'due_date': d(due_date) if due_date else None,
            'state': state,
            'done_date': d(done_date) if done_date else None,
            }
    r = dict(zip(['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8', 'R9'],
            VisitRequest.create([
                    request('A', 'VIP-P', '2023-01-10', '2023-03-01',
                        'done', '2023-02-15'),
                    request('C', 'VIP-I', '2022-06-01', '2022-09-01',
                        'done', '2022-10-01'),
                    request('D2', 'VIP-I', '2023-01-02', '2023-04-01',
                        'to_plan'),
                    request('B', 'VIP-P', '2021-03-01', '2021-06-01',
                        'done', '2021-05-01'),
                    request('A', 'VIP-P', '2023-06-01', '2024-01-01',
                        'cancelled'),
                    request('C', 'PREREPRISE', '2025-03-01', None,
                        'done', '2025-03-10'),
                    request('B', 'PREREPRISE', '2024-01-05', None,
                        'done', '2024-01-20'),
                    request('A', 'VIP-P', '2025-11-01', '2026-01-15',
                        'planned'),
                    request('D1', 'VIP-I', '2024-01-02', '2024-04-01',
                        'done', '2026-01-10'),
                    ])))

    files = dict(zip('ABC', MedicalFile.create([
                    {'employee': people['A'].id,
                        'opening_date': d('2021-01-01')},
                    {'employee': people['B'].id,
                        'opening_date': d('2021-01-01')},
                    {'employee': people['C'].id,
                        'opening_date': d('2026-06-01')},
                    ])))
    advice = {t.code: t for t in AdviceType.search([
                ('code', 'in', ['PREV.EPI', 'PDP.SOCIAL'])])}

    def consultation(file, request_, date, outcome, state, advice_codes=(),
            adjustment=None):
        return {
            'file': files[file].id,
            'request': r[request_].id if request_ else None,
            'visit_type': (r[request_].visit_type.id if request_
                else types['DEMANDE'].id),
            'professional': org['doctor'].id,
            'date': d(date),
            'mode': 'centre',
            'outcome': outcome,
            'adjustment_proposal': adjustment,
            'state': state,
            'advice': [('add', [advice[c].id for c in advice_codes])],
            }
    Consultation.create([
            consultation('A', 'R1', '2023-02-15', 'attestation', 'issued',
                ['PREV.EPI']),
            consultation('B', 'R7', '2024-01-20', 'report', 'issued',
                ['PDP.SOCIAL']),
            consultation('A', None, '2025-06-01', 'fit_with_adjustment',
                'issued', adjustment="Pas de port de charges"),
            consultation('A', None, '2025-07-01', 'fit_with_adjustment',
                'draft', adjustment="Siège assis-debout"),
            ])

    sensib, = ActionType.search([('code', '=', 'SENSIB')])
    Action.create([{
                'type': sensib.id,
                'member': m1.id,
                'establishment': e1.id,
                'team': t1.id,
                'theme': "Gestes et postures",
                'start': dt.datetime(2024, 2, 1, 9),
                'end': dt.datetime(2024, 2, 1, 11),
                'employees': [('add', [people['A'].id])],
                'state': 'done',
                }])

    centre = org['nurse'].centre or t1.centre

    def slot(start, state, request_):
        return {
            'professional': org['nurse'].id,
            'centre': centre.id,
            'room': centre.rooms[0].id,
            'start': start,
            'end': start + dt.timedelta(minutes=30),
            'state': state,
            'request': r[request_].id if request_ else None,
            }
    Slot.create([
            slot(dt.datetime(2023, 2, 15, 9), 'done', 'R1'),
            slot(dt.datetime(2022, 9, 20, 9), 'no_show', 'R2'),
            slot(dt.datetime(2022, 10, 1, 9), 'done', 'R2'),
            slot(dt.datetime(2025, 12, 1, 9), 'booked', 'R8'),
            slot(dt.datetime(2024, 5, 2, 9), 'done', None),
            ])
    return {
        'org': org, 'teams': (t1, t2), 'members': (m1, m2, m3, m4),
        'establishments': (e1, e2, e3, e4), 'people': people,
        'assignments': a, 'requests': r,
        }


def create_portal_accounts(service):
    """Portal accounts (spsti_portal) of the service of create_service,
    created on the dates given, and satisfaction answers:

    - employer accounts: U1 (2024-03-01) for M1; U2 (2024-05-01) whose
      access to M2 is deactivated; U3 (2023-01-01) deactivated, for M2; U4
      (2026-01-15, after the period) for M2;
    - employee accounts: U5 (2025-02-01) of A, U6 (2024-01-01) of B, U7
      (2026-02-01) of C;
    - establishments E5 of M1, E6 of M2 (closed, inactive);
    - answers: membership M1 5 (2024-02-01), M2 3 (2022-06-01), M2 4
      (2025-12-31), M4 2 (2026-02-01); declaration M1 4 (2025-01-20), M2 1
      (2025-01-25)."""
    pool = Pool()
    User = pool.get('web.user')
    Access = pool.get('spsti.portal.member_access')
    Establishment = pool.get('spsti.establishment')
    Satisfaction = pool.get('spsti.portal.satisfaction')
    m1, m2, _, m4 = service['members']
    people = service['people']
    cursor = Transaction().connection.cursor()

    def created(records, date):
        table = records[0].__table__()
        cursor.execute(*table.update([table.create_date],
                [dt.datetime.combine(d(date), dt.time(9))],
                where=table.id.in_([r.id for r in records])))

    accounts, dates = {}, {}
    for name, active, employee, date in [
            ('U1', True, None, '2024-03-01'),
            ('U2', True, None, '2024-05-01'),
            ('U3', False, None, '2023-01-01'),
            ('U4', True, None, '2026-01-15'),
            ('U5', True, 'A', '2025-02-01'),
            ('U6', True, 'B', '2024-01-01'),
            ('U7', True, 'C', '2026-02-01'),
            ]:
        user, = User.create([{
                    'email': f'{name.lower()}@example.com',
                    'active': active,
                    'employee': people[employee].id if employee else None,
                    }])
        created([user], date)
        accounts[name], dates[name] = user, date
    for name, member, active in [
            ('U1', m1, True), ('U2', m2, False), ('U3', m2, True),
            ('U4', m2, True)]:
        access, = Access.create([{
                    'web_user': accounts[name].id, 'member': member.id,
                    'administrator': True, 'active': active}])
        created([access], dates[name])
    Establishment.create([
            {'member': m1.id, 'name': "Fournil",
                'address': m1.party.addresses[0].id},
            {'member': m2.id, 'name': "Ancien atelier",
                'address': m2.party.addresses[0].id, 'active': False},
            ])
    Satisfaction.create([
            {'member': member.id, 'context': context, 'score': score,
                'date': d(date)}
            for member, context, score, date in [
                (m1, 'adhesion', '5', '2024-02-01'),
                (m2, 'adhesion', '3', '2022-06-01'),
                (m2, 'adhesion', '4', '2025-12-31'),
                (m4, 'adhesion', '2', '2026-02-01'),
                (m1, 'adhesion_information', '4', '2024-02-01'),
                (m2, 'adhesion_information', '2', '2025-12-31'),
                (m4, 'adhesion_information', '5', '2026-02-01'),
                (m1, 'declaration', '4', '2025-01-20'),
                (m2, 'declaration', '1', '2025-01-25'),
                ]])
    return accounts
