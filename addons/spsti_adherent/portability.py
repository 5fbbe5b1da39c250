"""Portabilité du dossier d'un adhérent: the member file a service exports
when a member leaves for another SPSTI, and its import by the receiving
service (format "spsti-member-file", see portability/README.md)."""
import datetime as dt
import functools
import json
from collections import defaultdict

import jsonschema

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Model, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.tools import file_open, grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import PortabilityError

FORMAT = 'spsti-member-file'
VERSION = '1.0'
SCHEMA_PATH = 'spsti_adherent/portability/member-file-1.0.schema.json'
# Schema errors listed in one message at most.
MAX_ERRORS = 30
# Referentials matched by code: kind -> (model, extra domain).
REFERENTIALS = {
    'naf': ('spsti.activity', [('level', '=', 'subclass')]),
    'pcs_ese': ('spsti.job', [('level', '=', 'profession')]),
    'risk': ('spsti.risk', []),
    'category': ('spsti.follow_up.category', []),
    }


@functools.cache
def _schema():
    return read_schema(SCHEMA_PATH)


def json_path(parts):
    "A JSON path ($.member.employees[0].nir) from keys and indexes."
    path = '$'
    for part in parts:
        path += f'[{part}]' if isinstance(part, int) else f'.{part}'
    return path


def _error(kind, **values):
    return PortabilityError(gettext(
            f'spsti_adherent.msg_portability_{kind}', **values))


def read_schema(path):
    "The JSON Schema of a format shipped at path in a module folder."
    with file_open(path, encoding='utf-8') as fp:
        return json.load(fp)


def schema_errors(schema, data):
    "The schema violations of data, as (JSON path, message), in order."
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker())
    return sorted((json_path(e.absolute_path), e.message)
        for e in validator.iter_errors(data))


def load_document(data, format_, version, schema, error):
    """The document of data (bytes, str or dict) checked against its
    format, version and schema; error(kind, **values) gives the exception
    raised for kind 'not_json', 'format', 'version' or 'schema', every
    schema violation listed with its path."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data)
        except (UnicodeDecodeError, ValueError) as exception:
            raise error('not_json', error=str(exception)) from exception
    if not isinstance(data, dict) or data.get('format') != format_:
        raise error('format', expected=format_,
            format=data.get('format') if isinstance(data, dict) else None)
    if data.get('version') != version:
        raise error('version', version=data.get('version'),
            supported=version)
    check_schema(data, version, schema, error)
    return data


def check_schema(data, version, schema, error):
    errors = schema_errors(schema, data)
    if errors:
        lines = [f'- {path}: {message}'
            for path, message in errors[:MAX_ERRORS]]
        if len(errors) > MAX_ERRORS:
            lines.append('- …')
        raise error('schema', version=version, count=len(errors),
            errors='\n'.join(lines))


def iso_date(value):
    return value.isoformat() if value else None


def parse_iso_date(value):
    return dt.date.fromisoformat(value) if value else None


def _none_last(value):
    "Sort key putting None after any value of the same type."
    return (value is None, value if value is not None else '')


class MemberFile(Model):
    """Dossier d'adhérent portable: exports a member with its establishments,
    workforce and declarations to the versioned JSON format, and imports
    such a file from another service."""
    __name__ = 'spsti.member.file'
    __string__ = "Member File"

    @classmethod
    def schema(cls):
        "The JSON Schema of the format, read from the module folder."
        return _schema()

    # Export

    @classmethod
    def export_member(cls, member):
        "The member file of member, as a dict following the schema."
        pool = Pool()
        Member = pool.get('spsti.member')
        Address = pool.get('party.address')
        Establishment = pool.get('spsti.establishment')
        Assignment = pool.get('spsti.assignment')
        Declaration = pool.get('spsti.declaration')
        with Transaction().set_context(active_test=False):
            member = Member(member.id)
            party = member.party
            addresses = Address.search(
                [('party', '=', party.id)],
                order=[('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')])
            establishments = Establishment.search(
                [('member', '=', member.id)], order=[('id', 'ASC')])
            assignments = Assignment.search(
                [('member', '=', member.id)], order=[('id', 'ASC')])
            declarations = Declaration.search([
                    ('member', '=', member.id),
                    ('state', 'in', ['validated', 'superseded']),
                    ], order=[('year', 'ASC'), ('version', 'ASC')])

            if not party.siren:
                raise PortabilityError(gettext(
                        'spsti_adherent.msg_portability_no_siren',
                        member=member.rec_name))
            for establishment in establishments:
                if not establishment.address.siret:
                    raise PortabilityError(gettext(
                            'spsti_adherent.msg_portability_no_siret',
                            establishment=establishment.rec_name))
            address_keys = {a.id: f'address-{i}'
                for i, a in enumerate(addresses, 1)}
            employees = {a.employee for a in assignments}
            employees.update(l.employee
                for d in declarations for l in d.lines)
            employees = sorted(employees, key=lambda e: (
                    e.last_name.upper(), e.first_name.upper(), e.birth_date,
                    e.nir or '', e.id))
            rank = {e.id: i for i, e in enumerate(employees, 1)}
            employee_keys = {id_: f'employee-{i}' for id_, i in rank.items()}
            establishments.sort(key=lambda e: e.address.siret.code_compact)

            data = {
                'format': FORMAT,
                'version': VERSION,
                'exported_at': dt.datetime.now(dt.timezone.utc).replace(
                    microsecond=0).isoformat().replace('+00:00', 'Z'),
                'source_service': cls._export_source_service(),
                'member': {
                    'membership': {
                        'number': member.number,
                        'state': member.state,
                        'request_date': iso_date(member.request_date),
                        'membership_date': iso_date(member.membership_date),
                        },
                    'company': {
                        'name': party.name,
                        'siren': party.siren.code_compact,
                        'addresses': [
                            cls._export_address(a, address_keys[a.id])
                            for a in addresses],
                        },
                    'establishments': [
                        cls._export_establishment(e, address_keys)
                        for e in establishments],
                    'employees': [
                        cls._export_employee(e, employee_keys[e.id])
                        for e in employees],
                    'assignments': [
                        cls._export_assignment(a, employee_keys)
                        for a in sorted(assignments, key=lambda a: (
                                rank[a.employee.id], a.start_date,
                                a.establishment.address.siret.code_compact,
                                a.id))],
                    'declarations': [
                        cls._export_declaration(d, employee_keys, rank)
                        for d in declarations],
                    },
                }
        cls.validate_schema(data)
        return data

    @classmethod
    def _export_source_service(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        companies = ([Company(company_id)] if company_id
            else Company.search([], order=[('id', 'ASC')], limit=1))
        if not companies:
            raise PortabilityError(gettext(
                    'spsti_adherent.msg_portability_no_company'))
        party = companies[0].party
        return {
            'name': party.name,
            'siren': party.siren.code_compact if party.siren else None,
            }

    @classmethod
    def _export_address(cls, address, key):
        return {
            'key': key,
            'street': address.street or None,
            'postal_code': address.postal_code or None,
            'city': address.city or None,
            'country_code': address.country.code if address.country else None,
            }

    @classmethod
    def _export_establishment(cls, establishment, address_keys):
        return {
            'name': establishment.name,
            'siret': establishment.address.siret.code_compact,
            'naf_code': (establishment.activity.code
                if establishment.activity else None),
            'address': address_keys[establishment.address.id],
            'active': bool(establishment.active),
            'positions': [{
                    'name': p.name,
                    'pcs_ese_code': p.job.code if p.job else None,
                    'night_work': bool(p.night_work),
                    'exposures': sorted(({
                                'risk_code': x.risk.code,
                                'note': x.note or None,
                                } for x in p.exposures),
                        key=lambda x: (x['risk_code'], x['note'] or '')),
                    } for p in sorted(establishment.positions,
                    key=lambda p: (p.name, p.id))],
            }

    @classmethod
    def _export_employee(cls, employee, key):
        return {
            'key': key,
            'birth_name': employee.last_name,
            'usage_name': employee.usage_name or None,
            'first_names': employee.first_name,
            'birth_date': iso_date(employee.birth_date),
            'sex': employee.sex,
            'birth_place_code': employee.birth_place or None,
            'nir': employee.nir or None,
            'ins': employee.ins or None,
            'identity_status': employee.identity_status,
            'contact': {
                'email': employee.email or None,
                'phone': employee.phone or None,
                'mobile': employee.mobile or None,
                'street': employee.street or None,
                'postal_code': employee.postal_code or None,
                'city': employee.city or None,
                },
            'consents': {
                'email': bool(employee.consent_email),
                'sms': bool(employee.consent_sms),
                'portal': bool(employee.consent_portal),
                },
            }

    @classmethod
    def _export_assignment(cls, assignment, employee_keys):
        if assignment.category_override:
            override = {
                'category_code': assignment.category_override.code,
                'reason': assignment.override_reason or None,
                'date': iso_date(assignment.override_date),
                }
        elif assignment.transfer_override_category:
            # Received from a previous service: passed on as it came.
            override = {
                'category_code': assignment.transfer_override_category.code,
                'reason': assignment.transfer_override_reason or None,
                'date': iso_date(assignment.transfer_override_date),
                }
        else:
            override = None
        return {
            'employee': employee_keys[assignment.employee.id],
            'establishment_siret': (
                assignment.establishment.address.siret.code_compact),
            'pcs_ese_code': assignment.job.code if assignment.job else None,
            'job_title': assignment.job_title or None,
            'contract_type': assignment.contract_type,
            'start_date': iso_date(assignment.start_date),
            'end_date': iso_date(assignment.end_date),
            'situations': {
                'night_work': bool(assignment.night_work),
                'disabled_worker': bool(assignment.disabled_worker),
                'invalidity_pension': bool(assignment.invalidity_pension),
                'pregnancy': bool(assignment.pregnancy),
                },
            'exposures': sorted(({
                        'risk_code': e.risk.code,
                        'source': e.source,
                        'start_date': iso_date(e.start_date),
                        'end_date': iso_date(e.end_date),
                        'note': e.note or None,
                        } for e in assignment.exposures),
                key=lambda e: (e['risk_code'], _none_last(e['start_date']),
                    _none_last(e['end_date']), e['source'],
                    e['note'] or '')),
            'category_code': (assignment.category.code
                if assignment.category else None),
            'category_date': iso_date(assignment.category_date),
            'doctor_override': override,
            }

    @classmethod
    def _export_declaration(cls, declaration, employee_keys, rank):
        lines = [(rank[l.employee.id], {
                'employee': employee_keys[l.employee.id],
                'establishment_siret': (
                    l.establishment.address.siret.code_compact
                    if l.establishment and l.establishment.address.siret
                    else None),
                'pcs_ese_code': l.job.code if l.job else None,
                'category_code': l.category.code if l.category else None,
                'included': bool(l.included),
                'note': l.note or None,
                }) for l in declaration.lines]
        lines = [l for _, l in sorted(lines, key=lambda x: (x[0],
                    x[1]['establishment_siret'] or '',
                    x[1]['pcs_ese_code'] or '', x[1]['category_code'] or '',
                    x[1]['included'], x[1]['note'] or ''))]
        return {
            'year': declaration.year,
            'version': declaration.version,
            'reference_date': iso_date(declaration.reference_date),
            'state': declaration.state,
            'validation_date': iso_date(declaration.validation_date),
            'counts': {
                'SIG': declaration.count_sig,
                'SIA': declaration.count_sia,
                'SIR': declaration.count_sir,
                'total': declaration.count_total,
                },
            'lines': lines,
            }

    @classmethod
    def dumps(cls, data):
        "The file content (UTF-8 JSON bytes) of a member file."
        return json.dumps(
            data, ensure_ascii=False, indent=2).encode('utf-8') + b'\n'

    @classmethod
    def filename(cls, data):
        siren = data['member']['company']['siren']
        return f'{FORMAT}-{siren}-{data["exported_at"][:10]}.json'

    # Checks

    @classmethod
    def load(cls, data):
        """The member file as a dict from bytes, str or dict, checked
        against its format, version and schema."""
        return load_document(data, FORMAT, VERSION, cls.schema(), _error)

    @classmethod
    def validate_schema(cls, data):
        check_schema(data, VERSION, cls.schema(), _error)

    @classmethod
    def reference_errors(cls, data):
        """Inconsistencies the schema cannot see: duplicate keys, SIRET,
        NIR or declaration versions, references to missing objects."""
        member = data['member']
        errors = []

        def unique(items, name, path):
            seen = set()
            for i, item in enumerate(items):
                value = item[name]
                if value is None:
                    continue
                if value in seen:
                    errors.append(gettext(
                            'spsti_adherent.msg_portability_duplicate',
                            path=json_path(path + [i, name]), value=value))
                seen.add(value)
            return seen

        addresses = unique(member['company']['addresses'], 'key',
            ['member', 'company', 'addresses'])
        sirets = unique(member['establishments'], 'siret',
            ['member', 'establishments'])
        employees = unique(member['employees'], 'key',
            ['member', 'employees'])
        unique(member['employees'], 'nir', ['member', 'employees'])
        seen = set()
        for i, declaration in enumerate(member['declarations']):
            key = (declaration['year'], declaration['version'])
            if key in seen:
                errors.append(gettext(
                        'spsti_adherent.msg_portability_duplicate',
                        path=json_path(
                            ['member', 'declarations', i, 'version']),
                        value='%s v%s' % key))
            seen.add(key)

        def missing(value, known, path):
            if value is not None and value not in known:
                errors.append(gettext(
                        'spsti_adherent.msg_portability_missing_reference',
                        path=json_path(path), value=value))

        for i, establishment in enumerate(member['establishments']):
            missing(establishment['address'], addresses,
                ['member', 'establishments', i, 'address'])
        for i, assignment in enumerate(member['assignments']):
            path = ['member', 'assignments', i]
            missing(assignment['employee'], employees, path + ['employee'])
            missing(assignment['establishment_siret'], sirets,
                path + ['establishment_siret'])
        for i, declaration in enumerate(member['declarations']):
            for j, line in enumerate(declaration['lines']):
                path = ['member', 'declarations', i, 'lines', j]
                missing(line['employee'], employees, path + ['employee'])
                missing(line['establishment_siret'], sirets,
                    path + ['establishment_siret'])
        return errors

    @classmethod
    def _codes(cls, data):
        "The referential codes the import uses, as (kind, code, path)."
        member = data['member']
        for i, establishment in enumerate(member['establishments']):
            path = ['member', 'establishments', i]
            yield 'naf', establishment['naf_code'], path + ['naf_code']
            for j, position in enumerate(establishment['positions']):
                ppath = path + ['positions', j]
                yield 'pcs_ese', position['pcs_ese_code'], (
                    ppath + ['pcs_ese_code'])
                for k, exposure in enumerate(position['exposures']):
                    yield 'risk', exposure['risk_code'], (
                        ppath + ['exposures', k, 'risk_code'])
        for i, assignment in enumerate(member['assignments']):
            path = ['member', 'assignments', i]
            yield 'pcs_ese', assignment['pcs_ese_code'], (
                path + ['pcs_ese_code'])
            for k, exposure in enumerate(assignment['exposures']):
                yield 'risk', exposure['risk_code'], (
                    path + ['exposures', k, 'risk_code'])
            if assignment['doctor_override']:
                yield 'category', (
                    assignment['doctor_override']['category_code']), (
                    path + ['doctor_override', 'category_code'])
        for i, declaration in enumerate(member['declarations']):
            for j, line in enumerate(declaration['lines']):
                path = ['member', 'declarations', i, 'lines', j]
                yield 'pcs_ese', line['pcs_ese_code'], (
                    path + ['pcs_ese_code'])
                yield 'category', line['category_code'], (
                    path + ['category_code'])

    @classmethod
    def resolve_codes(cls, data):
        """The records of the referential codes used by data, as
        {(kind, code): record}; raise an error listing every unknown code
        with its JSON path."""
        pool = Pool()
        usages = [(k, c, p) for k, c, p in cls._codes(data) if c]
        wanted = defaultdict(set)
        for kind, code, _ in usages:
            wanted[kind].add(code)
        records = {}
        in_max = backend.MAX_QUERY_PARAMS
        with Transaction().set_context(active_test=False):
            for kind, codes in wanted.items():
                model, domain = REFERENTIALS[kind]
                Model = pool.get(model)
                for sub in grouped_slice(sorted(codes), in_max):
                    for record in Model.search(
                            [('code', 'in', list(sub))] + domain):
                        records[(kind, record.code)] = record
        unknown = [(k, c, p) for k, c, p in usages if (k, c) not in records]
        if unknown:
            lines = [gettext('spsti_adherent.msg_portability_unknown_code',
                    path=json_path(path), code=code,
                    referential=pool.get(REFERENTIALS[kind][0]).__names__()[
                        'model'])
                for kind, code, path in unknown]
            raise PortabilityError(gettext(
                    'spsti_adherent.msg_portability_unknown_codes',
                    count=len({(k, c) for k, c, _ in unknown}),
                    codes='\n'.join(f'- {l}' for l in lines)))
        return records

    @classmethod
    def check_not_imported(cls, data):
        "Refuse a file whose company is already a member of this service."
        Member = Pool().get('spsti.member')
        company = data['member']['company']
        members = Member.search(
            [('siren', '=', company['siren'])], limit=1)
        if members:
            raise PortabilityError(gettext(
                    'spsti_adherent.msg_portability_member_exists',
                    company=company['name'], siren=company['siren'],
                    member=members[0].rec_name))

    @classmethod
    def match_employees(cls, data):
        """The employees this service already follows, as {file key:
        employee}: matched by NIR, or when the file has none by birth name,
        first names, birth date and sex (a single match). A NIR whose
        birth date or sex differ here is an identity conflict."""
        Employee = Pool().get('spsti.employee')
        items = data['member']['employees']
        by_nir = {}
        in_max = backend.MAX_QUERY_PARAMS
        nirs = sorted({e['nir'] for e in items if e['nir']})
        with Transaction().set_context(active_test=False):
            for sub in grouped_slice(nirs, in_max):
                by_nir.update((e.nir, e) for e in Employee.search(
                        [('nir', 'in', list(sub))]))
            result, conflicts = {}, []
            for i, item in enumerate(items):
                if item['nir']:
                    employee = by_nir.get(item['nir'])
                else:
                    found = Employee.search([
                            ('last_name', '=', item['birth_name']),
                            ('first_name', '=', item['first_names']),
                            ('birth_date', '=',
                                parse_iso_date(item['birth_date'])),
                            ('sex', '=', item['sex']),
                            ], limit=2)
                    employee = found[0] if len(found) == 1 else None
                if not employee:
                    continue
                if (employee.birth_date != parse_iso_date(item['birth_date'])
                        or employee.sex != item['sex']):
                    conflicts.append(gettext(
                            'spsti_adherent.msg_portability_identity_line',
                            path=json_path(['member', 'employees', i, 'nir']),
                            nir=item['nir'], employee=employee.rec_name))
                result[item['key']] = employee
        if conflicts:
            raise PortabilityError(gettext(
                    'spsti_adherent.msg_portability_identity_conflicts',
                    errors='\n'.join(f'- {c}' for c in conflicts)))
        return result

    # Import

    @classmethod
    def import_member_file(cls, data):
        """Create the member of a file coming from another service; returns
        it. Everything is checked before anything is created."""
        data = cls.load(data)
        errors = cls.reference_errors(data)
        if errors:
            raise PortabilityError(gettext(
                    'spsti_adherent.msg_portability_references',
                    errors='\n'.join(f'- {e}' for e in errors)))
        cls.check_not_imported(data)
        codes = cls.resolve_codes(data)
        known = cls.match_employees(data)

        member, addresses = cls._import_member(data)
        establishments = cls._import_establishments(
            data, member, addresses, codes)
        employees = cls._import_employees(data, known)
        assignments = cls._import_assignments(
            data, member, establishments, employees, codes)
        cls._import_declarations(
            data, member, establishments, employees, assignments, codes)
        return member

    @classmethod
    def _import_member(cls, data):
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Country = pool.get('country.country')
        Member = pool.get('spsti.member')
        History = pool.get('spsti.member.history')
        company = data['member']['company']
        # A company already known here (customer, supplier) is not
        # duplicated: it becomes the member, with the file's addresses.
        parties = Party.search([
                ('identifiers', 'where', [
                        ('type', '=', 'fr_siren'),
                        ('code_compact', '=', company['siren']),
                        ]),
                ], limit=1)
        if parties:
            party, = parties
        else:
            party, = Party.create([{'name': company['name']}])
        country_codes = {a['country_code'] for a in company['addresses']
            if a['country_code']}
        countries = {c.code: c for c in Country.search(
                [('code', 'in', list(country_codes))])}
        created = Address.create([{
                    'party': party.id,
                    'street': a['street'],
                    'postal_code': a['postal_code'],
                    'city': a['city'],
                    'country': (countries[a['country_code']].id
                        if a['country_code'] in countries else None),
                    } for a in company['addresses']])
        addresses = {a['key']: address
            for a, address in zip(company['addresses'], created)}

        values = {
            'party': party.id,
            'state': 'requested',
            'request_date': dt.date.today(),
            }
        if not party.siren:
            values['siren'] = company['siren']
        member, = Member.create([values])
        source = data['source_service']
        membership = data['member']['membership']
        History.create([{
                    'member': member.id,
                    'date': dt.date.today(),
                    'from_state': 'prospect',
                    'to_state': 'requested',
                    'note': gettext(
                        'spsti_adherent.msg_portability_history_note',
                        service=source['name'],
                        siren=source['siren'] or '',
                        number=membership['number'] or '',
                        date=data['exported_at'][:10]),
                    }])
        return member, addresses

    @classmethod
    def _import_establishments(cls, data, member, addresses, codes):
        Establishment = Pool().get('spsti.establishment')

        def code(kind, value):
            return codes[(kind, value)].id if value else None

        items = data['member']['establishments']
        created = Establishment.create([{
                    'member': member.id,
                    'name': e['name'],
                    'address': addresses[e['address']].id,
                    'siret': e['siret'],
                    'activity': code('naf', e['naf_code']),
                    'active': e['active'],
                    'positions': [('create', [{
                                    'name': p['name'],
                                    'job': code('pcs_ese', p['pcs_ese_code']),
                                    'night_work': p['night_work'],
                                    'exposures': [('create', [{
                                                    'risk': code(
                                                        'risk',
                                                        x['risk_code']),
                                                    'note': x['note'],
                                                    }
                                                for x in p['exposures']])],
                                    } for p in e['positions']])],
                    } for e in items])
        return {e['siret']: record for e, record in zip(items, created)}

    @classmethod
    def _import_employees(cls, data, known):
        Employee = Pool().get('spsti.employee')
        items = [e for e in data['member']['employees']
            if e['key'] not in known]
        created = Employee.create([{
                    'last_name': e['birth_name'],
                    'usage_name': e['usage_name'],
                    'first_name': e['first_names'],
                    'birth_date': parse_iso_date(e['birth_date']),
                    'sex': e['sex'],
                    'birth_place': e['birth_place_code'],
                    'nir': e['nir'],
                    'ins': e['ins'],
                    'identity_status': e['identity_status'],
                    'email': e['contact']['email'],
                    'phone': e['contact']['phone'],
                    'mobile': e['contact']['mobile'],
                    'street': e['contact']['street'],
                    'postal_code': e['contact']['postal_code'],
                    'city': e['contact']['city'],
                    'consent_email': e['consents']['email'],
                    'consent_sms': e['consents']['sms'],
                    'consent_portal': e['consents']['portal'],
                    } for e in items])
        employees = dict(known)
        employees.update((e['key'], record)
            for e, record in zip(items, created))
        return employees

    @classmethod
    def _import_assignments(
            cls, data, member, establishments, employees, codes):
        """Assignments with source 'portability'. The category is computed
        by this service's rules; a doctor's override is kept for
        information only."""
        Assignment = Pool().get('spsti.assignment')

        def code(kind, value):
            return codes[(kind, value)].id if value else None

        items = data['member']['assignments']
        values = []
        for a in items:
            override = a['doctor_override'] or {}
            values.append({
                    'employee': employees[a['employee']].id,
                    'member': member.id,
                    'establishment': (
                        establishments[a['establishment_siret']].id),
                    'job': code('pcs_ese', a['pcs_ese_code']),
                    'job_title': a['job_title'],
                    'contract_type': a['contract_type'],
                    'start_date': parse_iso_date(a['start_date']),
                    'end_date': parse_iso_date(a['end_date']),
                    **a['situations'],
                    'source': 'portability',
                    'transfer_override_category': code(
                        'category', override.get('category_code')),
                    'transfer_override_reason': override.get('reason'),
                    'transfer_override_date': parse_iso_date(
                        override.get('date')),
                    'exposures': [('create', [{
                                    'risk': code('risk', x['risk_code']),
                                    'source': x['source'],
                                    'start_date': parse_iso_date(
                                        x['start_date']),
                                    'end_date': parse_iso_date(x['end_date']),
                                    'note': x['note'],
                                    } for x in a['exposures']])],
                    })
        created = Assignment.create(values)
        return list(zip(items, created))

    @classmethod
    def _import_declarations(cls, data, member, establishments, employees,
            assignments, codes):
        """Validated and superseded declarations, as history: created with
        their lines, then given their state and counts as declared."""
        Declaration = Pool().get('spsti.declaration')

        def code(kind, value):
            return codes[(kind, value)].id if value else None

        by_key = defaultdict(list)
        for item, record in assignments:
            by_key[(item['employee'], item['establishment_siret'])].append(
                record)

        def assignment_of(line, date):
            "The imported assignment the line declared, if any."
            for record in by_key[
                    (line['employee'], line['establishment_siret'])]:
                if (record.start_date <= date
                        and (not record.end_date or record.end_date >= date)):
                    return record.id

        items = sorted(data['member']['declarations'],
            key=lambda d: (d['year'], d['version']))
        created = Declaration.create([{
                    'member': member.id,
                    'year': d['year'],
                    'version': d['version'],
                    'reference_date': parse_iso_date(d['reference_date']),
                    'lines': [('create', [{
                                    'employee': employees[l['employee']].id,
                                    'establishment': (
                                        establishments[
                                            l['establishment_siret']].id
                                        if l['establishment_siret']
                                        else None),
                                    'assignment': assignment_of(l,
                                        parse_iso_date(d['reference_date'])),
                                    'job': code('pcs_ese', l['pcs_ese_code']),
                                    'category': code(
                                        'category', l['category_code']),
                                    'included': l['included'],
                                    'note': l['note'],
                                    } for l in d['lines']])],
                    } for d in items])
        previous = {}
        args = []
        for d, declaration in zip(items, created):
            args.extend(([declaration], {
                        'state': d['state'],
                        'validation_date': parse_iso_date(
                            d['validation_date']),
                        'count_sig': d['counts']['SIG'],
                        'count_sia': d['counts']['SIA'],
                        'count_sir': d['counts']['SIR'],
                        'count_total': d['counts']['total'],
                        'previous': previous.get(d['year']),
                        }))
            previous[d['year']] = declaration.id
        if args:
            Declaration.write(*args)
        return created


class Assignment(metaclass=PoolMeta):
    __name__ = 'spsti.assignment'
    transfer_override_category = fields.Many2One(
        'spsti.follow_up.category', "Category Set at the Previous Service",
        readonly=True, ondelete='RESTRICT',
        states={'invisible': ~Eval('transfer_override_category')},
        help="The category a doctor of the service the member came from "
        "had set, for information: it is not applied, the category is "
        "computed by this service's rules.")
    transfer_override_reason = fields.Text(
        "Reason at the Previous Service", readonly=True,
        states={'invisible': ~Eval('transfer_override_category')})
    transfer_override_date = fields.Date(
        "Decision Date at the Previous Service", readonly=True,
        states={'invisible': ~Eval('transfer_override_category')})

    def get_category_explanation(self, name):
        explanation = super().get_category_explanation(name)
        if self.transfer_override_category:
            explanation += '\n' + gettext(
                'spsti_adherent.msg_portability_previous_override',
                category=self.transfer_override_category.rec_name,
                date=(self.transfer_override_date.strftime('%d/%m/%Y')
                    if self.transfer_override_date else ''),
                reason=self.transfer_override_reason or '')
        return explanation


class ExportResult(ModelView):
    __name__ = 'spsti.member.file.export.result'
    __string__ = "Export the Member File"
    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)


class Export(Wizard):
    """Exporter le dossier de l'adhérent: the member file to hand over to
    the service the member joins."""
    __name__ = 'spsti.member.file.export'
    start = StateTransition()
    result = StateView('spsti.member.file.export.result',
        'spsti_adherent.member_file_export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_start(self):
        return 'result'

    def default_result(self, fields):
        MemberFile = Pool().get('spsti.member.file')
        data = MemberFile.export_member(self.record)
        return {
            'file': MemberFile.dumps(data),
            'filename': MemberFile.filename(data),
            }


class ImportStart(ModelView):
    __name__ = 'spsti.member.file.import.start'
    __string__ = "Import a Member File"
    file = fields.Binary(
        "File", filename='filename', required=True,
        help="A member file (spsti-member-file JSON) exported by the "
        "service the member leaves.")
    filename = fields.Char("File Name")


class Import(Wizard):
    """Importer un dossier d'adhérent: create the member of a file coming
    from another service, awaiting acceptance."""
    __name__ = 'spsti.member.file.import'
    start = StateView('spsti.member.file.import.start',
        'spsti_adherent.member_file_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateAction('spsti_adherent.act_member')

    def do_import_(self, action):
        MemberFile = Pool().get('spsti.member.file')
        member = MemberFile.import_member_file(self.start.file)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', '=', member.id)])
        action['views'].reverse()
        return action, {'res_id': [member.id]}
