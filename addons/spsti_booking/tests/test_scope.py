"""The portal's access tests (spsti_portal's test_scope) on the pages of
self-booking: without a session, with another member's or employee's ids,
by profile (only the convocations profile books for the employer),
without CSRF token, and no health content on the employer's pages."""
from trytond.modules.spsti_portal.tests import test_scope


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
