"""Import d'effectif: workforce files of the members (DPAE hires, DSN
entries and exits) into employees, job assignments and exposures.

The file is read as a stream and handled by chunks: per chunk, one query
finds the known employees by NIR, one by identity traits, one the known
assignments by contract identifier (then one by start date), and the
creations and writes are grouped into a few ORM calls. Every bad line is
reported (line, column, reason, raw value) and skipped; the good lines are
saved, because each line is an independent hire or exit. Re-importing a
file changes nothing: employees are matched by NIR, else by birth name,
first names and birth date; assignments by establishment and contract
identifier, else by employee, establishment and start date.
See data/WORKFORCE_IMPORT.md for the columns.
"""
import csv
import datetime as dt
import io
import itertools
import os
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from stdnum.exceptions import ValidationError as StdnumError

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.spsti_base.csv_import import BooleanColumn, LineError
from trytond.modules.spsti_base.identifiers import VALIDATORS
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import WorkforceImportError

KINDS = [
    ('dpae', "DPAE (hires)"),
    ('dsn', "DSN (entries and exits)"),
    ]
STATES = [
    ('draft', "Draft"),
    ('done', "Done"),
    ('failed', "Failed"),
    ]
# Canonical column name: accepted headers (compared lowercased, without
# accents, spaces and dashes turned into underscores).
COLUMNS = {
    'siret': ('siret',),
    'nir': ('nir', 'nss'),
    'last_name': ('last_name', 'nom', 'nom_naissance'),
    'usage_name': ('usage_name', 'nom_usage'),
    'first_name': ('first_name', 'prenom', 'prenoms'),
    'birth_date': ('birth_date', 'date_naissance'),
    'sex': ('sex', 'sexe'),
    'contract_id': ('contract_id', 'numero_contrat', 'contrat'),
    'contract_type': ('contract_type', 'type_contrat', 'nature_contrat'),
    'start_date': ('start_date', 'date_debut', 'date_embauche'),
    'end_date': ('end_date', 'date_fin'),
    'pcs_code': ('pcs_code', 'pcs', 'pcs_ese'),
    'job_title': ('job_title', 'emploi', 'libelle_emploi'),
    'night_work': ('night_work', 'travail_nuit'),
    'risks': ('risks', 'risques'),
    }
REQUIRED = ['siret', 'last_name', 'first_name', 'birth_date', 'sex',
    'contract_type', 'start_date']
SEXES = {'F': 'F', 'M': 'M', 'H': 'M', '1': 'M', '2': 'F'}
# Contract types: the codes of spsti.assignment, French words, and the DSN
# "nature du contrat" codes (S21.G00.40.007).
CONTRACT_TYPES = {
    'cdi': 'cdi', 'cdd': 'cdd', 'interim': 'interim',
    'apprentice': 'apprentice', 'professionalisation': 'professionalisation',
    'intern': 'intern', 'seasonal': 'seasonal', 'other': 'other',
    'apprentissage': 'apprentice', 'professionnalisation':
    'professionalisation', 'stage': 'intern', 'saisonnier': 'seasonal',
    'autre': 'other',
    }
DSN_CONTRACT_NATURES = {
    '01': 'cdi',  # CDI de droit privé
    '02': 'cdd',  # CDD de droit privé
    '03': 'interim',  # contrat de mission (travail temporaire)
    '07': 'cdi',  # CDI intermittent
    '08': 'interim',  # CDI intérimaire
    '09': 'cdi',  # CDI de droit public
    '10': 'cdd',  # CDD de droit public
    '29': 'intern',  # convention de stage
    '90': 'other',  # autre nature de contrat
    }
CHUNK_SIZE = 500
# Values per SQL "IN" list.
IN_MAX = 1000


def _normalise_header(header):
    header = unicodedata.normalize('NFKD', header.strip().lstrip('\ufeff'))
    header = ''.join(c for c in header if not unicodedata.combining(c))
    return header.lower().replace(' ', '_').replace('-', '_')


HEADERS = {alias: name for name, aliases in COLUMNS.items()
    for alias in aliases}


def _name_key(name):
    "Birth name or first names as compared for identity: no accent, case."
    name = unicodedata.normalize('NFKD', name)
    name = ''.join(c for c in name if not unicodedata.combining(c))
    return ' '.join(name.replace('-', ' ').upper().split())


def parse_date(value):
    "A date written YYYY-MM-DD, DD/MM/YYYY or DDMMYYYY (DSN); else None."
    try:
        if len(value) == 10 and value[4] == '-' and value[7] == '-':
            return dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
        if len(value) == 10 and value[2] == '/' and value[5] == '/':
            return dt.date(int(value[6:]), int(value[3:5]), int(value[:2]))
        if len(value) == 8 and value.isdigit():
            return dt.date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        pass
    return None


def _as_date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


@dataclass
class WorkforceLineError(LineError):
    "A rejected line: LineError with the raw value of the column."
    value: str = ''


@dataclass
class WorkforceReport:
    filename: str
    kind: str
    state: str = 'done'
    lines_read: int = 0
    employees_created: int = 0
    employees_updated: int = 0
    assignments_created: int = 0
    assignments_updated: int = 0
    assignments_ended: int = 0
    errors: list = field(default_factory=list)

    @property
    def lines_rejected(self):
        return len({e.line for e in self.errors if e.line})

    @property
    def created(self):
        return self.employees_created + self.assignments_created

    def counts(self):
        return {name: getattr(self, name) for name in [
                'lines_read', 'employees_created', 'employees_updated',
                'assignments_created', 'assignments_updated',
                'assignments_ended', 'lines_rejected']}

    def __str__(self):
        summary = gettext('spsti_adherent.msg_workforce_import_report',
            file=self.filename, **self.counts())
        return '\n'.join([summary] + [str(e) for e in self.errors])


class _Line:
    "The converted values of one good line of the file."
    __slots__ = ('line', 'raw', 'siret', 'nir', 'last_name', 'usage_name',
        'first_name', 'birth_date', 'sex', 'contract_id', 'contract_type',
        'start_date', 'end_date', 'job', 'job_title', 'night_work', 'risks',
        'establishment', 'person', 'person_changes')


class _Person:
    "An employee of the database (id set) or to create (values set)."
    __slots__ = ('id', 'nir', 'sex', 'usage_name', 'rec_name', 'values',
        'changes', 'used')

    def __init__(self, id=None, nir=None, sex=None, usage_name=None,
            rec_name='', values=None):
        self.id = id
        self.nir = nir
        self.sex = sex
        self.usage_name = usage_name
        self.rec_name = rec_name
        self.values = values
        self.changes = {}
        self.used = False


class _Contract:
    "An assignment of the database (id set) or to create (values set)."
    __slots__ = ('id', 'employee', 'establishment', 'external_key',
        'start_date', 'end_date', 'contract_type', 'job', 'job_title',
        'night_work', 'risks', 'new_risks', 'changes', 'person', 'values')

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))
        self.new_risks = set()
        self.changes = set()


class _Establishment:
    __slots__ = ('id', 'member', 'error')

    def __init__(self, id=None, member=None, error=None):
        self.id = id
        self.member = member
        self.error = error


class _Importer:
    "One run over one file; holds the referential caches and the counts."

    def __init__(self, kind, report, chunk_size=CHUNK_SIZE, commit=False,
            batch=None):
        pool = Pool()
        Job = pool.get('spsti.job')
        Risk = pool.get('spsti.risk')
        self.kind = kind
        self.report = report
        self.chunk_size = chunk_size
        self.commit = commit
        self.batch = batch
        self.counted = 0
        with Transaction().set_context(active_test=False):
            self.jobs = {j.code.lower(): j.id for j in Job.search(
                    [('level', '=', 'profession')])}
            self.risks = {r.code.upper(): r.id for r in Risk.search([])}
        self.establishments = {}
        self.columns = {}
        self.headers = {}
        self.in_max = IN_MAX

    # Reading

    def run(self, stream):
        try:
            header = next(stream, '')
        except UnicodeDecodeError:
            return self.fail(1, gettext('spsti_base.msg_import_encoding',
                    file=self.report.filename))
        if not header.strip():
            return self.fail(1, gettext(
                    'spsti_adherent.msg_workforce_import_empty',
                    file=self.report.filename))
        delimiter = self.detect_delimiter(header)
        reader = csv.reader(itertools.chain([header], stream),
            delimiter=delimiter)
        headers = next(reader)
        if not self.read_header(headers):
            return self.report
        indexes = [(name, i) for name, i in self.columns.items()]
        chunk = []
        try:
            for row in reader:
                if not any(v.strip() for v in row):
                    continue
                self.report.lines_read += 1
                values = {name: row[i].strip() if i < len(row) else ''
                    for name, i in indexes}
                line = self.convert(reader.line_num, values)
                if line is not None:
                    chunk.append(line)
                if self.report.lines_read % self.chunk_size == 0:
                    self.flush(chunk)
                    chunk = []
        except UnicodeDecodeError:
            self.flush(chunk)
            return self.fail(reader.line_num + 1, gettext(
                    'spsti_base.msg_import_encoding',
                    file=self.report.filename))
        except csv.Error as exception:
            self.flush(chunk)
            return self.fail(reader.line_num, str(exception))
        self.flush(chunk)
        return self.report

    def fail(self, line, message):
        self.report.state = 'failed'
        self.report.errors.append(WorkforceLineError(line, '', message))
        return self.report

    @staticmethod
    def detect_delimiter(header):
        "The separator giving the most known columns, else the sniffed one."
        scores = {d: sum(_normalise_header(h) in HEADERS
                for h in next(csv.reader([header], delimiter=d)))
            for d in ';,\t'}
        best = max(scores, key=scores.get)
        if scores[best]:
            return best
        try:
            return csv.Sniffer().sniff(header, delimiters=';,\t').delimiter
        except csv.Error:
            return ','

    def read_header(self, headers):
        unknown = []
        self.headers = {}
        for i, header in enumerate(headers):
            name = HEADERS.get(_normalise_header(header))
            if name is None:
                if header.strip():
                    unknown.append(header.strip())
                continue
            self.columns[name] = i
            self.headers[name] = header.strip().lstrip('\ufeff')
        missing = [n for n in REQUIRED if n not in self.columns]
        if missing:
            self.fail(1, gettext('spsti_base.msg_import_missing_columns',
                    file=self.report.filename, columns=', '.join(missing)))
        elif unknown:
            self.fail(1, gettext('spsti_base.msg_import_unknown_columns',
                    file=self.report.filename, columns=', '.join(unknown),
                    expected=', '.join(COLUMNS)))
        return self.report.state != 'failed'

    # Conversion of one line (no query)

    def error(self, line, name, message, value=''):
        self.report.errors.append(WorkforceLineError(
                line, self.headers.get(name, name), message, value))

    def convert(self, number, values):
        "Return a _Line, or None when the line has errors (reported)."
        errors = len(self.report.errors)
        line = _Line()
        line.line = number
        line.raw = values
        for name in REQUIRED:
            if not values.get(name):
                self.error(number, name,
                    gettext('spsti_base.msg_import_required'))
        line.siret = values.get('siret', '').replace(' ', '')
        if line.siret:
            try:
                VALIDATORS['siret'](line.siret)
            except StdnumError:
                self.error(number, 'siret', gettext(
                        'spsti_adherent.msg_workforce_import_bad_siret',
                        value=values['siret']), values['siret'])
        line.last_name = values.get('last_name')
        line.first_name = values.get('first_name')
        line.usage_name = values.get('usage_name') or None
        line.birth_date = self.convert_date(number, values, 'birth_date')
        line.start_date = self.convert_date(number, values, 'start_date')
        line.end_date = self.convert_date(number, values, 'end_date')
        sex = values.get('sex', '')
        line.sex = SEXES.get(sex.upper())
        if sex and not line.sex:
            self.error(number, 'sex', gettext(
                    'spsti_adherent.msg_workforce_import_bad_sex',
                    value=sex), sex)
        line.nir = values.get('nir', '').replace(' ', '').upper() or None
        if line.nir:
            self.check_nir(line)
        line.contract_id = values.get('contract_id') or None
        contract_type = values.get('contract_type', '')
        line.contract_type = (CONTRACT_TYPES.get(_name_key(contract_type)
                .lower().replace(' ', ''))
            or DSN_CONTRACT_NATURES.get(contract_type.zfill(2)))
        if contract_type and not line.contract_type:
            self.error(number, 'contract_type', gettext(
                    'spsti_adherent.msg_workforce_import_bad_contract_type',
                    value=contract_type,
                    values=', '.join(sorted(set(CONTRACT_TYPES.values()))),
                    codes=', '.join(DSN_CONTRACT_NATURES)), contract_type)
        pcs = values.get('pcs_code', '').lower()
        line.job = self.jobs.get(pcs) if pcs else None
        if pcs and not line.job:
            self.error(number, 'pcs_code', gettext(
                    'spsti_adherent.msg_workforce_import_unknown_job',
                    value=values['pcs_code']), values['pcs_code'])
        line.job_title = values.get('job_title') or None
        night_work = values.get('night_work', '')
        line.night_work = None
        if night_work:
            try:
                line.night_work = BooleanColumn('night_work').convert(
                    night_work, {})
            except ValueError as exception:
                self.error(number, 'night_work', str(exception), night_work)
        line.risks = set()
        for code in filter(None, (c.strip() for c in
                    values.get('risks', '').split('|'))):
            risk = self.risks.get(code.upper())
            if risk is None:
                self.error(number, 'risks', gettext(
                        'spsti_adherent.msg_workforce_import_unknown_risk',
                        value=code), values['risks'])
            line.risks.add(risk)
        if line.end_date:
            if self.kind == 'dpae':
                self.error(number, 'end_date', gettext(
                        'spsti_adherent.msg_workforce_import_dpae_end'),
                    values['end_date'])
            elif line.start_date and line.end_date < line.start_date:
                self.end_before_start(line, line.end_date, line.start_date)
        if len(self.report.errors) > errors:
            return None
        return line

    def convert_date(self, number, values, name):
        value = values.get(name)
        if not value:
            return None
        date = parse_date(value)
        if date is None:
            self.error(number, name, gettext(
                    'spsti_adherent.msg_workforce_import_bad_date',
                    value=value), value)
        return date

    def end_before_start(self, line, end, start):
        self.error(line.line, 'end_date', gettext(
                'spsti_adherent.msg_workforce_import_end_before_start',
                end=end.strftime('%d/%m/%Y'),
                start=start.strftime('%d/%m/%Y')),
            line.raw.get('end_date', ''))

    def check_nir(self, line):
        "The existing checks: key, then agreement with sex and birth date."
        Employee = Pool().get('spsti.employee')
        raw = line.raw['nir']
        try:
            VALIDATORS['nir'](line.nir)
        except StdnumError:
            self.error(line.line, 'nir', gettext(
                    'spsti_adherent.msg_workforce_import_bad_nir',
                    value=raw), raw)
            return
        if (line.sex and line.birth_date and line.last_name
                and line.first_name):
            employee = Employee(nir=line.nir, sex=line.sex,
                birth_date=line.birth_date, last_name=line.last_name,
                first_name=line.first_name, usage_name=line.usage_name)
            try:
                employee.check_nir()
            except UserError as exception:
                self.error(line.line, 'nir', exception.message, raw)

    # One chunk of good lines: lookups, matching, grouped saves

    def flush(self, lines):
        if lines:
            first, last = lines[0].line, lines[-1].line
            lines = self.resolve_establishments(lines)
            lines = self.resolve_employees(lines)
            contracts = self.resolve_assignments(lines)
            try:
                self.save(lines, contracts)
            except UserError as exception:
                # The lines are checked beforehand: a rule of another
                # module refused them; stop rather than guess which line.
                raise WorkforceImportError(gettext(
                        'spsti_adherent.msg_workforce_import_chunk_failed',
                        first=first, last=last,
                        error=exception.message)) from exception
        if self.commit:
            Transaction().commit()
        if self.batch:
            if self.commit:
                self.batch.hold()
            self.batch.advance(self.report.lines_read - self.counted)
            self.counted = self.report.lines_read

    def resolve_establishments(self, lines):
        pool = Pool()
        Establishment = pool.get('spsti.establishment')
        missing = {l.siret for l in lines} - set(self.establishments)
        if missing:
            for siret in missing:
                self.establishments[siret] = _Establishment(
                    error=gettext(
                        'spsti_adherent.msg_workforce_import_unknown_siret',
                        value=siret))
            with Transaction().set_context(active_test=False):
                found = Establishment.search([('siret', 'in', list(missing))])
            for establishment in found:
                siret = establishment.address.siret.code_compact
                member = establishment.member
                error = None
                if member.state != 'member':
                    error = gettext(
                        'spsti_adherent.msg_workforce_import_not_member',
                        establishment=establishment.rec_name,
                        member=member.rec_name)
                self.establishments[siret] = _Establishment(
                    establishment.id, member.id, error)
        good = []
        for line in lines:
            establishment = self.establishments[line.siret]
            if establishment.error:
                self.error(line.line, 'siret', establishment.error,
                    line.raw['siret'])
            else:
                line.establishment = establishment
                good.append(line)
        return good

    def resolve_employees(self, lines):
        "Find or plan the employee of each line, never twice the same person."
        pool = Pool()
        Employee = pool.get('spsti.employee')
        table = Employee.__table__()
        cursor = Transaction().connection.cursor()
        columns = [table.id, table.nir, table.last_name, table.first_name,
            table.birth_date, table.sex, table.usage_name]
        by_nir, by_identity = {}, defaultdict(list)

        def add(row):
            id_, nir, last, first, birth, sex, usage = row
            birth = _as_date(birth)
            person = _Person(id_, nir, sex, usage,
                f'{last.upper()} {first} - {birth.strftime("%d/%m/%Y")}')
            if nir:
                by_nir[nir] = person
            by_identity[(_name_key(last), _name_key(first), birth)].append(
                person)

        nirs = sorted({l.nir for l in lines if l.nir})
        for sub in grouped_slice(nirs, self.in_max):
            cursor.execute(*table.select(*columns,
                    where=table.nir.in_(list(sub))))
            for row in cursor:
                add(row)
        dates = sorted({l.birth_date for l in lines
                if not l.nir or l.nir not in by_nir})
        for sub in grouped_slice(dates, self.in_max):
            cursor.execute(*table.select(*columns,
                    where=table.birth_date.in_(list(sub)),
                    order_by=[table.id.asc]))
            for row in cursor:
                if row[1] not in by_nir:
                    add(row)

        good = []
        for line in lines:
            key = (_name_key(line.last_name), _name_key(line.first_name),
                line.birth_date)
            person = by_nir.get(line.nir) if line.nir else None
            line.person_changes = {}
            if person is None:
                person = next((p for p in by_identity[key]
                        if not line.nir or not p.nir), None)
                if person is not None and line.nir:
                    if person.sex != line.sex:
                        self.error(line.line, 'sex', gettext(
                                'spsti_adherent'
                                '.msg_workforce_import_identity_conflict',
                                employee=person.rec_name), line.raw['sex'])
                        continue
                    # Recorded now, so that no other line takes this person
                    # for another NIR.
                    person.nir = line.nir
                    by_nir[line.nir] = person
                    if person.id:
                        line.person_changes['nir'] = line.nir
                    else:
                        person.values['nir'] = line.nir
            if person is None:
                person = _Person(nir=line.nir, sex=line.sex,
                    usage_name=line.usage_name,
                    rec_name=f'{line.last_name.upper()} {line.first_name} - '
                    f'{line.birth_date.strftime("%d/%m/%Y")}', values={
                        'last_name': line.last_name,
                        'first_name': line.first_name,
                        'usage_name': line.usage_name,
                        'birth_date': line.birth_date,
                        'sex': line.sex,
                        'nir': line.nir,
                        })
                if line.nir:
                    by_nir[line.nir] = person
                by_identity[key].append(person)
            elif (person.id and line.usage_name
                    and line.usage_name != person.usage_name):
                line.person_changes['usage_name'] = line.usage_name
            line.person = person
            good.append(line)
        return good

    def _select_assignments(self, where):
        Assignment = Pool().get('spsti.assignment')
        table = Assignment.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, table.employee,
                table.establishment, table.external_key, table.start_date,
                table.end_date, table.contract_type, table.job,
                table.job_title, table.night_work,
                where=where(table), order_by=[table.id.asc]))
        for row in cursor:
            (id_, employee, establishment, key, start, end, contract_type,
                job, title, night) = row
            yield _Contract(id=id_, employee=employee,
                establishment=establishment, external_key=key,
                start_date=_as_date(start), end_date=_as_date(end),
                contract_type=contract_type, job=job, job_title=title,
                night_work=bool(night))

    def resolve_assignments(self, lines):
        """Match each line to an assignment of the database or of the chunk
        and record the changes; return every contract touched."""
        pool = Pool()
        Exposure = pool.get('spsti.assignment.exposure')
        # A contract number identifies a contract of one employee in an
        # establishment (as in the DSN): keys are (establishment, number)
        # and the employee must agree.
        by_key, by_start = defaultdict(list), defaultdict(list)
        keys = {l.contract_id for l in lines if l.contract_id}
        establishments = {l.establishment.id for l in lines}
        for sub in grouped_slice(sorted(keys), self.in_max):
            for contract in self._select_assignments(
                    lambda t: t.external_key.in_(list(sub))
                    & t.establishment.in_(list(establishments))):
                by_key[(contract.establishment,
                        contract.external_key)].append(contract)
        keyed = {(c.employee, c.establishment, c.external_key)
            for c in itertools.chain(*by_key.values())}
        employees = {l.person.id for l in lines if l.person.id
            and (l.person.id, l.establishment.id, l.contract_id)
            not in keyed}
        starts = {l.start_date for l in lines}
        for sub in grouped_slice(sorted(employees), self.in_max):
            for contract in self._select_assignments(
                    lambda t: t.employee.in_(list(sub))
                    & t.establishment.in_(list(establishments))
                    & t.start_date.in_(list(starts))):
                by_start[(contract.employee, contract.establishment,
                        contract.start_date)].append(contract)
        known = {c.id: c for c in itertools.chain(
                *by_key.values(), *by_start.values())}
        for contract in known.values():
            contract.risks = set()
        exposure = Exposure.__table__()
        cursor = Transaction().connection.cursor()
        risky = sorted(known) if any(l.risks for l in lines) else []
        for sub in grouped_slice(risky, self.in_max):
            cursor.execute(*exposure.select(exposure.assignment, exposure.risk,
                    where=exposure.assignment.in_(list(sub))))
            for assignment, risk in cursor:
                known[assignment].risks.add(risk)

        touched = {}
        for line in lines:
            establishment = line.establishment.id
            person_key = line.person.id or id(line.person)
            contract = None
            if line.contract_id:
                contract = next((c for c in by_key[
                            (establishment, line.contract_id)]
                        if c.employee == person_key), None)
            if contract is None:
                contract = next((c for c in by_start[
                            (person_key, establishment, line.start_date)]
                        if not c.external_key or not line.contract_id
                        or c.external_key == line.contract_id), None)
            if contract is None:
                contract = _Contract(person=line.person,
                    establishment=establishment,
                    external_key=line.contract_id,
                    start_date=line.start_date, contract_type='cdi',
                    night_work=False, risks=set(),
                    values={'member': line.establishment.member})
                contract.employee = person_key
            end = line.end_date or contract.end_date
            if end and end < line.start_date:
                self.end_before_start(line, end, line.start_date)
                continue
            self.apply(contract, line)
            if line.contract_id:
                by_key[(establishment, line.contract_id)].insert(0, contract)
            by_start[(person_key, establishment, contract.start_date)].insert(
                0, contract)
            touched[id(contract)] = contract
            line.person.used = True
            line.person.changes.update(line.person_changes)
        return list(touched.values())

    @staticmethod
    def apply(contract, line):
        "Copy the given values of line onto contract, noting the changes."
        values = {
            'start_date': line.start_date,
            'contract_type': line.contract_type,
            'external_key': line.contract_id,
            'end_date': line.end_date,
            'job': line.job,
            'job_title': line.job_title,
            'night_work': line.night_work,
            }
        for name, value in values.items():
            if value is not None and getattr(contract, name) != value:
                setattr(contract, name, value)
                contract.changes.add(name)
        contract.new_risks |= line.risks - contract.risks

    def save(self, lines, contracts):
        pool = Pool()
        Employee = pool.get('spsti.employee')
        Assignment = pool.get('spsti.assignment')
        Exposure = pool.get('spsti.assignment.exposure')
        report = self.report
        people = {id(l.person): l.person for l in lines if l.person.used}
        new_people = [p for p in people.values() if not p.id]
        if new_people:
            for person, record in zip(new_people,
                    Employee.create([p.values for p in new_people])):
                person.id = record.id
        report.employees_created += len(new_people)
        to_write = defaultdict(list)
        for person in people.values():
            if person.values is None and person.changes:
                to_write[tuple(sorted(person.changes.items()))].append(
                    person.id)
        if to_write:
            Employee.write(*itertools.chain(*((Employee.browse(ids),
                            dict(changes))
                        for changes, ids in to_write.items())))
            report.employees_updated += sum(map(len, to_write.values()))

        to_create, to_write, exposures = [], defaultdict(list), []
        for contract in contracts:
            if contract.id is None:
                to_create.append(values := {
                        'employee': contract.person.id,
                        'member': contract.values['member'],
                        'establishment': contract.establishment,
                        'job': contract.job,
                        'job_title': contract.job_title,
                        'contract_type': contract.contract_type,
                        'start_date': contract.start_date,
                        'end_date': contract.end_date,
                        'night_work': contract.night_work,
                        'source': self.kind,
                        'external_key': contract.external_key,
                        })
                if contract.new_risks:
                    values['exposures'] = [('create', [{
                                    'risk': risk,
                                    'source': 'employer',
                                    'start_date': contract.start_date,
                                    } for risk in sorted(contract.new_risks)])]
                continue
            if contract.changes:
                changes = tuple(sorted((name, getattr(contract, name))
                        for name in contract.changes))
                to_write[changes].append(contract.id)
            exposures.extend({
                    'assignment': contract.id,
                    'risk': risk,
                    'source': 'employer',
                    'start_date': contract.start_date,
                    } for risk in sorted(contract.new_risks))
            if 'end_date' in contract.changes:
                report.assignments_ended += 1
            elif contract.changes or contract.new_risks:
                report.assignments_updated += 1
        if to_create:
            Assignment.create(to_create)
            report.assignments_created += len(to_create)
        if to_write:
            Assignment.write(*itertools.chain(*((Assignment.browse(ids),
                            dict(changes))
                        for changes, ids in to_write.items())))
        if exposures:
            Exposure.create(exposures)


def _open(source):
    "A stream of text lines from a path, bytes or a file object."
    if isinstance(source, (str, os.PathLike)):
        return open(source, encoding='utf-8-sig', newline='')
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    if isinstance(source, io.TextIOBase):
        return source
    return io.TextIOWrapper(source, encoding='utf-8-sig', newline='')


class WorkforceImport(ModelSQL, ModelView):
    """Import d'effectif: a workforce file of the members, DPAE (hires) or
    DSN-derived (entries and exits), turned into employees, job
    assignments and exposures; every rejected line is kept with its
    reason."""
    __name__ = 'spsti.workforce.import'
    __string__ = "Workforce Import"
    _rec_name = 'filename'
    _states = {'readonly': Eval('state') == 'done'}
    file = fields.Binary(
        "File", filename='filename',
        states={
            'readonly': Eval('state') == 'done',
            'required': Eval('state') == 'draft',
            },
        help="CSV file in UTF-8, separated by semicolons or commas.")
    filename = fields.Char("File Name", states=_states)
    kind = fields.Selection(KINDS, "Kind", required=True, states=_states,
        help="DPAE: hires only; DSN: entries and exits (end dates).")
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    lines_read = fields.Integer("Lines Read", readonly=True)
    employees_created = fields.Integer("Employees Created", readonly=True)
    employees_updated = fields.Integer("Employees Updated", readonly=True)
    assignments_created = fields.Integer(
        "Assignments Created", readonly=True)
    assignments_updated = fields.Integer(
        "Assignments Updated", readonly=True)
    assignments_ended = fields.Integer("Assignments Ended", readonly=True)
    lines_rejected = fields.Integer("Lines Rejected", readonly=True)
    errors = fields.One2Many(
        'spsti.workforce.import.error', 'workforce_import', "Rejected Lines",
        readonly=True)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'process': {
                    'invisible': Eval('state') == 'done',
                    'icon': 'tryton-import',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_kind(cls):
        return 'dpae'

    @classmethod
    @ModelView.button
    def process(cls, imports):
        """Import the file of each record in a queued task; its batch
        (spsti.batch) shows the progress."""
        Batch = Pool().get('spsti.batch')
        cls.check_file(imports)
        for record in imports:
            batch = Batch.queue(record.rec_name, origin=record)
            if batch:
                cls.__queue__.run_import([record], commit=True)

    @classmethod
    def check_file(cls, imports):
        for record in imports:
            if not record.file:
                raise WorkforceImportError(gettext(
                        'spsti_adherent.msg_workforce_import_no_file',
                        workforce_import=record.rec_name or record.id))

    @classmethod
    def run_import(cls, imports, commit=False):
        """Import the file of each record, committing every chunk when
        asked (a rerun after a stop resumes: lines are matched on their
        keys)."""
        Batch = Pool().get('spsti.batch')
        cls.check_file(imports)
        for record in imports:
            # Lines of the file but the header, for the progress.
            total = max(record.file.count(b'\n') - 1, 1)
            with Batch.run(record.rec_name, record, total) as batch:
                report = cls.import_file(io.BytesIO(record.file),
                    record.kind, filename=record.filename, record=record,
                    commit=commit, batch=batch)
                batch.complete(summary=str(report))

    @classmethod
    def import_file(cls, source, kind, filename=None,
            chunk_size=CHUNK_SIZE, commit=False, record=None, batch=None):
        """Import a workforce file and return a WorkforceReport.

        source is a path, bytes or a file object (binary or text); the
        file is read as a stream, chunk_size lines at a time. With commit
        the transaction is committed after each chunk (long batches from
        the command line: a re-run resumes, since lines are matched on
        their keys). With record (a spsti.workforce.import), the counts,
        state and rejected lines are stored on it; with batch (a
        spsti.batch), the lines read are counted on it."""
        if kind not in dict(KINDS):
            raise WorkforceImportError(gettext(
                    'spsti_adherent.msg_workforce_import_bad_kind',
                    kind=kind))
        if filename is None:
            filename = (os.path.basename(source)
                if isinstance(source, (str, os.PathLike))
                else getattr(source, 'name', '') or '')
        report = WorkforceReport(str(filename), kind)
        importer = _Importer(kind, report, chunk_size=chunk_size,
            commit=commit, batch=batch)
        stream = _open(source)
        try:
            importer.run(stream)
        finally:
            if isinstance(source, (str, os.PathLike)):
                stream.close()
            elif stream is not source:
                # Leave the caller's file object open.
                stream.detach()
        report.errors.sort(key=lambda e: e.line)
        if record is not None:
            cls.store_report(record, report)
            if commit:
                Transaction().commit()
        return report

    @classmethod
    def store_report(cls, record, report):
        Error = Pool().get('spsti.workforce.import.error')
        Error.delete(Error.search([('workforce_import', '=', record.id)]))
        for sub in grouped_slice(report.errors, 1000):
            Error.create([{
                        'workforce_import': record.id,
                        'line': e.line,
                        'column': e.field,
                        'message': e.message,
                        'value': e.value,
                        } for e in sub])
        cls.write([record], {
                'state': report.state,
                **report.counts(),
                })

    @classmethod
    def copy(cls, imports, default=None):
        default = default.copy() if default else {}
        default.setdefault('state', 'draft')
        default.setdefault('errors', None)
        for name in WorkforceReport('', '').counts():
            default.setdefault(name, None)
        return super().copy(imports, default=default)


class WorkforceImportLineError(ModelSQL, ModelView):
    "Ligne rejetée d'un import d'effectif"
    __name__ = 'spsti.workforce.import.error'
    __string__ = "Workforce Import Rejected Line"
    workforce_import = fields.Many2One(
        'spsti.workforce.import', "Workforce Import", required=True,
        ondelete='CASCADE')
    line = fields.Integer("Line", readonly=True)
    column = fields.Char("Column", readonly=True)
    message = fields.Text("Reason", readonly=True)
    value = fields.Char("Raw Value", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('workforce_import')
        cls._order = [('line', 'ASC'), ('id', 'ASC')]
