"""The portal's pages, served by trytond's own WSGI application under
/<database>/portal/ beside the web client's JSON-RPC: one server, one
database pool, the same gunicorn workers in production.

Portal users are web users, not ERP users: the pages run as the root user
and every query is limited to what the signed-in web user may see (the
members it has access to with the right profile, or its own employee).
Forms carry a CSRF token (double-submit cookie); the session cookie is
HttpOnly, Secure and SameSite=Lax, and the session expires after
`[session] web_timeout` seconds without activity."""
import datetime as dt
import hmac
import logging
import mimetypes
import os
import secrets
from functools import wraps
from urllib.parse import urlencode

from jinja2 import (
    Environment, FileSystemLoader, pass_context, select_autoescape)
from stdnum import iban as stdnum_iban
from werkzeug.utils import secure_filename

import trytond.config as config
from trytond import backend
from trytond.exceptions import RateLimitException, UserError
from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, exceptions, redirect, with_pool,
    with_transaction)
from trytond.modules.spsti_planning.slot import timezone, to_local
from trytond.transaction import Transaction
from trytond.wsgi import app

from .member_access import PREVENTION_PROFILES, PROFILES

logger = logging.getLogger(__name__)
SESSION_COOKIE = 'spsti_portal_session'
CSRF_COOKIE = 'spsti_portal_csrf'
PAGE_SIZE = 50
# The days of convocations to come the employer's planning shows.
PLANNING_DAYS = 30
# What the lists of visits show of a visit request.
REQUEST_COLUMNS = [
    'employee.last_name', 'employee.first_name', 'employee.usage_name',
    'employee.birth_date', 'visit_type.name']
# Visit requests the employer and the employee may ask for (visit type
# codes); the others are set by the due dates or by the doctor.
EMPLOYER_VISIT_TYPES = ['DEMANDE', 'REPRISE']
EMPLOYEE_VISIT_TYPES = ['DEMANDE', 'PREREPRISE']
SECURITY_HEADERS = {
    'Content-Security-Policy': (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'"),
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    }

templates = Environment(
    loader=FileSystemLoader(os.path.join(os.path.dirname(__file__),
            'templates')),
    autoescape=select_autoescape(['html']))
templates.filters['day'] = lambda d: d.strftime('%d/%m/%Y') if d else ''
templates.filters['amount'] = lambda a: (
    f'{a:,.2f} €'.replace(',', '\u202f').replace('.', ',')
    if a is not None else '')


@pass_context
def selection_label(context, record, field):
    "The label of the value of the selection field of record."
    labels = context['page'].labels
    key = (record.__name__, field)
    if key not in labels:
        labels[key] = dict(record.fields_get([field])[field]['selection'])
    return labels[key].get(getattr(record, field), '')


templates.filters['label'] = selection_label


@pass_context
def local_time(context, value):
    "value (UTC) at the service's time zone, read once per page."
    page = context['page']
    if page.timezone is None:
        page.timezone = timezone()
    return to_local(value, page.timezone).strftime('%d/%m/%Y à %H:%M') if (
        value) else ''


templates.filters['localtime'] = local_time


class Page:
    "What a portal handler knows of the request."

    def __init__(self, request, pool, database_name):
        self.request = request
        self.pool = pool
        self.base = f'/{database_name}/portal'
        self.user = None
        self.session = request.cookies.get(SESSION_COOKIE)
        self.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_hex(32)
        # The labels of selections and the time zone, read once per page.
        self.labels = {}
        self.timezone = None

    def url(self, path='', **params):
        url = self.base + path
        if params:
            url += '?' + urlencode({k: v for k, v in params.items()
                    if v not in (None, '')})
        return url

    def render(self, template, status=HTTPStatus.OK, **values):
        html = templates.get_template(template).render(
            page=self, user=self.user, **values)
        response = Response(html, status=status,
            content_type='text/html; charset=utf-8')
        return self.finish(response)

    def redirect(self, path, **params):
        return self.finish(redirect(self.url(path, **params), code=303))

    def file(self, content, filename, mimetype='application/pdf'):
        response = Response(bytes(content), content_type=mimetype)
        response.headers['Content-Disposition'] = (
            f'attachment; filename="{filename}"')
        return self.finish(response)

    def finish(self, response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if self.request.cookies.get(CSRF_COOKIE) != self.csrf:
            self.set_cookie(response, CSRF_COOKIE, self.csrf, 'Strict')
        return response

    def set_cookie(self, response, name, value, samesite='Lax'):
        response.set_cookie(name, value, path=self.base, httponly=True,
            secure=config.getboolean(
                'spsti_portal', 'secure_cookie', default=True),
            samesite=samesite)

    def check_csrf(self):
        sent = self.request.form.get('csrf_token', '')
        cookie = self.request.cookies.get(CSRF_COOKIE, '')
        if not cookie or not hmac.compare_digest(sent, cookie):
            abort(HTTPStatus.BAD_REQUEST,
                gettext('spsti_portal.msg_csrf_invalid'))

    def load_user(self):
        Session = self.pool.get('web.user.session')
        if self.session:
            self.user = Session.get_user(self.session)
            if self.user and not self.user.active:
                # A deactivated account loses its sessions at once.
                self.user = None
            if self.user:
                Session.reset(self.session)
        return self.user

    def record(self, model, record_id, domain, status=HTTPStatus.NOT_FOUND):
        """The record of model with record_id within the domain of what the
        user may see, else abort with status (404: nothing tells whether
        it exists)."""
        records = self.pool.get(model).search(
            [('id', '=', record_id)] + domain, limit=1)
        if not records:
            abort(status)
        return records[0]

    def param_int(self, name, default=None):
        try:
            return int(self.request.values.get(name, default))
        except (TypeError, ValueError):
            return default


def portal_route(path, methods=('GET',), login=True):
    """Register a portal page: a transaction as root in French, the signed-
    in web user loaded (else redirect to the sign-in), CSRF checked on
    POST, user errors shown on the page they came from."""
    def decorator(func):
        # Whether the page needs a session, for the tests that go through
        # every route.
        func.portal_login = login
        @app.route('/<database_name>/portal' + path, methods=list(methods))
        @database_unavailable
        @with_pool
        @with_transaction(readonly=False, context={'language': 'fr'})
        @wraps(func)
        def wrapper(request, pool, **kwargs):
            page = Page(request, pool, request.view_args['database_name'])
            if request.method == 'POST':
                page.check_csrf()
            if not page.load_user() and login:
                return page.redirect('/login')
            # The service's company: its time zone, its invoices.
            company = pool.get('company.company').search([], limit=1)
            with Transaction().set_context(
                    company=company[0].id if company else None):
                return func(page, **kwargs)
        return wrapper
    return decorator


def database_unavailable(func):
    """Answer 503 with a page of its own when the database cannot be
    reached (restart, failover), instead of an error that would show the
    connection's details; the next requests work again once it is back."""
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except exceptions.HTTPException as e:
            if not isinstance(e.description, backend.DatabaseOperationalError):
                raise
            logger.warning("portal: database unavailable: %s", e.description)
        except backend.DatabaseOperationalError as e:
            logger.warning("portal: database unavailable: %s", e)
        response = Response(
            templates.get_template('unavailable.html').render(),
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            content_type='text/html; charset=utf-8')
        response.headers['Retry-After'] = '30'
        response.headers.update(SECURITY_HEADERS)
        return response
    return wrapper


def member_page(*profiles):
    """A page of the employer space of a member, for users whose access to
    it grants one of profiles (any access when none is given); others get
    404 (nothing tells the member exists)."""
    def decorator(func):
        @wraps(func)
        def wrapper(page, member, **kwargs):
            access = page.user.member_access(member)
            if not access or (profiles and not access.allows_any(profiles)):
                abort(HTTPStatus.NOT_FOUND)
            page.access = access
            page.member = access.member
            return func(page, **kwargs)
        # What the page needs, for the tests that go through every route.
        wrapper.portal_profiles = profiles
        return wrapper
    return decorator


def activated(page, module):
    "Whether module is activated in the database of the page."
    Module = page.pool.get('ir.module')
    return bool(Module.search([
                ('name', '=', module),
                ('state', '=', 'activated'),
                ], limit=1))


def addon_page(module):
    """A page of an optional module: its routes are registered whenever
    its code is installed, so it answers 404 in the databases where the
    module is not activated."""
    def decorator(func):
        @wraps(func)
        def wrapper(page, **kwargs):
            if not activated(page, module):
                abort(HTTPStatus.NOT_FOUND)
            return func(page, **kwargs)
        wrapper.portal_module = module
        return wrapper
    return decorator


# What other modules add to the open visit requests of a page: (module,
# function) pairs, the function of (page, visit requests, space) giving
# {request id: [(url, label), ...]}, space being 'employee' (the employee's
# visits) or 'employer' (the member's visits, convocations profile). A
# module not activated in the page's database adds nothing.
VISIT_LINKS = []


def visit_links(page, requests, space):
    "The links of the modules of VISIT_LINKS, per visit request id."
    links = {}
    if not requests:
        return links
    for module, function in VISIT_LINKS:
        if not activated(page, module):
            continue
        for request_id, items in function(page, requests, space).items():
            links.setdefault(request_id, []).extend(items)
    return links


def employee_page(func):
    "A page of the employee space of the signed-in user."
    @wraps(func)
    def wrapper(page, **kwargs):
        if not page.user.employee:
            abort(HTTPStatus.NOT_FOUND)
        page.employee = page.user.employee
        return func(page, **kwargs)
    return wrapper


# Sign-in

@portal_route('/login', methods=('GET', 'POST'), login=False)
def login(page):
    if page.user:
        return page.redirect('/')
    email = page.request.form.get('email', '').strip()
    error = None
    if page.request.method == 'POST':
        User = page.pool.get('web.user')
        try:
            if page.request.form.get('action') == 'password':
                user = User.authenticate(email,
                    page.request.form.get('password', ''))
                if user:
                    return start_session(page, user)
                error = gettext('spsti_portal.msg_login_failed')
            else:
                User.send_login_code(email)
                return page.redirect('/login/code', email=email)
        except RateLimitException:
            error = gettext('spsti_portal.msg_rate_limited')
    return page.render('login.html', email=email, error=error,
        status=HTTPStatus.OK if not error else HTTPStatus.UNAUTHORIZED)


@portal_route('/login/code', methods=('GET', 'POST'), login=False)
def login_code(page):
    email = page.request.values.get('email', '').strip()
    error = None
    if page.request.method == 'POST':
        User = page.pool.get('web.user')
        try:
            user = User.authenticate_code(email,
                page.request.form.get('code', ''))
        except RateLimitException:
            user, error = None, gettext('spsti_portal.msg_rate_limited')
        if user:
            return start_session(page, user)
        error = error or gettext('spsti_portal.msg_code_invalid')
    return page.render('login_code.html', email=email, error=error,
        status=HTTPStatus.OK if not error else HTTPStatus.UNAUTHORIZED)


@portal_route('/adhesion', methods=('GET', 'POST'), login=False)
def adhesion(page):
    """Adhésion en ligne: the membership request of a new company, with
    the satisfaction questions at its end (the process, the information
    received)."""
    pool = page.pool
    Member = pool.get('spsti.member')
    Satisfaction = pool.get('spsti.portal.satisfaction')
    Attempt = pool.get('web.user.authenticate.attempt')
    form = page.request.form
    errors = []
    if page.request.method == 'POST':
        if Attempt.count_ip() > config.getint(
                'session', 'max_attempt_ip_network', default=300):
            abort(HTTPStatus.TOO_MANY_REQUESTS)
        values = {k: form.get(k, '').strip() for k in [
                'name', 'siret', 'street', 'postal_code', 'city', 'naf',
                'email', 'iban']}
        values['mandate'] = bool(form.get('mandate'))
        for name in ['workforce', 'workforce_sir']:
            values[name] = page.param_int(name)
        try:
            member = Member.apply_online(values)
        except UserError as e:
            errors = e.message.split('\n')
        else:
            scores = dict(Satisfaction.score.selection)
            comment = form.get('comment', '').strip() or None
            Satisfaction.create([{
                        'member': member.id,
                        'context': context,
                        'score': form[name],
                        'comment': comment,
                        }
                    for context, name in [
                        ('adhesion', 'score'),
                        ('adhesion_information', 'information_score')]
                    if form.get(name) in scores])
            return page.render('adhesion_done.html', member=member)
    return page.render('adhesion.html', form=form, errors=errors,
        scores=Satisfaction.fields_get(['score'])['score']['selection'],
        status=HTTPStatus.BAD_REQUEST if errors else HTTPStatus.OK)


def start_session(page, user):
    page.user = user
    response = page.redirect('/')
    page.set_cookie(response, SESSION_COOKIE, user.new_session())
    return response


@portal_route('/logout', methods=('POST',))
def logout(page):
    page.pool.get('web.user.session').remove(page.session)
    response = page.redirect('/login')
    response.delete_cookie(SESSION_COOKIE, path=page.base)
    return response


@portal_route('/')
def home(page):
    accesses = page.user.active_member_accesses
    if len(accesses) == 1 and not page.user.employee:
        return page.redirect(f'/m/{accesses[0].member.id}/')
    if not accesses and page.user.employee:
        return page.redirect('/me')
    return page.render('home.html', accesses=accesses)


# Employer space

@portal_route('/m/<int:member>/')
@member_page()
def member_home(page):
    pool = page.pool
    VisitRequest = pool.get('spsti.visit.request')
    Invoice = pool.get('account.invoice')
    ChangeRequest = pool.get('spsti.portal.change_request')
    member = page.member
    return page.render('member.html',
        activity=sorted(member.activity().items(), reverse=True),
        barometer=member.barometer() if page.access.prevention else None,
        outcome_labels=dict(VisitRequest.fields_get(
                ['outcome'])['outcome']['selection']),
        changes=ChangeRequest.search([('member', '=', member.id)],
            limit=20),
        done=page.request.args.get('done'),
        open_requests=VisitRequest.search_count(employer_requests(member)),
        overdue_requests=VisitRequest.search_count(
            employer_requests(member) + [('overdue', '=', True)]),
        unpaid=sum(i.amount_to_pay for i in Invoice.search([
                    ('party', '=', member.party.id),
                    ('type', '=', 'out'),
                    ('state', '=', 'posted'),
                    ])))


@portal_route('/m/<int:member>/changes', methods=('POST',))
@member_page('administrator', 'declaration')
def member_change(page):
    "Ask the service to change the company's data."
    ask_change(page, 'company', member=page.member)
    return page.redirect(f'/m/{page.member.id}/', done='change')


@portal_route('/m/<int:member>/prevention')
@member_page(*PREVENTION_PROFILES)
def member_prevention(page):
    """The company risk sheets (fiche d'entreprise) in force with their
    recommendations and plan, and the workplace actions of the service,
    planned and done within the last year."""
    pool = page.pool
    CompanySheet = pool.get('spsti.company_sheet')
    Action = pool.get('spsti.workplace_action')
    sheets = {}
    for sheet in CompanySheet.search([
                ('establishment.member', '=', page.member.id),
                ('state', '=', 'validated'),
                ], order=[('version', 'DESC'), ('id', 'DESC')]):
        sheets.setdefault(sheet.establishment, sheet)
    year_ago = dt.datetime.now() - dt.timedelta(days=365)
    actions = Action.search([
            ('member', '=', page.member.id),
            ['OR',
                ('state', '=', 'planned'),
                [('state', '=', 'done'), ('start', '>=', year_ago)],
                ],
            ], order=[('start', 'DESC')], limit=100)
    return page.render('prevention.html',
        establishments=[(e, sheets.get(e))
            for e in page.member.establishments],
        planned=[a for a in reversed(actions) if a.state == 'planned'],
        done_actions=[a for a in actions if a.state == 'done'],
        documents=pool.get('ir.attachment').search(
            shared_documents(page.member),
            order=[('document_date', 'DESC'), ('id', 'DESC')]))


def shared_documents(member):
    """The domain of the documents the service shares with member: filed
    on it or its establishments under a type of the filing plan shared
    with the member (never a medical one)."""
    return [
        ('resource', 'in', [str(member)]
            + [str(e) for e in member.establishments]),
        ('shared_with_member', '=', True),
        ('type', '=', 'data'),
        ]


@portal_route('/m/<int:member>/sheets/<int:sheet_id>.pdf')
@member_page(*PREVENTION_PROFILES)
def member_company_sheet(page, sheet_id):
    sheet = page.record('spsti.company_sheet', sheet_id, [
            ('establishment.member', '=', page.member.id),
            ('state', '=', 'validated'),
            ])
    return report(page, 'spsti.company_sheet', sheet,
        f'fiche-entreprise-{sheet_id}.pdf')


@portal_route('/m/<int:member>/documents/<int:attachment_id>')
@member_page(*PREVENTION_PROFILES)
def member_document(page, attachment_id):
    document = page.record('ir.attachment', attachment_id,
        shared_documents(page.member))
    return page.file(document.data, secure_filename(document.name)
        or f'document-{attachment_id}',
        mimetypes.guess_type(document.name)[0]
        or 'application/octet-stream')


@portal_route('/m/<int:member>/employees')
@member_page('declaration')
def member_employees(page):
    return render_employees(page)


def render_employees(page, error=None):
    "The posts in force at the member, 50 a page, searched by name."
    Assignment = page.pool.get('spsti.assignment')
    today = dt.date.today()
    query = page.request.args.get('q', '').strip()
    domain = [
        ('member', '=', page.member.id),
        ['OR', ('end_date', '=', None), ('end_date', '>=', today)],
        ]
    if query:
        domain.append(('employee.rec_name', 'ilike', f'%{query}%'))
    count = Assignment.search_count(domain)
    number = max(1, page.param_int('page', 1))
    assignments = Assignment.search(domain,
        offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE,
        order=[('employee.last_name', 'ASC'), ('employee.first_name', 'ASC'),
            ('id', 'ASC')])
    # Only the columns shown, with those of the related records, in a few
    # queries: no record of the page is read whole.
    rows = Assignment.read([a.id for a in assignments], [
            'employee.last_name', 'employee.first_name',
            'employee.usage_name', 'employee.birth_date', 'job_title',
            'job.name', 'establishment.name', 'contract_type', 'start_date',
            'category.name'])
    return page.render('employees.html', assignments=rows,
        contract_types=dict(Assignment.fields_get(
                ['contract_type'])['contract_type']['selection']),
        query=query, count=count, number=number, today=today,
        done=page.request.args.get('done'), error=error,
        pages=max(1, -(-count // PAGE_SIZE)),
        status=HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK)


@portal_route('/m/<int:member>/employees/new', methods=('GET', 'POST'))
@member_page('declaration')
def member_entry(page):
    """Declare an entry: the person and the post, or the post and exposures
    of a colleague copied (copier un profil)."""
    Assignment = page.pool.get('spsti.assignment')
    model = model_post(page)
    errors = []
    if page.request.method == 'POST':
        errors = FormErrors(page.request.form)
        person = person_values(page, errors)
        post = post_values(page, errors, model, "Date d'entrée")
        if not errors:
            try:
                Assignment.declare_entry(page.member, person, post,
                    model=model)
                return page.redirect(f'/m/{page.member.id}/employees',
                    done='entry')
            except UserError as e:
                errors = [e.message]
    return page.render('entry.html', form=page.request.form, model=model,
        errors=errors, **post_choices(page),
        status=HTTPStatus.BAD_REQUEST if errors else HTTPStatus.OK)


@portal_route('/m/<int:member>/employees/<int:assignment_id>/change',
    methods=('GET', 'POST'))
@member_page('declaration')
def member_job_change(page, assignment_id):
    """Declare a change of post (changement de poste): the current post
    ends and the new one starts, with its job or a colleague's profile."""
    Assignment = page.pool.get('spsti.assignment')
    assignment = page.record('spsti.assignment', assignment_id, [
            ('member', '=', page.member.id),
            ] + Assignment.active_domain(dt.date.today()))
    model = model_post(page)
    errors = []
    if page.request.method == 'POST':
        errors = FormErrors(page.request.form)
        post = post_values(page, errors, model, "Date du changement")
        if not errors:
            try:
                Assignment.declare_job_change(assignment, post, model=model)
                return page.redirect(f'/m/{page.member.id}/employees',
                    done='change')
            except UserError as e:
                errors = [e.message]
    form = page.request.form if page.request.method == 'POST' else {
        'establishment': str(assignment.establishment.id),
        'contract_type': assignment.contract_type,
        }
    return page.render('job_change.html', assignment=assignment,
        form=form, model=model, errors=errors, **post_choices(page),
        profiles=Assignment.profiles_of(page.member, dt.date.today()),
        status=HTTPStatus.BAD_REQUEST if errors else HTTPStatus.OK)


@portal_route('/m/<int:member>/employees/<int:assignment_id>/exit',
    methods=('POST',))
@member_page('declaration')
def member_exit(page, assignment_id):
    Assignment = page.pool.get('spsti.assignment')
    assignment = page.record('spsti.assignment', assignment_id,
        [('member', '=', page.member.id)])
    date = parse_date(page.request.form.get('end_date'))
    if not date:
        abort(HTTPStatus.BAD_REQUEST)
    if date < assignment.start_date:
        return render_employees(page, error=gettext(
                'spsti_portal.msg_exit_before_start',
                assignment=assignment.employee.rec_name,
                start=assignment.start_date.strftime('%d/%m/%Y')))
    Assignment.declare_exit([assignment], date)
    return page.redirect(f'/m/{page.member.id}/employees', done='exit')


@portal_route('/m/<int:member>/employees/<int:assignment_id>/exposures',
    methods=('GET', 'POST'))
@member_page('declaration')
def member_exposures(page, assignment_id):
    """The exposures of a post: the employer declares a new one or ends
    one it declared."""
    pool = page.pool
    Assignment = pool.get('spsti.assignment')
    Risk = pool.get('spsti.risk')
    assignment = page.record('spsti.assignment', assignment_id,
        [('member', '=', page.member.id)])
    form = page.request.form
    error = None
    if page.request.method == 'POST':
        date = parse_date(form.get('date'))
        try:
            if not date:
                raise UserError(gettext('spsti_portal.msg_field_required',
                        field="Date"))
            if form.get('exposure'):
                assignment.end_exposure(page.record(
                        'spsti.assignment.exposure',
                        page.param_int('exposure'),
                        [('assignment', '=', assignment.id)]), date)
            else:
                assignment.declare_exposure(page.record('spsti.risk',
                        page.param_int('risk'), [],
                        status=HTTPStatus.BAD_REQUEST), date)
            return page.redirect(f'/m/{page.member.id}/employees/'
                f'{assignment.id}/exposures', done='saved')
        except UserError as e:
            error = e.message
    return page.render('exposures.html', assignment=Assignment(assignment.id),
        risks=Risk.search([('parent', '!=', None)],
            order=[('parent.name', 'ASC'), ('name', 'ASC')]),
        today=dt.date.today(), error=error,
        done=page.request.args.get('done'),
        status=HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK)


@portal_route('/m/<int:member>/declaration')
@member_page('declaration')
def member_declaration(page):
    return render_declaration(page)


def render_declaration(page, error=None):
    "The open declaration with its counts and issues, and the validated."
    Declaration = page.pool.get('spsti.declaration')
    declarations = Declaration.search([
            ('member', '=', page.member.id),
            ('state', 'in', ['open', 'validated']),
            ], order=[('year', 'DESC'), ('version', 'DESC')], limit=10)
    current = next((d for d in declarations if d.state == 'open'), None)
    return page.render('declaration.html', current=current,
        counts=current.category_counts() if current else None,
        issues=[m for _, m in current.check_consistency()] if current
        else [],
        history=[d for d in declarations if d.state == 'validated'],
        error=error, done=page.request.args.get('done'),
        status=HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK)


@portal_route('/m/<int:member>/declaration/<int:declaration_id>/'
    '<any(fill, validate):action>', methods=('POST',))
@member_page('declaration')
def member_declaration_action(page, declaration_id, action):
    Declaration = page.pool.get('spsti.declaration')
    declarations = [page.record('spsti.declaration', declaration_id, [
                ('member', '=', page.member.id),
                ('state', '=', 'open'),
                ])]
    if action == 'fill':
        Declaration.fill(declarations)
        return page.redirect(f'/m/{page.member.id}/declaration',
            done='fill')
    try:
        Declaration.validate_on_portal(declarations, page.user,
            confirmed=bool(page.request.form.get('confirm')))
    except UserError as e:
        return render_declaration(page, error=e.message)
    return page.redirect(f'/m/{page.member.id}/satisfaction',
        context='declaration')


@portal_route('/m/<int:member>/satisfaction', methods=('GET', 'POST'))
@member_page('declaration')
def member_satisfaction(page):
    "The satisfaction question at the end of a declaration."
    Satisfaction = page.pool.get('spsti.portal.satisfaction')
    # The only question of the employer space; the online membership asks
    # its own on its form.
    context = page.request.values.get('context')
    if context != 'declaration':
        abort(HTTPStatus.NOT_FOUND)
    if page.request.method == 'POST':
        score = page.request.form.get('score')
        if score in dict(Satisfaction.score.selection):
            Satisfaction.create([{
                        'web_user': page.user.id,
                        'member': page.member.id,
                        'context': context,
                        'score': score,
                        'comment': page.request.form.get(
                            'comment', '').strip() or None,
                        }])
        return page.redirect(f'/m/{page.member.id}/', done='thanks')
    return page.render('satisfaction.html', context=context,
        scores=Satisfaction.fields_get(['score'])['score']['selection'])


@portal_route('/m/<int:member>/visits', methods=('GET', 'POST'))
@member_page('convocations')
def member_visits(page):
    VisitRequest = page.pool.get('spsti.visit.request')
    Slot = page.pool.get('spsti.slot')
    error = None
    if page.request.method == 'POST':
        assignment = page.record('spsti.assignment',
            page.param_int('assignment'), [('member', '=', page.member.id)],
            status=HTTPStatus.BAD_REQUEST)
        visit_type = visit_type_of(page, EMPLOYER_VISIT_TYPES)
        if not visit_type:
            abort(HTTPStatus.BAD_REQUEST)
        try:
            request_visit(page, assignment, visit_type, 'employer')
            return page.redirect(f'/m/{page.member.id}/visits',
                done='requested')
        except UserError as e:
            error = e.message
    domain = employer_requests(page.member)
    count = VisitRequest.search_count(domain)
    number = max(1, page.param_int('page', 1))
    requests = VisitRequest.search(domain,
        order=[('effective_due_date', 'ASC NULLS LAST'), ('id', 'ASC')],
        offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    history = VisitRequest.search(employer_history(page.member),
        order=[('done_date', 'DESC'), ('id', 'DESC')], limit=PAGE_SIZE)
    planning = Slot.search([
            ('request.member', '=', page.member.id),
            ('request.origin', '!=', 'employee'),
            ('state', '=', 'booked'),
            ('start', '>=', dt.datetime.now()),
            ('start', '<', dt.datetime.now() + dt.timedelta(
                    days=PLANNING_DAYS)),
            ], order=[('start', 'ASC')], limit=PAGE_SIZE)
    # Only the columns shown, with those of the related records, in a few
    # queries: no record of the page is read whole.
    requests = VisitRequest.read([r.id for r in requests], REQUEST_COLUMNS
        + ['effective_due_date', 'state', 'origin', 'slot'])
    slots = Slot.read(sorted({r['slot'] for r in requests if r['slot']}
            | {s.id for s in planning}),
        ['start', 'teleconsultation', 'centre', 'room'])
    # The places are a few rooms of a few centres: each told once.
    places = {}
    for slot in slots:
        key = (slot['teleconsultation'], slot['centre'], slot['room'])
        if key not in places:
            places[key] = Slot(slot['id']).place
    assignment = None
    if page.param_int('assignment'):
        assignment = page.record('spsti.assignment',
            page.param_int('assignment'), [('member', '=', page.member.id)])
    return page.render('visits.html', requests=requests,
        count=count, number=number, pages=max(1, -(-count // PAGE_SIZE)),
        assignment=assignment, error=error, today=dt.date.today(),
        visit_links=visit_links(page,
            VisitRequest.browse([r['id'] for r in requests]), 'employer'),
        visit_types=visit_types(page, EMPLOYER_VISIT_TYPES),
        planning=Slot.read([s.id for s in planning], ['start'] + [
                'request.' + c for c in REQUEST_COLUMNS]),
        slots={s['id']: (s['start'], places[s['teleconsultation'],
                    s['centre'], s['room']]) for s in slots},
        history=VisitRequest.read([r.id for r in history],
            REQUEST_COLUMNS + ['done_date', 'outcome']),
        planning_days=PLANNING_DAYS, page_size=PAGE_SIZE,
        with_outcome=VisitRequest.with_issued_outcome(history),
        outcome_labels=dict(VisitRequest.fields_get(
                ['outcome'])['outcome']['selection']),
        done=page.request.args.get('done'))


@portal_route('/m/<int:member>/visits/<int:request_id>/'
    '<any(cancel, reschedule):action>', methods=('POST',))
@member_page('convocations')
def member_visit_action(page, request_id, action):
    VisitRequest = page.pool.get('spsti.visit.request')
    request = page.record('spsti.visit.request', request_id,
        employer_requests(page.member))
    reason = page.request.form.get('reason', '').strip()
    if not reason:
        abort(HTTPStatus.BAD_REQUEST,
            gettext('spsti_portal.msg_reason_required'))
    reason = gettext('spsti_portal.msg_reason_employer', reason=reason)
    if action == 'cancel':
        # Only the employer's own requests: the regulatory visits stay due.
        if request.origin != 'employer':
            abort(HTTPStatus.FORBIDDEN)
        VisitRequest.cancel([request], reason=reason)
    else:
        reschedule(page, request, reason)
    return page.redirect(f'/m/{page.member.id}/visits', done=action)


@portal_route('/m/<int:member>/convocations/<int:slot_id>.pdf')
@member_page('convocations')
def member_convocation(page, slot_id):
    slot = page.record('spsti.slot', slot_id, [
            ('request.member', '=', page.member.id),
            ('request.origin', '!=', 'employee'),
            ('state', '=', 'booked'),
            ])
    return report(page, 'spsti.slot.convocation.employer', slot,
        f'convocation-{slot_id}.pdf')


@portal_route('/m/<int:member>/opinions/<int:request_id>.pdf')
@member_page('convocations')
def member_opinion(page, request_id):
    """The employer's copy of the outcome of a visit (attestation de suivi,
    avis d'aptitude): no health data, the download logged."""
    pool = page.pool
    Consultation = pool.get('spsti.dmst.consultation')
    AccessLog = pool.get('spsti.dmst.access_log')
    request = page.record('spsti.visit.request', request_id,
        employer_history(page.member))
    consultations = Consultation.search([
            ('request', '=', request.id),
            ('state', '=', 'issued'),
            ], order=[('date', 'DESC'), ('id', 'DESC')], limit=1)
    if not consultations:
        abort(HTTPStatus.NOT_FOUND)
    consultation, = consultations
    AccessLog.record_portal([consultation.file.id], page.user,
        gettext('spsti_portal.msg_access_opinion_employer',
            consultation=consultation.rec_name))
    return report(page, 'spsti.dmst.consultation.outcome.employer',
        consultation, f'avis-{request_id}.pdf')


@portal_route('/m/<int:member>/invoices')
@member_page('billing')
def member_invoices(page):
    return render_invoices(page)


def render_invoices(page, error=None):
    "The member's invoices and its SEPA mandates."
    Invoice = page.pool.get('account.invoice')
    Mandate = page.pool.get('account.payment.sepa.mandate')
    invoices = Invoice.search([
            ('party', '=', page.member.party.id),
            ('type', '=', 'out'),
            ('state', 'in', ['posted', 'paid']),
            ], order=[('invoice_date', 'DESC'), ('id', 'DESC')], limit=200)
    mandates = Mandate.search([
            ('party', '=', page.member.party.id),
            ('state', 'in', ['requested', 'validated']),
            ])
    return page.render('invoices.html', invoices=invoices,
        mandates=mandates, error=error, done=page.request.args.get('done'),
        debit=any(m.state == 'validated' for m in mandates),
        status=HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK)


@portal_route('/m/<int:member>/mandates', methods=('POST',))
@member_page('billing')
def member_mandate(page):
    "Sign a SEPA direct debit mandate online."
    form = page.request.form
    iban = form.get('iban', '').strip()
    error = None
    if not stdnum_iban.is_valid(iban):
        error = gettext('spsti_portal.msg_field_invalid', field="IBAN",
            value=iban)
    elif not form.get('mandate'):
        error = gettext('spsti_portal.msg_adhesion_mandate')
    if error:
        return render_invoices(page, error=error)
    page.member.request_mandate(iban)
    return page.redirect(f'/m/{page.member.id}/invoices', done='mandate')


@portal_route('/m/<int:member>/invoices/<int:invoice_id>.pdf')
@member_page('billing')
def member_invoice(page, invoice_id):
    invoice = page.record('account.invoice', invoice_id, [
            ('party', '=', page.member.party.id),
            ('type', '=', 'out'),
            ('state', 'in', ['posted', 'paid']),
            ])
    return report(page, 'spsti.invoice.facturx', invoice,
        f'facture-{invoice.number}.pdf')


@portal_route('/m/<int:member>/invoices/<int:invoice_id>/pay',
    methods=('POST',))
@member_page('billing')
def member_invoice_pay(page, invoice_id):
    """Pay an invoice by SEPA direct debit on the member's validated
    mandate: a payment of each of its unpaid terms, submitted for the
    service's next direct debit batch."""
    Invoice = page.pool.get('account.invoice')
    invoice = page.record('account.invoice', invoice_id, [
            ('party', '=', page.member.party.id),
            ('type', '=', 'out'),
            ('state', '=', 'posted'),
            ])
    if not any(m.state == 'validated'
            for m in page.member.party.sepa_mandates):
        return render_invoices(page, error=gettext(
                'spsti_portal.msg_invoice_debit_no_mandate',
                invoice=invoice.number))
    if not Invoice.direct_debit([invoice]):
        return render_invoices(page, error=gettext(
                'spsti_portal.msg_invoice_debit_nothing',
                invoice=invoice.number))
    return page.redirect(f'/m/{page.member.id}/invoices', done='debit')


@portal_route('/m/<int:member>/users', methods=('GET', 'POST'))
@member_page('administrator')
def member_users(page):
    Access = page.pool.get('spsti.portal.member_access')
    error = None
    if page.request.method == 'POST':
        form = page.request.form
        try:
            page.user.invite(page.member.id, form.get('email', ''),
                [p for p in PROFILES if form.get(p)],
                external=bool(form.get('external')))
            return page.redirect(f'/m/{page.member.id}/users',
                done='invited')
        except UserError as e:
            error = e.message
    accesses = Access.search([('member', '=', page.member.id)],
        order=[('web_user.email', 'ASC')])
    return page.render('users.html', accesses=accesses, error=error,
        profiles=PROFILES, done=page.request.args.get('done'))


# Employee space

@portal_route('/me', methods=('GET', 'POST'))
@employee_page
def employee_home(page):
    pool = page.pool
    VisitRequest = pool.get('spsti.visit.request')
    Consultation = pool.get('spsti.dmst.consultation')
    employee = page.employee
    error = None
    if page.request.method == 'POST':
        assignments = [a for a in employee.assignments
            if a.id == page.param_int('assignment')]
        visit_type = visit_type_of(page, EMPLOYEE_VISIT_TYPES)
        if not assignments or not visit_type:
            abort(HTTPStatus.BAD_REQUEST)
        try:
            request_visit(page, assignments[0], visit_type, 'employee')
            return page.redirect('/me', done='requested')
        except UserError as e:
            error = e.message
    requests = VisitRequest.search([('employee', '=', employee.id)],
        order=[('request_date', 'DESC'), ('id', 'DESC')])
    opinions = Consultation.search([
            ('file.employee', '=', employee.id),
            ('state', '=', 'issued'),
            ], order=[('date', 'DESC')])
    today = dt.date.today()
    ChangeRequest = pool.get('spsti.portal.change_request')
    Case = pool.get('spsti.pdp.case')
    AccessLog = pool.get('spsti.dmst.access_log')
    cases = Case.search([
            ('file.employee', '=', employee.id),
            ('state', '!=', 'closed'),
            ])
    if cases:
        AccessLog.record_portal({c.file.id for c in cases}, page.user,
            gettext('spsti_portal.msg_access_plan'))
    open_requests = [r for r in requests if r.state in {'to_plan', 'planned'}]
    return page.render('employee.html', employee=employee, cases=cases,
        changes=ChangeRequest.search([('employee', '=', employee.id)],
            limit=20),
        assignments=[a for a in employee.assignments
            if not a.end_date or a.end_date >= today],
        open_requests=open_requests,
        visit_links=visit_links(page, open_requests, 'employee'),
        history=[r for r in requests if r.state == 'done'],
        opinions=opinions, error=error,
        visit_types=visit_types(page, EMPLOYEE_VISIT_TYPES),
        done=page.request.args.get('done'))


@portal_route('/me/advice')
@employee_page
def employee_advice(page):
    """The prevention advice the health professionals gave the employee
    at their visits (conseils de prévention), the read logged."""
    pool = page.pool
    Consultation = pool.get('spsti.dmst.consultation')
    AccessLog = pool.get('spsti.dmst.access_log')
    consultations = Consultation.search([
            ('file.employee', '=', page.employee.id),
            ('state', '=', 'issued'),
            ], order=[('date', 'DESC'), ('id', 'DESC')], limit=50)
    if consultations:
        AccessLog.record_portal({c.file.id for c in consultations},
            page.user, gettext('spsti_portal.msg_access_advice'))
    return page.render('advice.html', consultations=[(c, [a for a in c.advice
                    if a.audience in {'employee', 'both'}])
            for c in consultations])


@portal_route('/me/report', methods=('POST',))
@employee_page
def employee_report(page):
    "Report an error in one's identity or post."
    ask_change(page, 'employee', employee=page.employee)
    return page.redirect('/me', done='report')


@portal_route('/me/visits/<int:request_id>/confirm', methods=('POST',))
@employee_page
def employee_confirm(page, request_id):
    "The employee confirms they will come to the convocation."
    page.record('spsti.visit.request', request_id, [
            ('employee', '=', page.employee.id),
            ('state', '=', 'planned'),
            ]).confirm_convocation()
    return page.redirect('/me', done='confirm')


@portal_route('/me/visits/<int:request_id>/reschedule', methods=('POST',))
@employee_page
def employee_reschedule(page, request_id):
    request = page.record('spsti.visit.request', request_id, [
            ('employee', '=', page.employee.id),
            ('state', '=', 'planned'),
            ])
    reason = page.request.form.get('reason', '').strip()
    if not reason:
        abort(HTTPStatus.BAD_REQUEST,
            gettext('spsti_portal.msg_reason_required'))
    reschedule(page, request,
        gettext('spsti_portal.msg_reason_employee', reason=reason))
    return page.redirect('/me', done='reschedule')


@portal_route('/me/convocations/<int:slot_id>.pdf')
@employee_page
def employee_convocation(page, slot_id):
    slot = page.record('spsti.slot', slot_id, [
            ('request.employee', '=', page.employee.id),
            ('state', '=', 'booked'),
            ])
    return report(page, 'spsti.slot.convocation.employee', slot,
        f'convocation-{slot_id}.pdf')


@portal_route('/me/opinions/<int:consultation_id>.pdf')
@employee_page
def employee_opinion(page, consultation_id):
    AccessLog = page.pool.get('spsti.dmst.access_log')
    consultation = page.record('spsti.dmst.consultation', consultation_id, [
            ('file.employee', '=', page.employee.id),
            ('state', '=', 'issued'),
            ])
    AccessLog.record_portal([consultation.file.id], page.user,
        gettext('spsti_portal.msg_access_opinion',
            consultation=consultation.rec_name))
    return report(page, 'spsti.dmst.consultation.outcome.employee',
        consultation, f'avis-{consultation_id}.pdf')


# Shared steps

def parse_date(value):
    try:
        return dt.date.fromisoformat(value or '')
    except ValueError:
        return None


class FormErrors(list):
    "The translated errors of the fields of a form, read one by one."

    def __init__(self, form):
        super().__init__()
        self.form = form

    def required(self, name, label):
        value = self.form.get(name, '').strip()
        if not value:
            self.append(gettext('spsti_portal.msg_field_required',
                    field=label))
        return value

    def date(self, name, label):
        value = self.required(name, label)
        parsed = parse_date(value)
        if value and not parsed:
            self.append(gettext('spsti_portal.msg_field_invalid',
                    field=label, value=value))
        return parsed


def person_values(page, errors):
    "The identity of the person of an entry form."
    form = page.request.form
    person = {
        'last_name': errors.required('last_name', "Nom de naissance"),
        'first_name': errors.required('first_name', "Prénoms"),
        'birth_date': errors.date('birth_date', "Date de naissance"),
        'sex': errors.required('sex', "Sexe"),
        'nir': form.get('nir', '').strip() or None,
        'email': form.get('email', '').strip() or None,
        }
    if person['sex'] and person['sex'] not in {'F', 'M'}:
        errors.append(gettext('spsti_portal.msg_field_invalid',
                field="Sexe", value=person['sex']))
    return person


def post_values(page, errors, model, start_label):
    """The post of an entry or job change form: establishment, contract,
    start date and, unless copied from the model post, the job."""
    pool = page.pool
    Establishment = pool.get('spsti.establishment')
    Job = pool.get('spsti.job')
    Assignment = pool.get('spsti.assignment')
    form = page.request.form
    establishments = Establishment.search([
            ('id', '=', page.param_int('establishment')),
            ('member', '=', page.member.id),
            ])
    if not establishments:
        errors.append(gettext('spsti_portal.msg_field_required',
                field="Établissement"))
    contract_type = errors.required('contract_type', "Contrat")
    if contract_type and contract_type not in dict(Assignment.fields_get(
                ['contract_type'])['contract_type']['selection']):
        errors.append(gettext('spsti_portal.msg_field_invalid',
                field="Contrat", value=contract_type))
    post = {
        'establishment': establishments[0] if establishments else None,
        'contract_type': contract_type,
        'start_date': errors.date('start_date', start_label),
        }
    if not model:
        code = errors.required('job', "Code PCS-ESE du poste")
        jobs = Job.search([('code', '=', code)], limit=1) if code else []
        if code and not jobs:
            errors.append(gettext('spsti_portal.msg_job_unknown',
                    code=code))
        post['job'] = jobs[0].id if jobs else None
        post['job_title'] = form.get('job_title', '').strip() or None
    return post


def model_post(page):
    "The colleague's post whose profile a form copies, if any."
    if page.param_int('model'):
        return page.record('spsti.assignment', page.param_int('model'),
            [('member', '=', page.member.id)])


def post_choices(page):
    "What the post fields of a form offer."
    Assignment = page.pool.get('spsti.assignment')
    return {
        'establishments': page.member.establishments,
        'contract_types': [(v, l) for v, l in Assignment.fields_get(
                ['contract_type'])['contract_type']['selection'] if v],
        }


def ask_change(page, kind, member=None, employee=None):
    ChangeRequest = page.pool.get('spsti.portal.change_request')
    description = page.request.form.get('description', '').strip()
    if not description:
        abort(HTTPStatus.BAD_REQUEST,
            gettext('spsti_portal.msg_reason_required'))
    ChangeRequest.create([{
                'web_user': page.user.id,
                'kind': kind,
                'member': member.id if member else None,
                'employee': employee.id if employee else None,
                'description': description,
                }])


def employer_requests(member):
    """The open visit requests an employer sees: not those the employee
    asked for, which the employer is not told of (R4624-34)."""
    return [
        ('member', '=', member.id),
        ('state', 'in', ['to_plan', 'planned']),
        ('origin', '!=', 'employee'),
        ]


def employer_history(member):
    """The visits done an employer sees: those of the last year, not those
    the employee asked for."""
    return [
        ('member', '=', member.id),
        ('state', '=', 'done'),
        ('origin', '!=', 'employee'),
        ('done_date', '>=', dt.date.today() - dt.timedelta(days=365)),
        ]


def visit_types(page, codes):
    VisitType = page.pool.get('spsti.visit.type')
    return VisitType.search([('code', 'in', codes)], order=[('code', 'ASC')])


def visit_type_of(page, codes):
    "The visit type posted, among those the portal user may ask for."
    for visit_type in visit_types(page, codes):
        if visit_type.id == page.param_int('visit_type'):
            return visit_type


def request_visit(page, assignment, visit_type, origin):
    VisitRequest = page.pool.get('spsti.visit.request')
    reason = page.request.form.get('reason', '').strip()
    if not reason:
        raise UserError(gettext('spsti_portal.msg_reason_required'))
    return VisitRequest.create([{
                'employee': assignment.employee.id,
                'assignment': assignment.id,
                'member': assignment.member.id,
                'visit_type': visit_type.id,
                'origin': origin,
                'reason': gettext('spsti_portal.msg_request_reason',
                    user=page.user.email, reason=reason),
                'priority': '2' if visit_type.code == 'REPRISE' else '3',
                }])


def reschedule(page, request, reason):
    """A planned visit goes back to be planned (its slot freed) with the
    reason; the planning staff books another slot."""
    VisitRequest = page.pool.get('spsti.visit.request')
    if request.state == 'planned':
        VisitRequest.to_plan([request])
    VisitRequest.write([request], {'reschedule_reason': reason[:200]})


def report(page, name, record, filename):
    Report = page.pool.get(name, type='report')
    ext, content, _, _ = Report.execute([record.id], {
            'model': record.__name__, 'id': record.id, 'ids': [record.id]})
    mimetype = 'application/pdf' if ext == 'pdf' else (
        'application/octet-stream')
    if ext != 'pdf':
        filename = filename.rsplit('.', 1)[0] + '.' + ext
    return page.file(content, filename, mimetype)
