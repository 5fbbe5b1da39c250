"""Segments evaluated on generated members, against counts worked out by
hand from how the members were generated."""
import datetime as dt
import unittest

from dateutil.relativedelta import relativedelta

from trytond.modules.spsti_adherent.tests.tools import (
    create_member, setup_referentials)
from trytond.modules.spsti_crm.exceptions import SegmentValidationError
from trytond.modules.spsti_dmst.company_sheet import CULTURE_QUESTIONS
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import create_workforce

ACTIVITIES = ['43.22A', '86.21Z', '56.10A']  # sections F, Q, I


def generate_members(org):
    """Ten members, i = 0..9:

    - member 8 is a prospect, the others are members;
    - establishment activity ACTIVITIES[i % 3];
    - team: the first team for i < 5, the other one after;
    - i employees in force (member 9 also one whose post ended);
    - when i is even, every employee handles loads (ERGO.MANUT);
      member 4's first employee is also exposed to asbestos (SIR);
    - validated company risk sheets: members 0, 1, 2 a year ago with 6, 3
      and 0 yes to the culture questions (scores 5.0, 2.5, 0.0); member 3
      five years ago with 6 yes; members 4 to 9 none.
    """
    pool = Pool()
    Activity = pool.get('spsti.activity')
    Establishment = pool.get('spsti.establishment')
    Sheet = pool.get('spsti.company_sheet')
    Assignment = pool.get('spsti.assignment')
    today = dt.date.today()
    members, sheets = [], []
    for i in range(10):
        team = org['team'] if i < 5 else org['other_team']
        member, establishment = create_member(f"Adhérent {i}", 500 + i,
            state='prospect' if i == 8 else 'member', team=team)
        activity, = Activity.search([('code', '=', ACTIVITIES[i % 3])])
        Establishment.write([establishment], {'activity': activity.id})
        risks = ['ERGO.MANUT'] if i % 2 == 0 else []
        employees = create_workforce(establishment, i, seed=100 * i + 1,
            risks=risks)
        if i == 4:
            Assignment.copy_exposures(
                Assignment.search([('employee', '=', employees[0].id)]),
                pool.get('spsti.risk').search(
                    [('code', '=', 'CHIM.AMIANTE')]))
        if i == 9:
            ended, = create_workforce(establishment, 1, seed=999,
                start=dt.date(2019, 1, 1))
            Assignment.write(list(ended.assignments),
                {'end_date': dt.date(2020, 6, 30)})
        if i < 4:
            yes = {0: 6, 1: 3, 2: 0, 3: 6}[i]
            sheets.append({
                    'establishment': establishment.id,
                    'date': today - relativedelta(years=5 if i == 3 else 1),
                    'author': org['doctor'].id,
                    **{q: n < yes for n, q in enumerate(CULTURE_QUESTIONS)},
                    })
        members.append(member)
    Sheet.validate_sheet(Sheet.create(sheets))
    return members


class SpstiCrmSegmentTestCase(unittest.TestCase):
    "Test the segments of spsti_crm"

    @classmethod
    def setUpClass(cls):
        activate_module('spsti_crm')

    @with_transaction()
    def test_segment_counts(self):
        "Each criterion, alone and combined, selects the expected members"
        pool = Pool()
        Segment = pool.get('spsti.crm.segment')
        Activity = pool.get('spsti.activity')
        Risk = pool.get('spsti.risk')
        Category = pool.get('spsti.follow_up.category')
        Campaign = pool.get('spsti.crm.campaign')
        Interaction = pool.get('spsti.crm.interaction')
        Member = pool.get('spsti.member')
        org = setup_referentials()
        members = generate_members(org)
        section_f, = Activity.search([('code', '=', 'F')])
        ergo, = Risk.search([('code', '=', 'ERGO')])
        sir, = Category.search([('code', '=', 'SIR')])
        campaign, = Campaign.create([{'name': "Campagne passée"}])
        Interaction.create([{
                    'member': members[i].id, 'kind': 'campaign',
                    'subject': "Envoi", 'campaign': campaign.id}
                for i in [1, 2]])

        def count(**criteria):
            segment, = Segment.create([{'name': "Test", **criteria}])
            return segment.member_count

        def ids(**criteria):
            segment, = Segment.create([{'name': "Test", **criteria}])
            return sorted(members.index(m) for m in Member.search(
                    [('crm_segments', '=', segment.id)]))

        # Members in membership: all but the prospect 8.
        self.assertEqual(count(), 9)
        self.assertEqual(count(member_states=[]), 10)
        # Section F covers 43.22A: i % 3 == 0.
        self.assertEqual(ids(activities=[('add', [section_f.id])]),
            [0, 3, 6, 9])
        # 3 to 5 employees in force; the ended post of 9 does not count.
        self.assertEqual(ids(workforce_min=3, workforce_max=5), [3, 4, 5])
        # Up to 2: member 0 has nobody in force.
        self.assertEqual(ids(workforce_max=2), [0, 1, 2])
        self.assertEqual(ids(workforce_min=9), [9])
        # ERGO covers ERGO.MANUT: even members with employees.
        self.assertEqual(ids(risks=[('add', [ergo.id])]), [2, 4, 6])
        self.assertEqual(ids(categories=[('add', [sir.id])]), [4])
        self.assertEqual(ids(teams=[('add', [org['team'].id])]),
            [0, 1, 2, 3, 4])
        self.assertEqual(ids(sheet_missing=True), [4, 5, 6, 7, 9])
        self.assertEqual(ids(sheet_older_than=48), [3, 4, 5, 6, 7, 9])
        self.assertEqual(ids(sheet_older_than=48, sheet_missing=True),
            [4, 5, 6, 7, 9])
        # Culture scores 5.0 (0 and 3) and 2.5 (1); 0.0 (2) is below.
        self.assertEqual(
            ids(culture_score_min=2.5, culture_score_max=5), [0, 1, 3])
        self.assertEqual(ids(culture_score_max=0), [2])
        self.assertEqual(ids(campaigns=[('add', [campaign.id])],
                campaign_rule='reached'), [1, 2])
        self.assertEqual(count(campaigns=[('add', [campaign.id])],
                campaign_rule='not_reached'), 7)
        self.assertEqual(ids(activities=[('add', [section_f.id])],
                workforce_min=3), [3, 6, 9])
        self.assertEqual(ids(
                risks=[('add', [ergo.id])], sheet_missing=True), [4, 6])

        # The member knows its segments.
        segment, = Segment.create([{
                    'name': "BTP", 'activities': [('add', [section_f.id])]}])
        self.assertIn(segment, members[3].crm_segments)
        self.assertNotIn(segment, members[1].crm_segments)

    @with_transaction()
    def test_segment_of_its_own_campaign(self):
        "A segment cannot select on a campaign that targets it"
        pool = Pool()
        Segment = pool.get('spsti.crm.segment')
        Campaign = pool.get('spsti.crm.campaign')
        segment, = Segment.create([{'name': "Tous"}])
        campaign, = Campaign.create([{
                    'name': "Relance", 'segment': segment.id}])
        with self.assertRaisesRegex(SegmentValidationError, "Tous"):
            Segment.write([segment], {
                    'campaigns': [('add', [campaign.id])]})
