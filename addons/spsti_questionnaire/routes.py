"""The questionnaire on the portal: the employee answers (or declines) in
their space, on a phone as well; at the centre, a kiosk opened by the
staff shows the questionnaire of the employee who typed the code of the
convocation, and nothing else."""
import os
from http import HTTPStatus

from jinja2 import ChoiceLoader, FileSystemLoader

import trytond.config as config
from trytond.i18n import gettext
from trytond.modules.spsti_portal import routes as portal
from trytond.modules.spsti_portal.routes import (
    addon_page, employee_page, portal_route)
from trytond.protocols.wrappers import abort

from .exceptions import AnswerError, ResponseError
from .questionnaire import NO, YES

MODULE = 'spsti_questionnaire'
KIOSK_COOKIE = 'spsti_kiosk'

portal.templates.loader = ChoiceLoader([portal.templates.loader,
        FileSystemLoader(os.path.join(os.path.dirname(__file__),
                'templates'))])


def options(question):
    "The (value, label) a question offers to tick."
    if question.kind == 'boolean':
        return [(YES, gettext('spsti_questionnaire.msg_answer_yes')),
            (NO, gettext('spsti_questionnaire.msg_answer_no'))]
    if question.kind == 'scale':
        return [(str(i), str(i))
            for i in range(question.scale_min, question.scale_max + 1)]
    return [(o, o) for o in question.options]


def trigger(question):
    """The id of the input whose ticking shows question (its condition),
    for the style sheet that shows conditional questions."""
    condition = question.condition_question
    values = [v for v, _ in options(condition)]
    if question.condition_value in values:
        return f'q{condition.id}_{values.index(question.condition_value)}'


def posted(page, questions):
    "The raw answers of the form: {question id: str or list}."
    form = page.request.form
    return {q.id: (form.getlist(f'q{q.id}') if q.kind == 'multiple'
            else form.get(f'q{q.id}', ''))
        for q in questions}


def answer(page, response, channel):
    """Show the questionnaire of response and take its answers or the
    decline; returns the page to show, or None once it is sent."""
    Response = page.pool.get('spsti.questionnaire.response')
    questions = response.questions()
    errors, raw = [], {}
    if page.request.method == 'POST':
        if page.request.form.get('action') == 'decline':
            response.check_state('sent')
            Response.decline([response], channel)
            return None
        raw = posted(page, questions)
        try:
            response.submit(raw, channel)
            return None
        except (AnswerError, ResponseError) as e:
            errors = e.message.split('\n')
    return page.render('questionnaire_form.html', response=response,
        questions=questions, raw=raw, errors=errors, options=options,
        trigger=trigger, kiosk=channel == 'kiosk')


def visit_links(page, requests, space):
    "The link to each questionnaire to answer, on the employee's visits."
    if space != 'employee':
        return {}
    Response = page.pool.get('spsti.questionnaire.response')
    links = {}
    for response in Response.search([
                ('request', 'in', [r.id for r in requests]),
                ('state', '=', 'sent'),
                ]):
        request = response.request
        links[request.id] = [(
                page.url(f'/me/visits/{request.id}/questionnaire'),
                "Répondre au questionnaire avant la visite")]
    return links


portal.VISIT_LINKS.append((MODULE, visit_links))


# The employee space

@portal_route('/me/visits/<int:request_id>/questionnaire',
    methods=('GET', 'POST'))
@addon_page(MODULE)
@employee_page
def employee_questionnaire(page, request_id):
    """The questionnaires of a visit of the employee, one after the other;
    once all are answered or declined, a thank-you."""
    Response = page.pool.get('spsti.questionnaire.response')
    request = page.record('spsti.visit.request', request_id, [
            ('employee', '=', page.employee.id),
            ])
    responses = Response.search([
            ('request', '=', request.id),
            ('state', '!=', 'cancelled'),
            ], order=[('id', 'ASC')])
    if not responses:
        abort(HTTPStatus.NOT_FOUND)
    pending = [r for r in responses if r.state == 'sent']
    if pending:
        shown = answer(page, pending[0], 'portal')
        if shown:
            return shown
        return page.redirect(f'/me/visits/{request.id}/questionnaire')
    return page.render('questionnaire_done.html', request=request,
        responses=responses)


# The kiosk at the centre

def kiosk_of(page):
    Kiosk = page.pool.get('spsti.questionnaire.kiosk')
    return Kiosk.from_token(page.request.cookies.get(KIOSK_COOKIE))


@portal_route('/kiosk', methods=('GET', 'POST'), login=False)
@addon_page(MODULE)
def kiosk(page):
    """Borne: opened with the activation code the staff got from the
    software, then waits for the code of a convocation."""
    pool = page.pool
    Kiosk = pool.get('spsti.questionnaire.kiosk')
    Attempt = pool.get('web.user.authenticate.attempt')
    form = page.request.form
    error = None
    current = kiosk_of(page)
    if current is None:
        if page.request.method == 'POST':
            if Attempt.count_ip() > config.getint(
                    'session', 'max_attempt_ip_network', default=300):
                abort(HTTPStatus.TOO_MANY_REQUESTS)
            token = Kiosk.activate(form.get('activation_code', ''))
            if token:
                response = page.redirect('/kiosk')
                page.set_cookie(response, KIOSK_COOKIE, token, 'Strict')
                return response
            Attempt.add('spsti-kiosk')
            error = gettext('spsti_questionnaire.msg_kiosk_activation_invalid')
        return page.render('kiosk.html', step='activate', error=error,
            status=HTTPStatus.UNAUTHORIZED if error else HTTPStatus.OK)
    if current.current():
        return page.redirect('/kiosk/questionnaire')
    if page.request.method == 'POST':
        try:
            current.identify(form.get('code', ''))
            return page.redirect('/kiosk/questionnaire')
        except ResponseError as e:
            error = e.message
    return page.render('kiosk.html', step='code', kiosk=current,
        error=error,
        status=HTTPStatus.UNAUTHORIZED if error else HTTPStatus.OK)


@portal_route('/kiosk/questionnaire', methods=('GET', 'POST'), login=False)
@addon_page(MODULE)
def kiosk_questionnaire(page):
    """The questionnaire of the employee identified at the kiosk; the
    kiosk forgets them once it is sent or declined, when they leave, or
    after the timeout."""
    current = kiosk_of(page)
    response = current.current() if current else None
    if not response:
        return page.redirect('/kiosk')
    if page.request.form.get('action') == 'leave':
        current.forget()
        return page.redirect('/kiosk')
    shown = answer(page, response, 'kiosk')
    if shown:
        return shown
    current.forget()
    return page.render('kiosk.html', step='done', kiosk=current)
