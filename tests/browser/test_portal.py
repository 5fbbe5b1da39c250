"""The portal in a phone-sized Chromium: an employer signs in with the code
received by email and asks for a visit; an employee signs in with a
password and finds their convocation."""
import pytest

from .conftest import artefacts_dir

EMPLOYER = 'employeur@example.org'
EMPLOYEE = 'salarie@example.org'


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale='fr-FR', timezone_id='Europe/Paris',
        viewport={'width': 390, 'height': 844}, is_mobile=True,
        has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def assert_fits(page):
    "Nothing wider than the phone's screen but scrollable tables."
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth")


def test_employer_signs_in_with_code_and_requests_visit(product, smtp,
        phone):
    phone.goto(product['portal'])
    assert phone.url.endswith('/portal/login')
    assert_fits(phone)
    phone.get_by_label('Adresse e-mail').fill(EMPLOYER)
    smtp.messages.clear()
    phone.get_by_role('button', name='Recevoir un code de connexion').click()
    phone.get_by_label('Code reçu').fill(smtp.code_for(EMPLOYER))
    phone.get_by_role('button', name='Valider').click()
    phone.wait_for_selector('h1')
    assert 'Adhérent n°' in phone.inner_text('main')
    assert_fits(phone)
    phone.screenshot(path=str(artefacts_dir() / 'portal_employer.png'),
        full_page=True)

    phone.get_by_role('link', name='Salariés', exact=True).click()
    phone.get_by_role('link', name='Demander une visite').first.click()
    phone.get_by_label('Type de visite').select_option(
        label='Visite à la demande')
    phone.get_by_label('Motif de la demande').fill(
        "Plainte de douleurs au poste")
    phone.get_by_role('button', name='Envoyer la demande').click()
    phone.get_by_text('Votre demande de visite a été transmise').wait_for()
    assert_fits(phone)
    phone.screenshot(path=str(artefacts_dir() / 'portal_visits.png'),
        full_page=True)

    phone.get_by_role('button', name='Se déconnecter').click()
    assert phone.url.endswith('/portal/login')


def test_employee_signs_in_with_password(product, phone):
    phone.goto(product['portal'])
    phone.get_by_label('Adresse e-mail').fill(EMPLOYEE)
    phone.get_by_text('Se connecter avec un mot de passe').click()
    phone.get_by_label('Mot de passe').fill('spsti-demo')
    phone.get_by_role('button', name='Se connecter', exact=True).click()
    phone.get_by_text('Mes prochaines visites').wait_for()
    content = phone.inner_text('main')
    assert 'Mes postes' in content and 'Demander une visite' in content
    assert_fits(phone)
    phone.screenshot(path=str(artefacts_dir() / 'portal_employee.png'),
        full_page=True)


def test_run_output_gives_portal(product):
    output = product['log'].read_text()
    assert product['portal'] in output


def test_company_applies_online(product, smtp, phone):
    from stdnum import luhn
    siren = '55203253' + luhn.calc_check_digit('55203253')
    siret = siren + '0001' + luhn.calc_check_digit(siren + '0001')
    phone.goto(product['portal'] + 'login')
    phone.get_by_role('link', name="Demander l'adhésion en ligne").click()
    phone.get_by_label('Raison sociale').fill("Boulangerie du Marché")
    phone.get_by_label('SIRET du siège (14 chiffres)').fill(siret)
    phone.get_by_label('Code NAF (APE), ex. 43.22A').fill('10.71C')
    phone.get_by_label('Adresse', exact=True).fill("2 place du Marché")
    phone.get_by_label('Code postal').fill('37000')
    phone.get_by_label('Ville').fill("Tours")
    phone.get_by_label('Nombre de salariés').fill('6')
    phone.get_by_label(
        'Dont salariés sur des postes à risques particuliers').fill('0')
    phone.get_by_label("Adresse e-mail de l'administrateur").fill(
        'gerant@boulangerie.fr')
    phone.get_by_label('Satisfait', exact=True).check()
    assert_fits(phone)
    smtp.messages.clear()
    phone.get_by_role('button', name="Envoyer la demande d'adhésion").click()
    phone.get_by_text("Demande d'adhésion enregistrée").first.wait_for()
    assert smtp.messages[-1]['To'] == 'gerant@boulangerie.fr'
    phone.screenshot(path=str(artefacts_dir() / 'portal_adhesion.png'),
        full_page=True)
