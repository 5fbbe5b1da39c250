"The demo admin logs into the web client and opens the SPSTI menu."
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
