"""Two browsers race for the last free slot on PostgreSQL: the employer
(from one server process) and the employee (from another) submit the same
slot at the same moment; exactly one gets it, the other sees the clear
error on the page, which offers what is left."""
import pytest

from .conftest import query, server

EMPLOYER = 'employeur@example.org'
EMPLOYEE = 'salarie@example.org'
PASSWORD = 'spsti-demo'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update']


def sign_in(page, portal, email):
    page.goto(portal + '/login')
    page.get_by_label('Adresse e-mail').fill(email)
    page.get_by_text('Se connecter avec un mot de passe').click()
    page.get_by_label('Mot de passe').fill(PASSWORD)
    page.get_by_role('button', name='Se connecter', exact=True).click()
    page.wait_for_load_state()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path='/usr/bin/chromium', args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_two_browsers_race_for_the_last_slot(production, chromium):
    uri, db = production['uri'], production['db']
    (employee_request, member), = query(uri, db,
        "SELECT r.id, r.member FROM spsti_visit_request AS r "
        "JOIN web_user AS u ON u.employee = r.employee "
        "JOIN spsti_visit_type AS t ON t.id = r.visit_type "
        "WHERE u.email = %s AND r.state = 'to_plan' AND t.code = 'DEMANDE'",
        (EMPLOYEE,))
    config = "[spsti_portal]\nsecure_cookie = False\n"
    with server(production, 'booking-1', config) as first, \
            server(production, 'booking-2', config) as second:
        employee = chromium.new_context(locale='fr-FR',
            timezone_id='Europe/Paris').new_page()
        employer = chromium.new_context(locale='fr-FR',
            timezone_id='Europe/Paris').new_page()
        sign_in(employee, first + '/portal', EMPLOYEE)
        sign_in(employer, second + '/portal', EMPLOYER)
        # The employer asks for a visit (à la demande) for a colleague of
        # the employee, to book online.
        (assignment,), = query(uri, db,
            "SELECT a.id FROM spsti_assignment AS a "
            "JOIN spsti_visit_request AS r ON r.id = %s "
            "WHERE a.member = r.member AND a.employee != r.employee "
            "AND (a.end_date IS NULL OR a.end_date >= CURRENT_DATE) "
            "ORDER BY a.id LIMIT 1", (employee_request,))
        employer.goto(f'{second}/portal/m/{member}/visits'
            f'?assignment={assignment}')
        employer.get_by_label('Type de visite').select_option(
            label='Visite à la demande')
        employer.get_by_label('Motif de la demande').fill(
            "Aménagement de poste à discuter")
        employer.get_by_role('button', name='Envoyer la demande').click()
        employer.get_by_text('Votre demande de visite a été transmise'
            ).wait_for()
        (employer_request,), = query(uri, db,
            "SELECT id FROM spsti_visit_request WHERE assignment = %s "
            "AND origin = 'employer' AND state = 'to_plan'", (assignment,))
        employee.goto(f'{first}/portal/me/booking/{employee_request}')
        slot = int(employee.locator('input[name=slot]').first
            .get_attribute('value'))
        # The last free slot of the service: the others are cancelled for
        # the time of the test.
        others = [i for i, in query(uri, db,
                "UPDATE spsti_slot SET state = 'cancelled' "
                "WHERE state = 'free' AND id != %s RETURNING id", (slot,))]
        try:
            employee.reload()
            employer.goto(f'{second}/portal/m/{member}/booking/'
                f'{employer_request}')
            for page in [employee, employer]:
                choices = page.locator('input[name=slot]')
                assert choices.count() == 1
                assert choices.first.get_attribute('value') == str(slot)
                choices.first.check()
            # Both forms are sent before either answer comes back.
            for page in [employee, employer]:
                page.get_by_role('button', name='Réserver ce créneau').click(
                    no_wait_after=True)
            for page in [employee, employer]:
                page.wait_for_selector('p.ok, p.error', timeout=120000)
            texts = [p.inner_text('main') for p in [employee, employer]]
        finally:
            query(uri, db, "UPDATE spsti_slot SET state = 'free' "
                "WHERE id = ANY(%s) AND state = 'cancelled' RETURNING id",
                (others,))
    booked = [t for t in texts if 'rendez-vous est réservé' in t]
    refused = [t for t in texts if "n'est pas libre" in t]
    assert len(booked) == 1 and len(refused) == 1, texts
    assert "Aucun créneau libre n'est ouvert" in refused[0]
    (state, request, channel), = query(uri, db,
        "SELECT state, request, channel FROM spsti_slot WHERE id = %s",
        (slot,))
    winner = employee_request if 'Votre rendez-vous' in booked[0] else (
        employer_request)
    assert state == 'booked' and request == winner
    assert channel == ('employee_portal' if winner == employee_request
        else 'employer_portal')
    loser = ({employee_request, employer_request} - {winner}).pop()
    (loser_state,), = query(uri, db,
        "SELECT state FROM spsti_visit_request WHERE id = %s", (loser,))
    assert loser_state == 'to_plan'
