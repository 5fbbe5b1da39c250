"""The portal in a phone-sized Chromium: an employer signs in with the code
received by email, declares an entry, validates the annual declaration,
asks for a visit and downloads an invoice; an employee signs in with a
password, confirms the convocation, asks for another date and downloads
their opinion; a company applies online. Screenshots and the documents
downloaded are kept in the artefacts folder."""
import datetime as dt

import facturx

from .conftest import artefacts_dir

EMPLOYER = 'employeur@example.org'
EMPLOYEE = 'salarie@example.org'


def assert_fits(page):
    "Nothing wider than the phone's screen but scrollable tables."
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth")


def shot(page, name):
    page.screenshot(path=str(artefacts_dir() / f'portal_{name}.png'),
        full_page=True)


def download(page, link):
    "Click link; the file downloaded, kept with the artefacts."
    with page.expect_download() as info:
        link.click()
    path = artefacts_dir() / info.value.suggested_filename
    info.value.save_as(path)
    return path.read_bytes()


def test_employer_flow(product, smtp, phone):
    """The administrator of a member signs in with the code received by
    email, declares a newcomer, validates the annual declaration, asks
    for a visit and downloads a Factur-X invoice"""
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
    shot(phone, 'employer')

    # An entry.
    phone.get_by_role('link', name='Salariés', exact=True).click()
    phone.get_by_role('link', name='Déclarer une entrée').click()
    phone.get_by_label('Nom de naissance').fill("Navarro")
    phone.get_by_label('Prénoms').fill("Lucía")
    phone.get_by_label('Date de naissance').fill('1998-04-17')
    phone.get_by_label('Sexe').select_option(label='Féminin')
    phone.get_by_label('Contrat').select_option('cdd')
    phone.get_by_label("Date d'entrée").fill(
        dt.date.today().isoformat())
    phone.get_by_label('Code PCS-ESE du poste (ex. 431f)').fill('431f')
    phone.get_by_label("Intitulé du poste dans l'entreprise").fill(
        "Aide-soignante de nuit")
    assert_fits(phone)
    phone.get_by_role('button', name="Enregistrer l'entrée").click()
    phone.get_by_text("L'entrée a été enregistrée").wait_for()
    phone.get_by_label('Rechercher un salarié').fill("Navarro")
    phone.get_by_role('button', name='Rechercher').click()
    assert "NAVARRO" in phone.inner_text('main table')
    shot(phone, 'entry')

    # The annual declaration, its inconsistencies, its validation and the
    # satisfaction question.
    phone.get_by_role('link', name='Déclaration annuelle').click()
    phone.get_by_role('button',
        name='Mettre à jour à partir de mes salariés').click()
    phone.get_by_text('La déclaration a été mise à jour').wait_for()
    confirm = phone.get_by_label(
        'Je confirme cet effectif malgré les incohérences signalées')
    if confirm.count():
        confirm.check()
    shot(phone, 'declaration')
    phone.get_by_role('button', name='Valider la déclaration').click()
    phone.get_by_text('Votre déclaration est validée').wait_for()
    phone.get_by_label('Satisfait', exact=True).check()
    phone.get_by_role('button', name='Envoyer').click()
    phone.get_by_text('Merci pour votre réponse').wait_for()

    # A visit asked for an employee.
    phone.get_by_role('link', name='Salariés', exact=True).click()
    phone.get_by_role('link', name='Demander une visite').first.click()
    phone.get_by_label('Type de visite').select_option(
        label='Visite à la demande')
    phone.get_by_label('Motif de la demande').fill(
        "Plainte de douleurs au poste")
    phone.get_by_role('button', name='Envoyer la demande').click()
    phone.get_by_text('Votre demande de visite a été transmise').wait_for()
    assert_fits(phone)
    shot(phone, 'visits')

    # An invoice, a PDF carrying its Factur-X XML.
    phone.get_by_role('link', name='Factures').click()
    pdf = download(phone, phone.get_by_role('link',
            name='PDF Factur-X').first)
    assert pdf.startswith(b'%PDF')
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == 'factur-x.xml'
    assert b'CrossIndustryInvoice' in xml
    shot(phone, 'invoices')

    phone.get_by_role('button', name='Se déconnecter').click()
    assert phone.url.endswith('/portal/login')


def test_employee_flow(product, phone):
    """An employee signs in with a password, confirms the convocation,
    asks for another date, downloads their opinion and reads their
    advice"""
    phone.goto(product['portal'])
    phone.get_by_label('Adresse e-mail').fill(EMPLOYEE)
    phone.get_by_text('Se connecter avec un mot de passe').click()
    phone.get_by_label('Mot de passe').fill('spsti-demo')
    phone.get_by_role('button', name='Se connecter', exact=True).click()
    phone.get_by_text('Mes prochaines visites').wait_for()
    content = phone.inner_text('main')
    assert 'Mes postes' in content and 'Demander une visite' in content
    assert_fits(phone)
    shot(phone, 'employee')

    convocation = download(phone, phone.get_by_role('link',
            name='Ma convocation (PDF)').first)
    assert convocation.startswith(b'%PDF')
    # The first visit: a visit booked online by test_booking may follow.
    phone.get_by_role('button', name='Je confirme ma présence').first.click()
    phone.get_by_text('Merci, votre présence est confirmée').wait_for()
    assert 'Présence confirmée' in phone.inner_text('main')
    phone.get_by_text('Demander un autre rendez-vous').first.click()
    phone.get_by_label('Motif du changement de date').first.fill(
        "En formation ce jour-là")
    phone.get_by_role('button', name='Envoyer', exact=True).first.click()
    phone.get_by_text('Le service va vous proposer un autre rendez-vous'
        ).wait_for()
    shot(phone, 'employee_reschedule')

    opinion = download(phone, phone.get_by_role('link',
            name='télécharger').first)
    assert opinion.startswith(b'%PDF')
    phone.get_by_role('link', name='Mes conseils de prévention').click()
    phone.get_by_role('heading', name='Mes conseils de prévention'
        ).wait_for()
    assert_fits(phone)
    shot(phone, 'advice')


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
    phone.get_by_role('group', name='Cette démarche en ligne').get_by_label(
        'Satisfait', exact=True).check()
    phone.get_by_role('group', name='Les informations reçues').get_by_label(
        'Très satisfait', exact=True).check()
    assert_fits(phone)
    smtp.messages.clear()
    phone.get_by_role('button', name="Envoyer la demande d'adhésion").click()
    phone.get_by_text("Demande d'adhésion enregistrée").first.wait_for()
    assert smtp.messages[-1]['To'] == 'gerant@boulangerie.fr'
    phone.screenshot(path=str(artefacts_dir() / 'portal_adhesion.png'),
        full_page=True)
