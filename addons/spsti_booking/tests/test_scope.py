"""The portal's access tests (spsti_portal's test_scope) on the pages of
self-booking: without a session, with another member's or employee's ids,
by profile (only the convocations profile books for the employer),
without CSRF token, and no health content on the employer's pages; the
links to self-booking follow the visit type's policy."""
from trytond.modules.spsti_portal.tests import test_scope
from trytond.modules.spsti_portal.tests.test_scope import (
    PROFILE_USERS, email_of)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction


class SpstiBookingScopeTestCase(test_scope.SpstiPortalScopeTestCase):
    "Test what each portal account may reach of self-booking"
    module = 'spsti_booking'
    employer_documents = set()
    # The portal's own pages are tried by spsti_portal.
    test_shared_documents = None
    test_code_brute_force_network = None

    @classmethod
    def rules(cls, space=None):
        for rule in super().rules(space):
            if rule.endpoint.__module__.endswith('spsti_booking.routes'):
                yield rule

    def test_booking_routes_tried(self):
        "The pages of self-booking are those the tests above go through"
        self.assertEqual({r.endpoint.__name__ for r in self.rules()}, {
                'employee_booking', 'employee_booking_cancel',
                'member_booking', 'member_booking_cancel'})

    def test_links_follow_the_booking_policy(self):
        """The employee's and the employer's visits link to self-booking
        only for the visit types open to it"""
        A = self.ids['A']
        with Transaction().start(DB_NAME, 0) as transaction:
            VisitRequest = Pool().get('spsti.visit.request')
            visit_type = VisitRequest(A['booked']).visit_type
            policy = visit_type.booking_policy
            transaction.commit()
        self.addCleanup(self.set_policy, visit_type.id, policy)
        pages = [
            (email_of('A', 'salarie'), '/me',
                f"/me/booking/{A['booked']}", "Déplacer ou annuler en ligne"),
            (PROFILE_USERS['convocations'], f"/m/{A['member']}/visits",
                f"/m/{A['member']}/booking/{A['booked']}",
                "Déplacer en ligne"),
            ]
        for policy, shown in [('online', True), ('staff', False)]:
            self.set_policy(visit_type.id, policy)
            for email, page, link, label in pages:
                self.sign_in(email)
                text = self.request('GET', page).text
                self.assertEqual(self.url(link) in text, shown,
                    (policy, page))
                if shown:
                    self.assertIn(label, text)

    @staticmethod
    def set_policy(visit_type_id, policy):
        with Transaction().start(DB_NAME, 0) as transaction:
            VisitType = Pool().get('spsti.visit.type')
            VisitType.write([VisitType(visit_type_id)],
                {'booking_policy': policy})
            transaction.commit()
