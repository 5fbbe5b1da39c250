"""The pre-visit questionnaire: the demo employee answers it on a phone
(a conditional question appears when its condition is ticked), then the
team's doctor finds the response pending qualification, with its
answers, in the web client."""
import re

from playwright.sync_api import expect

from .conftest import artefacts_dir, sao_login
from .test_portal import EMPLOYEE, assert_fits, shot

DETAIL = "Antihistaminique au printemps"


def answer_on_phone(phone, portal):
    "Sign in as the demo employee and answer; returns their last name."
    phone.goto(portal)
    phone.get_by_label('Adresse e-mail').fill(EMPLOYEE)
    phone.get_by_text('Se connecter avec un mot de passe').click()
    phone.get_by_label('Mot de passe').fill('spsti-demo')
    phone.get_by_role('button', name='Se connecter', exact=True).click()
    phone.get_by_text('Mes prochaines visites').wait_for()
    last_name = phone.inner_text('h1').split()[-1]
    phone.get_by_role('link',
        name='Répondre au questionnaire avant la visite').first.click()
    phone.get_by_role('heading',
        name='Questionnaire de santé avant la visite').wait_for()
    assert_fits(phone)

    def question(text):
        return phone.locator('fieldset', has_text=text)
    detail = phone.get_by_label('Lequel ?')
    expect(detail).to_be_hidden()
    # Sent without an answer: the required questions are named.
    phone.get_by_role('button', name='Envoyer mes réponses').click()
    alert = phone.get_by_role('alert')
    expect(alert).to_contain_text('Prenez-vous un traitement médical')
    question('Prenez-vous un traitement médical').get_by_label(
        'Oui').check()
    expect(detail).to_be_visible()
    detail.fill(DETAIL)
    question('votre sommeil').get_by_label('6', exact=True).check()
    question('arrêt de travail').get_by_label('Non').check()
    question('douleurs').get_by_label('Dos').check()
    shot(phone, 'questionnaire')
    phone.get_by_role('button', name='Envoyer mes réponses').click()
    # The noise questionnaire follows for an employee exposed to noise.
    done = phone.get_by_text('vos réponses ont été transmises').first
    noise = phone.get_by_role('heading', name='Exposition au bruit')
    expect(done.or_(noise)).to_be_visible()
    if noise.is_visible():
        question('protections auditives').get_by_label('Toujours').check()
        question('sifflements').get_by_label('Non').check()
        phone.get_by_role('button', name='Envoyer mes réponses').click()
    expect(done).to_be_visible()
    assert_fits(phone)
    return last_name


def test_employee_answers_doctor_qualifies(product, phone, page):
    """The employee answers on a phone; the doctor sees the response
    pending qualification with its answers"""
    last_name = answer_on_phone(phone, product['portal'])

    # The demo tells which doctor follows the demo employee's team.
    doctor = re.search(r'the doctor of \S+: (\S+)',
        product['log'].read_text()).group(1)
    sao_login(page, product['url'], doctor, 'spsti-demo')
    menu = page.locator('#menu')
    menu.get_by_text('SPSTI', exact=True).click()
    menu.get_by_text('Médecine du travail', exact=True).click()
    menu.get_by_text('Réponses aux questionnaires', exact=True).click()
    # The first tab lists the responses pending qualification.
    rows = page.locator('.tab-pane.active table tbody tr')
    try:
        rows.first.wait_for(timeout=30000)
    finally:
        page.screenshot(
            path=str(artefacts_dir() / 'questionnaire_list.png'))
    # The team's list is long: search the employee.
    search = page.locator('.tab-pane.active').first.get_by_placeholder(
        'Rechercher')
    search.fill(last_name)
    search.press('Enter')
    employee = re.compile(re.escape(last_name), re.I)
    expect(rows.filter(has_not_text=employee)).to_have_count(0,
        timeout=30000)
    row = rows.filter(has_text=employee).filter(
        has_text='Questionnaire de santé').first
    # On the date: the first cells are the column chooser and the
    # selection check box, the employee's cell is a link to the employee.
    cell = row.locator('td:not(.optional):not(.selection-state)').first
    # Selecting the row puts the search in the address; Sao handles that
    # change later and, were the form already open, would open the list's
    # address again in a new tab: the form is opened once it is done.
    cell.click()
    page.wait_for_function(
        "name => decodeURIComponent(location.hash).toLowerCase()"
        ".includes(name)", arg=last_name.lower())
    cell.dblclick()
    try:
        page.wait_for_selector('.tab-pane.active .form', timeout=30000)
    finally:
        page.screenshot(
            path=str(artefacts_dir() / 'questionnaire_pending.png'))
    form = page.locator('.tab-pane.active').first
    # The employee's answers, the detail of a conditional question included.
    answers = form.locator('.form-one2many table tbody tr')
    expect(answers.filter(has_text='Prenez-vous un traitement médical')
        ).to_contain_text('Oui', timeout=30000)
    expect(answers.filter(has_text=DETAIL)).to_have_count(1)
    # The state's list holds every state: the selected one is checked.
    expect(form.locator('select[name=state] option:checked')).to_have_text(
        'À qualifier')
    expect(form.get_by_role('button', name='Qualifier')).to_be_visible()
    page.screenshot(path=str(artefacts_dir() / 'questionnaire_pending.png'))
