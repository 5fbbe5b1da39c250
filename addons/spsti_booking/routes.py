"""The self-booking pages of the portal: from a visit request, the employee
(/me/booking/<request>) or the employer with the convocations profile
(/m/<member>/booking/<request>) picks a free slot the service offers,
moves or cancels it. They are registered on import, with the portal's own
sign-in, CSRF and scope; on a database where this module is not activated
they answer 404."""
import os
from itertools import groupby

from jinja2 import ChoiceLoader, FileSystemLoader

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.modules.spsti_planning.slot import timezone, to_local
from trytond.modules.spsti_portal.routes import (
    VISIT_LINKS, addon_page, employee_page, employer_requests, member_page,
    portal_route, templates)
from trytond.transaction import Transaction

templates.loader = ChoiceLoader([templates.loader, FileSystemLoader(
            os.path.join(os.path.dirname(__file__), 'templates'))])
OPEN_STATES = ['to_plan', 'planned']
# The portal's pages are in French.
WEEKDAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi',
    'dimanche']


def visit_links(page, requests, space):
    """The link to book a slot, or to move or cancel the appointment, on
    the visits whose type is open to self-booking."""
    links = {}
    for request in requests:
        if (request.visit_type.booking_policy != 'online'
                or request.state not in OPEN_STATES):
            continue
        if space == 'employee':
            url = page.url(f'/me/booking/{request.id}')
            label = ("Déplacer ou annuler en ligne" if request.slot
                else "Choisir mon rendez-vous")
        else:
            url = page.url(f'/m/{page.member.id}/booking/{request.id}')
            label = ("Déplacer en ligne" if request.slot
                else "Choisir un créneau en ligne")
        links[request.id] = [(url, label)]
    return links


VISIT_LINKS.append(('spsti_booking', visit_links))


@portal_route('/me/booking/<int:request_id>', methods=('GET', 'POST'))
@addon_page('spsti_booking')
@employee_page
def employee_booking(page, request_id):
    request = employee_request(page, request_id)
    return booking(page, request, 'employee_portal', '/me')


@portal_route('/me/booking/<int:request_id>/cancel', methods=('POST',))
@addon_page('spsti_booking')
@employee_page
def employee_booking_cancel(page, request_id):
    request = employee_request(page, request_id)
    return cancel(page, request, 'employee_portal', '/me')


@portal_route('/m/<int:member>/booking/<int:request_id>',
    methods=('GET', 'POST'))
@addon_page('spsti_booking')
@member_page('convocations')
def member_booking(page, request_id):
    request = page.record('spsti.visit.request', request_id,
        employer_requests(page.member))
    return booking(page, request, 'employer_portal',
        f'/m/{page.member.id}/visits')


@portal_route('/m/<int:member>/booking/<int:request_id>/cancel',
    methods=('POST',))
@addon_page('spsti_booking')
@member_page('convocations')
def member_booking_cancel(page, request_id):
    request = page.record('spsti.visit.request', request_id,
        employer_requests(page.member))
    return cancel(page, request, 'employer_portal',
        f'/m/{page.member.id}/visits')


def employee_request(page, request_id):
    "The open visit request of the signed-in employee."
    return page.record('spsti.visit.request', request_id, [
            ('employee', '=', page.employee.id),
            ('state', 'in', OPEN_STATES),
            ])


def booking(page, request, channel, back):
    """The slots offered to request; posted, the slot chosen books the
    request, or moves its appointment. An error (the slot taken meanwhile,
    the delay passed) shows the page again with the slots still free."""
    Slot = page.pool.get('spsti.slot')
    error = None
    if page.request.method == 'POST':
        slot_id = page.param_int('slot')
        slots = Slot.search([('id', '=', slot_id)]) if slot_id else []
        consent = bool(page.request.form.get('consent'))
        try:
            if not slots:
                raise UserError(gettext('spsti_booking.msg_slot_required'))
            if request.state == 'planned':
                Slot.move_online(request, slots[0], channel, page.user,
                    consent=consent)
            else:
                Slot.book_online(slots[0], request, channel, page.user,
                    consent=consent)
            return page.redirect(back, done='booked')
        except UserError as e:
            # Nothing of a move half done is kept (the slot freed).
            Transaction().rollback()
            error = e.message
    return render(page, request, channel, back, error)


def cancel(page, request, channel, back):
    Slot = page.pool.get('spsti.slot')
    try:
        Slot.cancel_online(request, channel, page.user)
    except UserError as e:
        Transaction().rollback()
        return render(page, request, channel, back, e.message)
    return page.redirect(back, done='booking_cancelled')


def render(page, request, channel, back, error=None):
    Slot = page.pool.get('spsti.slot')
    # Read again: an error may have rolled back what the record holds.
    request = page.pool.get('spsti.visit.request')(request.id)
    online = request.visit_type.booking_policy == 'online'
    offer = Slot.offer(request) if online else []
    current = request.slot if request.state == 'planned' else None
    due = request.effective_due_date
    # The offer by day of the service's time zone, each slot with its
    # local time: a heading per day and the times as buttons.
    tz = timezone()
    days = [(f'{WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}',
            [(slot, to_local(slot.start, tz)) for slot in slots])
        for day, slots in groupby(offer,
            key=lambda s: to_local(s.start, tz).date())]
    return page.render('booking.html', request=request, offer=offer,
        days=days,
        current=current, online=online, error=error, back=back,
        action=page.request.path.rstrip('/'),
        employee_space=channel == 'employee_portal',
        after_due={s.id for s in offer
            if due and s.start.date() > due},
        consent_needed=(channel == 'employee_portal'
            and not request.teleconsultation_consent))
