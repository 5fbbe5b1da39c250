"""Transmission du DMST: the medical file of an employee sent to the service
that follows them now, unless they refused, and its import there (format
"spsti-medical-file", see transfer/README.md)."""
import datetime as dt
import functools
import json


from trytond.i18n import gettext
from trytond.model import Model, ModelView, fields
from trytond.modules.spsti_adherent.portability import (
    iso_date, load_document, parse_iso_date, read_schema)
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import TransferError

FORMAT = 'spsti-medical-file'
VERSION = '1.0'
SCHEMA_PATH = 'spsti_dmst/transfer/medical-file-1.0.schema.json'
HEALTH_DATA = [
    ('anamnesis', 'anamnesis'),
    ('height_cm', 'height'),
    ('weight_kg', 'weight'),
    ('systolic_mmhg', 'systolic'),
    ('diastolic_mmhg', 'diastolic'),
    ('heart_rate_bpm', 'heart_rate'),
    ('vision', 'vision'),
    ('hearing', 'hearing'),
    ('complementary_exams', 'complementary_exams'),
    ('exposures', 'exposures'),
    ('clinical_notes', 'clinical_notes'),
    ]
OUTCOME_TEXTS = [
    'employer_recommendations', 'adjustment_proposal', 'employee_advice',
    'next_visit']


@functools.cache
def _schema():
    return read_schema(SCHEMA_PATH)


def _error(kind, **values):
    return TransferError(gettext(f'spsti_dmst.msg_transfer_{kind}', **values))


class MedicalFileTransfer(Model):
    """The medical file in the transfer format: export from this service,
    import from another one. Both go through the access checks and the
    access log of the medical files."""
    __name__ = 'spsti.dmst.transfer'
    __string__ = "Medical File Transfer"

    @classmethod
    def export_file(cls, file):
        """The transfer data of file; refused when the employee refused
        the transfer. Logged as an export of the file."""
        pool = Pool()
        MedicalFile = pool.get('spsti.dmst')
        Company = pool.get('company.company')
        MedicalFile.audit([file.id], 'export')
        with without_check_access():
            file = MedicalFile(file.id)
            if file.transfer_refused:
                raise TransferError(gettext(
                        'spsti_dmst.msg_transfer_refused',
                        file=file.rec_name))
            company = Transaction().context.get('company')
            company = Company(company) if company else None
            employee = file.employee
            return {
                'format': FORMAT,
                'version': VERSION,
                'exported_at': dt.datetime.now(dt.timezone.utc).strftime(
                    '%Y-%m-%dT%H:%M:%SZ'),
                'source_service': {
                    'name': company.party.name if company else "SPSTI",
                    'siren': cls._siren(company),
                    },
                'employee': {
                    'nir': employee.nir or None,
                    'birth_name': employee.last_name,
                    'first_names': employee.first_name,
                    'birth_date': iso_date(employee.birth_date),
                    'sex': employee.sex,
                    },
                'file': {
                    'opening_date': iso_date(file.opening_date),
                    'occupational_history': file.occupational_history,
                    'medical_history': file.medical_history,
                    'notes': file.notes,
                    },
                'consultations': [cls._export_consultation(c)
                    for c in sorted(file.consultations,
                        key=lambda c: (c.date, c.id))],
                'vaccinations': [{
                        'vaccine': v.vaccine,
                        'date': iso_date(v.date),
                        'booster_date': iso_date(v.booster_date),
                        'notes': v.notes,
                        } for v in sorted(file.vaccinations,
                        key=lambda v: (v.date, v.id))],
                'pathologies': [{
                        'code': p.code,
                        'name': p.name,
                        'start_date': iso_date(p.start_date),
                        'end_date': iso_date(p.end_date),
                        'occupational': bool(p.occupational),
                        } for p in sorted(file.pathologies,
                        key=lambda p: p.id)],
                }

    @staticmethod
    def _siren(company):
        if company:
            for identifier in company.party.identifiers:
                if identifier.type == 'fr_siren':
                    return identifier.code

    @classmethod
    def _export_consultation(cls, consultation):
        professional = consultation.professional
        return {
            'date': iso_date(consultation.date),
            'visit_type': consultation.visit_type.code,
            'mode': consultation.mode,
            'professional': ({
                    'name': professional.rec_name,
                    'profession': professional.profession.name,
                    'doctor': bool(professional.doctor),
                    } if professional else dict(
                    consultation.origin_professional_values())),
            'health_data': {key: getattr(consultation, name)
                for key, name in HEALTH_DATA},
            'outcome': {
                'kind': consultation.outcome,
                'issued_date': iso_date(consultation.issued_date),
                'orientation': bool(consultation.orientation),
                'advice': sorted(a.code for a in consultation.advice),
                **{name: getattr(consultation, name)
                    for name in OUTCOME_TEXTS},
                },
            }

    @classmethod
    def dumps(cls, data):
        "The file content (UTF-8 JSON bytes)."
        return json.dumps(
            data, ensure_ascii=False, indent=2).encode('utf-8') + b'\n'

    @classmethod
    def filename(cls, data):
        employee = data['employee']
        return (f'{FORMAT}-{employee["birth_name"]}-'
            f'{employee["birth_date"]}.json')

    @classmethod
    def load(cls, data):
        """The transfer data from bytes, checked against its format,
        version and schema; every violation is listed with its path."""
        return load_document(data, FORMAT, VERSION, _schema(), _error)

    @classmethod
    def match_employee(cls, data):
        """The employee of the file followed here: by NIR, else by birth
        name, first names, birth date and sex (a single match)."""
        Employee = Pool().get('spsti.employee')
        identity = data['employee']
        birth_date = parse_iso_date(identity['birth_date'])
        with without_check_access():
            if identity['nir']:
                found = Employee.search(
                    [('nir', '=', identity['nir'])], limit=1)
            else:
                found = Employee.search([
                        ('last_name', '=', identity['birth_name']),
                        ('first_name', '=', identity['first_names']),
                        ('birth_date', '=', birth_date),
                        ('sex', '=', identity['sex']),
                        ], limit=2)
                found = found if len(found) == 1 else []
            if (not found or found[0].birth_date != birth_date
                    or found[0].sex != identity['sex']):
                raise TransferError(gettext(
                        'spsti_dmst.msg_transfer_no_employee',
                        employee=f'{identity["birth_name"]} '
                        f'{identity["first_names"]} '
                        f'({identity["birth_date"]})'))
            return found[0]

    @classmethod
    def import_file(cls, data):
        """Add the content of a transfer file to the medical file of its
        employee here (created if needed); everything is checked before
        anything is written. Returns the file."""
        pool = Pool()
        MedicalFile = pool.get('spsti.dmst')
        Consultation = pool.get('spsti.dmst.consultation')
        VisitType = pool.get('spsti.visit.type')
        AdviceType = pool.get('spsti.advice.type')
        AccessLog = pool.get('spsti.dmst.access_log')
        data = cls.load(data)
        employee = cls.match_employee(data)
        codes = {c['visit_type'] for c in data['consultations']}
        advice_codes = {a for c in data['consultations']
            for a in c['outcome']['advice']}
        with without_check_access():
            types = {t.code: t.id for t in VisitType.search(
                    [('code', 'in', list(codes))])}
            advice = {a.code: a.id for a in AdviceType.search(
                    [('code', 'in', list(advice_codes))])}
        missing = sorted((codes - types.keys()) | (
                advice_codes - advice.keys()))
        if missing:
            raise TransferError(gettext('spsti_dmst.msg_transfer_codes',
                    codes=', '.join(missing)))
        source = data['source_service']['name']
        file, = MedicalFile.get_or_create([employee])
        texts = data['file']
        received = gettext('spsti_dmst.msg_transfer_received',
            service=source, date=data['exported_at'][:10])
        MedicalFile.write([file], {
                'occupational_history': _merge(
                    file.occupational_history,
                    texts['occupational_history'], received),
                'medical_history': _merge(
                    file.medical_history, texts['medical_history'],
                    received),
                'notes': _merge(file.notes, texts['notes'], received),
                'vaccinations': [('create', [{
                                'vaccine': v['vaccine'],
                                'date': parse_iso_date(v['date']),
                                'booster_date': parse_iso_date(
                                    v['booster_date']),
                                'notes': v['notes'],
                                } for v in data['vaccinations']])],
                'pathologies': [('create', [{
                                'code': p['code'],
                                'name': p['name'],
                                'start_date': parse_iso_date(p['start_date']),
                                'end_date': parse_iso_date(p['end_date']),
                                'occupational': p['occupational'],
                                } for p in data['pathologies']])],
                })
        Consultation.create([
                cls._import_consultation(c, file, source, types, advice)
                for c in data['consultations']])
        AccessLog.record([file.id], 'import', reason=source)
        return file

    @classmethod
    def _import_consultation(cls, item, file, source, types, advice):
        outcome = item['outcome']
        professional = item['professional']
        return {
            'file': file.id,
            'visit_type': types[item['visit_type']],
            'date': parse_iso_date(item['date']),
            'mode': item['mode'],
            'professional': None,
            'origin_service': source,
            'origin_professional': professional['name'],
            'origin_profession': professional['profession'],
            'origin_doctor': professional['doctor'],
            **{name: item['health_data'][key] for key, name in HEALTH_DATA},
            'outcome': outcome['kind'],
            'issued_date': parse_iso_date(outcome['issued_date']),
            'orientation': outcome['orientation'],
            'advice': [('add', [advice[c] for c in outcome['advice']])],
            **{name: outcome[name] for name in OUTCOME_TEXTS},
            'delegated': False,
            'state': 'issued' if outcome['issued_date'] else 'draft',
            }


def _merge(current, received, heading):
    "A text of this service followed by the received one, if any."
    if not received:
        return current
    if not current:
        return f'{heading}\n{received}'
    return f'{current}\n\n{heading}\n{received}'


class ExportResult(ModelView):
    __name__ = 'spsti.dmst.transfer.export.result'
    __string__ = "Transfer the Medical File"
    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)


class Export(Wizard):
    """Transmettre le DMST: the file to send to the service that follows
    the employee now."""
    __name__ = 'spsti.dmst.transfer.export'
    start = StateTransition()
    result = StateView('spsti.dmst.transfer.export.result',
        'spsti_dmst.transfer_export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_start(self):
        return 'result'

    def default_result(self, fields):
        Transfer = Pool().get('spsti.dmst.transfer')
        data = Transfer.export_file(self.record)
        return {
            'file': Transfer.dumps(data),
            'filename': Transfer.filename(data),
            }


class ImportStart(ModelView):
    __name__ = 'spsti.dmst.transfer.import.start'
    __string__ = "Import a Medical File"
    file = fields.Binary(
        "File", filename='filename', required=True,
        help="A medical file (spsti-medical-file JSON) sent by the service "
        "that followed the employee.")
    filename = fields.Char("File Name")


class Import(Wizard):
    """Recevoir un DMST: add a file sent by another service to the medical
    file of the employee."""
    __name__ = 'spsti.dmst.transfer.import'
    start = StateView('spsti.dmst.transfer.import.start',
        'spsti_dmst.transfer_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateAction('spsti_dmst.act_dmst')

    def do_import_(self, action):
        Transfer = Pool().get('spsti.dmst.transfer')
        file = Transfer.import_file(self.start.file)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', '=', file.id)])
        action['views'].reverse()
        return action, {'res_id': [file.id]}
