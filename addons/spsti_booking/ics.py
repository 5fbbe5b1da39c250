"""The calendar file (.ics, iCalendar RFC 5545 with the iTIP methods of
RFC 5546) of an appointment, written by the icalendar library: one UID per
visit request, so that a move replaces the event (higher SEQUENCE) and a
cancellation removes it in the employee's calendar."""
import datetime as dt

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = '-//SPSTI ERP//Rendez-vous//FR'


def uid(request, domain):
    "The stable identifier of the appointments of request."
    return f'spsti-visit-{request.id}@{domain}'


def appointment(request, slot, method, sequence, organizer, attendees,
        summary, location, description, now=None):
    """The calendar of method (REQUEST or CANCEL) for the appointment of
    request in slot, times in UTC; returns bytes."""
    now = now or dt.datetime.now(dt.timezone.utc)
    calendar = Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('method', method)
    event = Event()
    event.add('uid', uid(request, organizer.split('@')[-1]))
    event.add('sequence', sequence)
    event.add('dtstamp', now)
    event.add('dtstart', slot.start.replace(tzinfo=dt.timezone.utc))
    event.add('dtend', slot.end.replace(tzinfo=dt.timezone.utc))
    event.add('summary', summary)
    event.add('location', location)
    event.add('description', description)
    if slot.video_link:
        event.add('url', slot.video_link)
    event.add('status', 'CANCELLED' if method == 'CANCEL' else 'CONFIRMED')
    event.add('transp', 'OPAQUE')
    event['organizer'] = vCalAddress(f'mailto:{organizer}')
    for email in attendees:
        attendee = vCalAddress(f'mailto:{email}')
        attendee.params['role'] = vText('REQ-PARTICIPANT')
        event.add('attendee', attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()
