"The demo admin logs into the web client and opens the SPSTI menu."
import re

from playwright.sync_api import expect

from .conftest import artefacts_dir, sao_login


def test_admin_opens_spsti_menu(product, page):
    sao_login(page, product['url'], 'admin', 'admin')
    menu = page.locator('#menu')
    spsti = menu.get_by_text('SPSTI', exact=True)
    spsti.wait_for()
    spsti.click()
    # The French labels of the module show under it.
    menu.get_by_text('Organisation', exact=True).click()
    menu.get_by_text('Équipes pluridisciplinaires', exact=True).click()
    # The list of teams opens in a tab and shows the demo teams.
    page.wait_for_selector('.tab-pane.active table tbody tr', timeout=30000)
    rows = page.locator('.tab-pane.active table tbody tr')
    assert rows.count() >= 2
    assert 'Équipe' in page.locator('.tab-pane.active').inner_text()
    page.screenshot(path=str(artefacts_dir() / 'spsti_menu.png'))


def test_planning_staff_sees_due_visits(product, page):
    "A planning assistant opens the échéancier of the demo workforce"
    sao_login(page, product['url'], 'planification', 'spsti-demo')
    menu = page.locator('#menu')
    menu.get_by_text('SPSTI', exact=True).click()
    menu.get_by_text('Suivi individuel', exact=True).click()
    menu.get_by_text('Demandes de visite', exact=True).click()
    page.wait_for_selector('.tab-pane.active table tbody tr', timeout=30000)
    content = page.locator('.tab-pane.active').inner_text()
    assert 'À planifier' in content and 'En retard' in content
    assert page.locator('.tab-pane.active table tbody tr').count() >= 10
    # Configuration is for administrators only.
    assert menu.get_by_text('Configuration', exact=True).count() == 0
    page.screenshot(path=str(artefacts_dir() / 'visit_requests.png'))


def test_run_output_gives_access(product):
    "The run command prints the URL, the login and the password"
    output = product['log'].read_text()
    assert product['url'] in output
    assert 'Login: admin' in output and 'Password: admin' in output


def test_nurse_opens_her_agenda(product, page):
    "A nurse opens her own agenda: a week calendar with her visits and a "
    "workplace action"
    sao_login(page, product['url'], 'infirmier', 'spsti-demo')
    menu = page.locator('#menu')
    menu.get_by_text('SPSTI', exact=True).click()
    menu.get_by_text('Agendas', exact=True).click()
    menu.get_by_text('Mon agenda', exact=True).click()
    page.wait_for_selector('.tab-pane.active .fc-event', timeout=30000)
    events = page.locator('.tab-pane.active .fc-event')
    assert events.count() >= 5
    content = page.locator('.tab-pane.active').inner_text()
    # The demo plans each team's actions on Tuesday afternoons.
    assert 'Visite des lieux' in content or 'Étude de poste' in content \
        or 'Métrologie' in content or 'sensibilisation' in content
    # The actions are from 14:00 to 16:00, Paris time.
    assert '14:00 - 16:00' in content
    assert '(VIP-' in content
    # The backlog may have booked every slot of the week: free ones are
    # then in a later week.
    for _ in range(4):
        if 'Libre' in content:
            break
        page.locator('.tab-pane.active .fc-next-button').click()
        page.wait_for_timeout(2000)
        content = page.locator('.tab-pane.active').inner_text()
    assert 'Libre' in content
    page.locator('.tab-pane.active .fc-scroller').evaluate(
        'element => element.scrollTop = element.scrollHeight * 0.3')
    page.screenshot(path=str(artefacts_dir() / 'my_agenda.png'))


def test_doctor_opens_a_medical_file(product, page):
    "The doctor lists the medical files of the team and opens one"
    sao_login(page, product['url'], 'medecin', 'spsti-demo')
    menu = page.locator('#menu')
    menu.get_by_text('SPSTI', exact=True).click()
    menu.get_by_text('Médecine du travail', exact=True).click()
    menu.get_by_text('Dossiers médicaux', exact=True).click()
    rows = page.locator('.tab-pane.active table tbody tr')
    rows.first.wait_for(timeout=30000)
    assert rows.count() >= 1
    rows.first.dblclick()
    page.wait_for_selector('.tab-pane.active .form', timeout=30000)
    content = page.locator('.tab-pane.active').first.inner_text()
    assert 'Consultations' in content and 'Antécédents' in content
    page.screenshot(path=str(artefacts_dir() / 'medical_file.png'))


def test_planning_staff_has_no_medical_menu(product, page):
    "Planning staff do not see the medical files"
    sao_login(page, product['url'], 'planification', 'spsti-demo')
    menu = page.locator('#menu')
    menu.get_by_text('SPSTI', exact=True).click()
    menu.get_by_text('Agendas', exact=True).wait_for()
    assert menu.get_by_text('Médecine du travail', exact=True).count() == 0


def test_lists_show_date_and_time(product, page):
    """The lists of date-times open: Sao 8.0 has no date-time column in a
    list, a date one and a time one stand for it"""
    errors = []
    page.on('pageerror', lambda error: errors.append(error))
    sao_login(page, product['url'], 'admin', 'admin')
    menu = page.locator('#menu')
    menu.get_by_text('SPSTI', exact=True).click()
    # The access log to the second, the slots to the minute.
    for folder, name, tab, time in [
            ('Médecine du travail', 'Accès aux dossiers médicaux', 'Toutes',
                r'\d\d:\d\d:\d\d'),
            ('Agendas', 'Créneaux', None, r'\d\d:\d\d(?!:)'),
            ]:
        menu.get_by_text(folder, exact=True).click()
        menu.get_by_text(name, exact=True).click()
        pane = page.locator('.tab-pane.active').filter(
            has_text=f'{folder} / {name}')
        if tab:
            pane.get_by_text(tab, exact=True).click()
        expect(pane.locator('table tbody tr').first).to_contain_text(
            re.compile(r'\d\d\.\d\d\.\d{4}\s*' + time), timeout=30000)
    assert not errors, errors
