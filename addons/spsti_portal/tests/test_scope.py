"""What a portal account may reach, taken from the route table itself: every
page is tried without a session, with an expired one, with the ids of
another member or another employee, with each profile and an employee's
account, without its CSRF token; the employer's pages and documents never
show health content; sign-in codes cannot be brute-forced.

A route added later is tried too: the test fails until the ids its path
takes are known here (URL_IDS)."""
import datetime as dt
import io

import pypdf
from werkzeug.routing.converters import AnyConverter

import trytond.config as config
from trytond.model import ModelSQL
from trytond.modules.spsti_portal import routes
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction
from trytond.wsgi import app

from .tools import (
    BASE, EMPLOYEE_ONLY_ADVICE, EMPLOYEE_REQUEST_REASON, HEALTH_TEXTS,
    PortalRouteTestMixin, portal_members)

PASSWORD = 'Portail-2026!'
# A and B are checked against each other and never changed; C is the
# member whose accounts show that every route works with their own ids.
MEMBERS = {'A': "Garage Martin", 'B': "Boulangerie Petit",
    'C': "Menuiserie Blanc"}
PROFILE_USERS = {
    'billing': 'cabinet@compta.fr',
    'declaration': 'rh@garage-martin.fr',
    'convocations': 'planning@garage-martin.fr',
    }
# The ids of a path, by the name of its parameter: the key of the record
# in the data of a member (routes needing another record say so).
URL_IDS = {
    'member': 'member',
    'sheet_id': 'sheet',
    'attachment_id': 'document',
    'assignment_id': 'assignment',
    'declaration_id': 'declaration',
    'slot_id': 'slot',
    'invoice_id': 'invoice',
    'consultation_id': 'consultation',
    'request_id': 'booked',
    }
URL_IDS_OF = {
    ('member_opinion', 'request_id'): 'seen',
    ('member_visit_action', 'request_id', 'cancel'): 'asked',
    }
# The profiles each page of the employer space needs (any of them; none:
# any access), as the README's access matrix says.
PREVENTION = ('administrator', 'declaration', 'convocations')
PAGE_PROFILES = {
    'member_home': (),
    'member_change': ('administrator', 'declaration'),
    'member_prevention': PREVENTION,
    'member_company_sheet': PREVENTION,
    'member_document': PREVENTION,
    'member_employees': ('declaration',),
    'member_entry': ('declaration',),
    'member_job_change': ('declaration',),
    'member_exit': ('declaration',),
    'member_exposures': ('declaration',),
    'member_declaration': ('declaration',),
    'member_declaration_action': ('declaration',),
    'member_satisfaction': ('declaration',),
    'member_visits': ('convocations',),
    'member_visit_action': ('convocations',),
    'member_convocation': ('convocations',),
    'member_opinion': ('convocations',),
    'member_invoices': ('billing',),
    'member_mandate': ('billing',),
    'member_invoice': ('billing',),
    'member_invoice_pay': ('billing',),
    'member_users': ('administrator',),
    # spsti_booking's, tried where it is activated.
    'member_booking': ('convocations',),
    'member_booking_cancel': ('convocations',),
    }
# Tables a page may change without anything being changed for the user:
# the session's last activity and the failed sign-ins.
VOLATILE_TABLES = {'web_user_session', 'web_user_authenticate_attempt'}
# What the ids read from a form by page.param_int may be: records of the
# member or the employee (tried with another's), or shared referentials.
# Free slots are the service's, offered to every member.
SHARED_FORM_IDS = {'risk', 'visit_type', 'page', 'slot'}


def email_of(key, role):
    return f'{role}@{key.lower()}.example.org'


class SpstiPortalScopeTestCase(PortalRouteTestMixin, RouteTestCase):
    "Test what each portal account may reach, route by route"
    # The PDF documents of the employer space.
    employer_documents = {'member_company_sheet', 'member_convocation',
        'member_opinion', 'member_invoice'}

    @classmethod
    def create_data(cls):
        """Members A, B and C as portal_members makes them; at each, an
        administrator and the first employee have accounts; at A, one
        account per other profile."""
        pool = Pool()
        User = pool.get('web.user')
        Access = pool.get('spsti.portal.member_access')
        Invoice = pool.get('account.invoice')
        Exposure = pool.get('spsti.assignment.exposure')
        Risk = pool.get('spsti.risk')
        VisitType = pool.get('spsti.visit.type')
        members = portal_members(list(MEMBERS.values()))
        risk = Risk.search([('code', '=', 'PHYS.BRUIT')])[0]
        cls.ids = {}
        for key, data in zip(MEMBERS, members):
            member = data['member']
            first, second = data['employees']
            exposure, = Exposure.create([{
                        'assignment': first.assignments[0].id,
                        'risk': risk.id,
                        'source': 'employer',
                        }])
            invoice, = Invoice.search([('party', '=', member.party.id)])
            admin, employee = User.create([{
                        'email': email_of(key, 'admin'),
                        'password': PASSWORD,
                        }, {
                        'email': email_of(key, 'salarie'),
                        'password': PASSWORD,
                        'employee': first.id,
                        }])
            Access.create([{'web_user': admin.id, 'member': member.id,
                        'administrator': True}])
            cls.ids[key] = {
                'member': member.id,
                'name': member.party.name,
                'last_names': [first.last_name, second.last_name],
                'establishment': data['establishment'].id,
                'assignment': first.assignments[0].id,
                'other_assignment': second.assignments[0].id,
                'exposure': exposure.id,
                'declaration': data['declaration'].id,
                'booked': data['booked'].id,
                'asked': data['asked'].id,
                'seen': data['seen'].id,
                'slot': data['slot'].id,
                'consultation': data['consultation'].id,
                'sheet': data['sheet'].id,
                'document': data['document'].id,
                'private_document': data['private_document'].id,
                'invoice': invoice.id,
                }
        for profile, email in PROFILE_USERS.items():
            user, = User.create([{'email': email, 'password': PASSWORD}])
            Access.create([{'web_user': user.id,
                        'member': cls.ids['A']['member'], profile: True}])
        cls.shared = {
            'risk': risk.id,
            'visit_type': VisitType.search(
                [('code', '=', 'DEMANDE')])[0].id,
            }

    def request(self, method, path, data=None, csrf=True):
        "GET with data as query, or POST data with the CSRF token."
        data = dict(data or {})
        if method == 'GET':
            return self.client.get(self.url(path), base_url=BASE,
                query_string=data)
        if csrf:
            data['csrf_token'] = self.csrf()
        return self.client.post(self.url(path), data=data, base_url=BASE)

    def sign_in(self, email):
        self.client.delete_cookie('spsti_portal_session',
            domain='localhost', path=self.url())
        response = self.request('POST', '/login', {
                'email': email, 'action': 'password', 'password': PASSWORD})
        self.assertEqual(response.status_code, 303, email)

    def fingerprint(self):
        """Rows, last id and last change of every table: what any write
        would change."""
        pool = Pool(DB_NAME)
        result = {}
        with Transaction().start(DB_NAME, 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            tables = {m._table for _, m in pool.iterobject()
                if issubclass(m, ModelSQL) and not callable(m.table_query)}
            for table in sorted(tables - VOLATILE_TABLES):
                cursor.execute(f'SELECT COUNT(*), MAX(id), '
                    f'MAX(COALESCE(write_date, create_date)) '
                    f'FROM "{table}"')
                result[table] = tuple(cursor.fetchone())
        return result

    def assertUnchanged(self, before, what):
        after = self.fingerprint()
        self.assertEqual(
            {t: (v, after[t]) for t, v in before.items() if after[t] != v},
            {}, what)

    # The route table

    @classmethod
    def rules(cls, space=None):
        """The portal's rules: space 'public' (no sign-in), 'member' (the
        employer space), 'employee' or 'account' (the others); those of
        the modules activated in the test database (another module's
        routes, registered when it is imported, answer 404 elsewhere)."""
        seen = set()
        activated = cls.activated_modules()
        for rule in app.url_map.iter_rules():
            # Once each: the module imported under another name (a test
            # run by its path) registers its routes again.
            if (not rule.rule.startswith('/<database_name>/portal')
                    or rule.rule in seen):
                continue
            seen.add(rule.rule)
            if getattr(rule.endpoint, 'portal_module',
                    'spsti_portal') not in activated:
                continue
            path = rule.rule[len('/<database_name>/portal'):]
            if path.startswith('/m/'):
                kind = 'member'
            elif path == '/me' or path.startswith('/me/'):
                kind = 'employee'
            elif not rule.endpoint.portal_login:
                kind = 'public'
            else:
                kind = 'account'
            if space is None or kind == space:
                yield rule

    @staticmethod
    def activated_modules():
        with Transaction().start(DB_NAME, 0, readonly=True):
            Module = Pool().get('ir.module')
            return {m.name for m in Module.search(
                    [('state', '=', 'activated')])}

    def paths(self, rule, ids, override=None):
        """The paths of rule (one per value of its 'any' parameters) with
        the records of ids, or of override[name] for the parameter name."""
        endpoint = rule.endpoint.__name__
        override = override or {}
        choices = [{}]
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                choices = [dict(c, **{name: item}) for c in choices
                    for item in sorted(converter.items)]
        for values in choices:
            for name in rule.arguments - {'database_name'} - set(values):
                key = URL_IDS_OF.get((endpoint, name, values.get('action')),
                    URL_IDS_OF.get((endpoint, name), URL_IDS.get(name)))
                self.assertIsNotNone(key,
                    f"{rule.rule}: tell URL_IDS which record {name} is")
                values[name] = override.get(name, ids)[key]
            yield rule.build(dict(values, database_name=DB_NAME))[1][
                len(f'/{DB_NAME}/portal'):]

    def form(self, ids):
        """A form filled for every route of the portal, with the ids of
        ids: each route reads what it needs."""
        today = dt.date.today()
        return {
            'description': "Nouvelle adresse : 3 rue Haute",
            'last_name': "Moreau", 'first_name': "Inès",
            'birth_date': '1999-02-28', 'sex': 'F', 'nir': '',
            'establishment': ids['establishment'],
            'contract_type': 'cdi',
            'start_date': (today + dt.timedelta(days=30)).isoformat(),
            'job': '431f', 'job_title': "Aide-soignante",
            'model': ids['assignment'],
            'end_date': (today + dt.timedelta(days=60)).isoformat(),
            'date': today.isoformat(),
            'exposure': ids['exposure'],
            'risk': self.shared['risk'],
            'assignment': ids['assignment'],
            'visit_type': self.shared['visit_type'],
            'reason': "Douleurs au poste",
            'confirm': '1', 'context': 'declaration', 'score': '4',
            'iban': 'FR7630006000011234567890189', 'mandate': '1',
            'email': 'nouveau@example.org', 'declaration': '1',
            }

    # Every route works for its own account and no other

    def test_every_page_scope(self):
        """Every route answers its own account, and refuses the ids of
        another member or another employee in its path and its form,
        changing nothing"""
        A, B, C = self.ids['A'], self.ids['B'], self.ids['C']
        read = []
        param_int = routes.Page.param_int

        def reading(page, name, default=None):
            read.append(name)
            return param_int(page, name, default)
        routes.Page.param_int = reading
        self.addCleanup(setattr, routes.Page, 'param_int', param_int)
        # C's colleague: the second employee of C.
        colleague = dict(C, assignment=C['other_assignment'],
            booked=C['asked'], last_names=C['last_names'][1:])
        # What is read first, then what is changed (a visit rescheduled by
        # the employee, then by the employer).
        for method in ['GET', 'POST']:
            for space, user, others in [
                    ('employee', email_of('C', 'salarie'), [B, colleague]),
                    ('member', email_of('C', 'admin'), [B]),
                    ('account', email_of('C', 'admin'), []),
                    ]:
                self.sign_in(user)
                for rule in self.rules(space):
                    if method not in rule.methods:
                        continue
                    for path in self.paths(rule, C):
                        del read[:]
                        response = self.request(method, path,
                            self.form(C))
                        self.assertIn(response.status_code, {200, 303},
                            f"{method} {path}: {response.data[:500]}")
                        if rule.endpoint.__name__ == 'logout':
                            self.sign_in(user)
                        form_ids = set(read) - SHARED_FORM_IDS
                        if space == 'member':
                            # The pages of another member.
                            for path in self.paths(rule, A):
                                self.assertRefused(method, path,
                                    self.form(A), C, A)
                        for other in others:
                            self.refuse_ids(rule, method, C, other,
                                form_ids)

    def refuse_ids(self, rule, method, own, other, form_ids):
        """The path and form of own with each id of other in turn, in the
        path or in the form, are refused."""
        names = rule.arguments - {'database_name', 'member', 'action'}
        for name in sorted(names):
            key = URL_IDS.get(name)
            if other[key] == own[key]:
                continue
            for path in self.paths(rule, own, override={name: other}):
                self.assertRefused(method, path, self.form(own), own, other)
        for name in sorted(form_ids):
            form = self.form(own)
            if self.form(other)[name] == form[name]:
                continue
            form[name] = self.form(other)[name]
            for path in self.paths(rule, own):
                self.assertRefused(method, path, form, own, other,
                    field=name)

    def assertRefused(self, method, path, form, own, other, field=None):
        before = self.fingerprint()
        response = self.request(method, path, form)
        what = f"{method} {path}" + (f" {field}={form[field]}" if field
            else '')
        self.assertIn(response.status_code, {400, 403, 404}, what)
        for text in [other['name']] + other['last_names']:
            if text not in [own['name']] + own['last_names']:
                self.assertNotIn(text, response.text, what)
        self.assertUnchanged(before, what)

    # Without a session, with an expired one, with an employee's account

    def expire_sessions(self):
        "Every session unused for a year: past any [session] web_timeout."
        with Transaction().start(DB_NAME, 0) as transaction:
            table = Pool().get('web.user.session').__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date, table.write_date],
                    [dt.datetime.now() - dt.timedelta(days=365)] * 2))
            transaction.commit()

    def test_every_page_needs_a_session(self):
        """Every page but the sign-in and the membership sends an anonymous
        visitor or an expired session to the sign-in, changing nothing"""
        A = self.ids['A']
        for state in ['anonymous', 'expired']:
            for space in ['member', 'employee', 'account']:
                for rule in self.rules(space):
                    for method in sorted(rule.methods & {'GET', 'POST'}):
                        for path in self.paths(rule, A):
                            what = f"{state}: {method} {path}"
                            if state == 'expired':
                                # The first request drops an expired
                                # session: one for each request.
                                self.sign_in(email_of('A', 'admin'))
                                self.expire_sessions()
                            else:
                                self.client.delete_cookie(
                                    'spsti_portal_session',
                                    domain='localhost', path=self.url())
                            before = self.fingerprint()
                            response = self.request(method, path,
                                self.form(A))
                            self.assertEqual(response.status_code, 303, what)
                            self.assertTrue(response.location.endswith(
                                    '/portal/login'), what)
                            self.assertNotIn(A['name'], response.text, what)
                            self.assertUnchanged(before, what)

    def test_employee_account_no_employer_space(self):
        """The account of an employee reaches no page of their employer's
        space (404) and changes nothing there"""
        A = self.ids['A']
        self.sign_in(email_of('A', 'salarie'))
        for rule in self.rules('member'):
            for method in sorted(rule.methods & {'GET', 'POST'}):
                for path in self.paths(rule, A):
                    what = f"{method} {path}"
                    before = self.fingerprint()
                    response = self.request(method, path, self.form(A))
                    self.assertEqual(response.status_code, 404, what)
                    self.assertUnchanged(before, what)

    # Forms

    def test_csrf_every_form(self):
        "Every form posted without its token, or with another, is refused"
        A = self.ids['A']
        self.sign_in(email_of('A', 'admin'))
        for rule in self.rules():
            if 'POST' not in rule.methods:
                continue
            for path in self.paths(rule, A):
                for token in [None, 'forged']:
                    before = self.fingerprint()
                    form = self.form(A)
                    if token:
                        form['csrf_token'] = token
                    response = self.request('POST', path, form, csrf=False)
                    self.assertEqual(response.status_code, 400, path)
                    self.assertIn("Le formulaire a expiré", response.text)
                    self.assertUnchanged(before, f"POST {path} {token}")
        # Still signed in: the logout was refused too.
        self.assertEqual(self.request('GET', f"/m/{A['member']}/")
            .status_code, 200)

    # Profiles

    def test_profiles(self):
        """Each profile reaches its pages only; the others answer 404 and
        change nothing"""
        A = self.ids['A']
        for profile, email in PROFILE_USERS.items():
            self.sign_in(email)
            for rule in self.rules('member'):
                name = rule.endpoint.__name__
                self.assertIn(name, PAGE_PROFILES,
                    f"{rule.rule}: tell PAGE_PROFILES its profiles")
                needed = PAGE_PROFILES[name]
                self.assertEqual(rule.endpoint.portal_profiles, needed, name)
                allowed = not needed or profile in needed
                for method in sorted(rule.methods & {'GET', 'POST'}):
                    if allowed and method == 'POST':
                        continue
                    for path in self.paths(rule, A):
                        before = self.fingerprint()
                        response = self.request(method, path, self.form(A))
                        what = f"{profile}: {method} {path}"
                        if allowed:
                            self.assertEqual(response.status_code, 200, what)
                        else:
                            self.assertEqual(response.status_code, 404, what)
                            self.assertUnchanged(before, what)
            for rule in self.rules('employee'):
                for path in self.paths(rule, A):
                    self.assertEqual(
                        self.request('GET', path).status_code,
                        404 if 'GET' in rule.methods else 405, path)

    # Health data

    def test_employer_never_sees_health_content(self):
        """No page nor document of the employer space shows the health
        content of a consultation, the employee-only advice or a visit the
        employee asked for himself; the employer's copy of the opinion
        gives the recommendations meant for it"""
        pool = Pool(DB_NAME)
        A = self.ids['A']
        with Transaction().start(DB_NAME, 0, readonly=True):
            Advice = pool.get('spsti.advice.type')
            advice, = Advice.search([('code', '=', EMPLOYEE_ONLY_ADVICE)])
            secrets = list(HEALTH_TEXTS.values()) + [
                EMPLOYEE_REQUEST_REASON, advice.name]
        self.sign_in(email_of('A', 'admin'))
        documents = {}
        for rule in self.rules('member'):
            if 'GET' not in rule.methods:
                continue
            for path in self.paths(rule, A):
                response = self.request('GET', path, self.form(A))
                self.assertEqual(response.status_code, 200, path)
                if response.mimetype == 'application/pdf':
                    text = '\n'.join(page.extract_text() for page in
                        pypdf.PdfReader(io.BytesIO(response.data)).pages)
                    documents[rule.endpoint.__name__] = text
                else:
                    text = response.text
                for secret in secrets:
                    self.assertNotIn(secret, text, path)
        self.assertEqual(set(documents), self.employer_documents)
        if 'member_opinion' in documents:
            self.assertIn("Pas de port de charges",
                documents['member_opinion'])

    def test_shared_documents(self):
        """The prevention page lists the documents shared with the member
        and downloads them; one not shared, or another member's, is not
        found"""
        A, B = self.ids['A'], self.ids['B']
        self.sign_in(email_of('A', 'admin'))
        response = self.request('GET', f"/m/{A['member']}/prevention")
        self.assertIn("Fiche entreprise signée.txt", response.text)
        self.assertNotIn("Courrier.txt", response.text)
        response = self.request('GET',
            f"/m/{A['member']}/documents/{A['document']}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.data, b"Fiche signee par la direction")
        self.assertIn('attachment', response.headers['Content-Disposition'])
        for document in [A['private_document'], B['document']]:
            response = self.request('GET',
                f"/m/{A['member']}/documents/{document}")
            self.assertEqual(response.status_code, 404, document)

    # Sign-in codes

    def test_code_brute_force_network(self):
        """Wrong codes for many addresses from one network block the codes
        of every address of the network, even a right one"""
        email = email_of('A', 'admin')
        self.smtp.messages.clear()
        self.request('POST', '/login', {'email': email, 'action': 'code'})
        code = self.smtp.code_for(email)
        limit = config.get('session', 'max_attempt_ip_network',
            default='300')
        config.set('session', 'max_attempt_ip_network', '3')
        self.addCleanup(config.set, 'session', 'max_attempt_ip_network',
            limit)
        for i in range(4):
            response = self.request('POST', '/login/code', {
                    'email': f'inconnu{i}@example.org', 'code': '123456'})
            self.assertEqual(response.status_code, 401, i)
        response = self.request('POST', '/login/code',
            {'email': email, 'code': code})
        self.assertEqual(response.status_code, 401)
        self.assertIn("Trop de tentatives", response.text)
        response = self.request('POST', '/login',
            {'email': email, 'action': 'code'})
        self.assertIn("Trop de tentatives", response.text)


del RouteTestCase
