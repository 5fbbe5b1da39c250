"""Self-booking in a phone-sized Chromium: the demo employee books a slot
for the visit they asked for and receives the confirmation email, whose
calendar file (.ics) gives the slot chosen."""
import datetime as dt
import time
from zoneinfo import ZoneInfo

import icalendar

from .test_portal import EMPLOYEE, assert_fits, shot


def mail_to(smtp, address, timeout=30):
    "The first message received for address (sent when the booking commits)."
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.messages:
            if address in message['To']:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no message to {address}")


def test_employee_books_a_slot(product, smtp, phone):
    """The employee picks the first free slot of the visit they asked for;
    the confirmation carries a calendar request at that time"""
    phone.goto(product['portal'])
    phone.get_by_label('Adresse e-mail').fill(EMPLOYEE)
    phone.get_by_text('Se connecter avec un mot de passe').click()
    phone.get_by_label('Mot de passe').fill('spsti-demo')
    phone.get_by_role('button', name='Se connecter', exact=True).click()
    visit = phone.locator('section').filter(
        has=phone.get_by_role('heading', name='Visite à la demande'))
    visit.get_by_role('link', name='Choisir mon rendez-vous').click()
    phone.get_by_role('heading', name='Choisir un créneau').wait_for()
    assert_fits(phone)
    shot(phone, 'booking')
    # The slots come by day (a heading), the times as buttons.
    choice = phone.locator('input[name=slot]').first
    button = phone.locator(f'label[for="{choice.get_attribute("id")}"]')
    day = choice.locator('xpath=ancestor::fieldset/legend').inner_text()
    time_ = button.locator('strong').inner_text()
    box = button.bounding_box()
    assert box['height'] >= 40 and box['width'] < phone.viewport_size[
        'width'] / 2
    button.click()
    assert choice.is_checked()
    smtp.messages.clear()
    phone.get_by_role('button', name='Réserver ce créneau').click()
    phone.get_by_text('Votre rendez-vous est réservé').wait_for()
    # "lundi 02/03/2026" and "09:00": shown as "02/03/2026 à 09:00".
    chosen = f'{day.split()[-1]} à {time_}'
    assert chosen in phone.inner_text('main')

    message = mail_to(smtp, EMPLOYEE)
    part, = [p for p in message.iter_attachments()
        if p.get_content_type() == 'text/calendar']
    assert part.get_param('method') == 'REQUEST'
    calendar = icalendar.Calendar.from_ical(part.get_content())
    event, = calendar.walk('VEVENT')
    start = event.decoded('dtstart')
    assert start.tzinfo is not None
    # The page shows the slot in Paris time.
    shown = dt.datetime.strptime(chosen, '%d/%m/%Y à %H:%M')
    assert start.astimezone(ZoneInfo('Europe/Paris')).replace(
        tzinfo=None) == shown
    assert event.decoded('dtend') > start
    assert str(event['uid']).startswith('spsti-visit-')
    shot(phone, 'booking_done')
