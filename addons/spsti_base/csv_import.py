"""Import of referential lists (thésaurus, rule tables) from CSV files.

Rows are matched on their code, so importing the same file twice creates
nothing new (an import is an upsert). Every bad line is reported with its
number, field and reason; the good lines of a thésaurus are kept, while a
rule table is imported whole or not at all, because a half-loaded rule table
would compute wrong follow-up categories or due dates.
"""
import csv
import datetime as dt
import io
import os
from dataclasses import dataclass, field

from trytond.i18n import gettext
from trytond.model import Model
from trytond.pool import Pool
from trytond.tools import file_open
from trytond.transaction import Transaction

from .exceptions import ThesaurusImportError


@dataclass
class LineError:
    line: int
    field: str
    message: str

    def __str__(self):
        return gettext('spsti_base.msg_import_line',
            line=self.line, field=self.field, error=self.message)


@dataclass
class ImportReport:
    filename: str
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)

    @property
    def rejected(self):
        return len({e.line for e in self.errors})

    def __str__(self):
        summary = gettext('spsti_base.msg_import_report',
            file=self.filename, created=self.created, updated=self.updated,
            rejected=self.rejected)
        return '\n'.join([summary] + [str(e) for e in self.errors])


class Column:
    "How one CSV column feeds one field."
    required = False

    def __init__(self, field_name, required=False):
        self.field_name = field_name
        self.required = required

    def convert(self, value, context):
        return value


class CharColumn(Column):
    pass


class DateColumn(Column):
    def convert(self, value, context):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(gettext(
                    'spsti_base.msg_import_bad_date', value=value))


class IntegerColumn(Column):
    def convert(self, value, context):
        try:
            return int(value)
        except ValueError:
            raise ValueError(gettext(
                    'spsti_base.msg_import_bad_integer', value=value))


class BooleanColumn(Column):
    values = {
        '1': True, 'true': True, 'yes': True, 'oui': True, 'x': True,
        '0': False, 'false': False, 'no': False, 'non': False,
        }

    def convert(self, value, context):
        try:
            return self.values[value.lower()]
        except KeyError:
            raise ValueError(gettext(
                    'spsti_base.msg_import_bad_boolean', value=value))


class SelectionColumn(Column):
    def convert(self, value, context):
        Model = context['model']
        selection = dict(Model.fields_get([self.field_name])[
                self.field_name]['selection'])
        if value not in selection:
            raise ValueError(gettext('spsti_base.msg_import_bad_selection',
                    value=value, values=', '.join(k for k in selection if k)))
        return value


class CodeColumn(Column):
    "A reference to another record by its code."

    def __init__(self, field_name, model_name, required=False, multiple=False):
        super().__init__(field_name, required=required)
        self.model_name = model_name
        self.multiple = multiple

    def convert(self, value, context):
        codes = context['codes'].setdefault(
            self.model_name, _code_map(self.model_name))
        ids = []
        for code in (value.split('|') if self.multiple else [value]):
            code = code.strip()
            if code not in codes:
                Target = Pool().get(self.model_name)
                raise ValueError(gettext('spsti_base.msg_import_unknown_code',
                        model=Target.__names__()['model'], value=code))
            ids.append(codes[code])
        return ids if self.multiple else ids[0]


def _code_map(model_name):
    Target = Pool().get(model_name)
    with Transaction().set_context(active_test=False):
        records = Target.search([])
    return {r.code: r.id for r in records}


class CSVImportMixin(Model):
    """Records keyed by a unique code, loadable from a CSV file.

    _csv_columns maps a header to a Column; a "parent" header, when the model
    has a parent field, references a code of the same list."""
    __slots__ = ()
    _csv_file = None
    _csv_atomic = False

    @classmethod
    def _csv_columns(cls):
        return {
            'code': CharColumn('code', required=True),
            }

    @classmethod
    def csv_shipped_path(cls):
        return os.path.join('spsti_base', 'data', cls._csv_file)

    @classmethod
    def import_shipped(cls):
        "Load the list shipped with the module; any bad line is a defect."
        with file_open(cls.csv_shipped_path(), 'rb') as fp:
            report = cls.import_csv(fp.read(), cls._csv_file)
        if report.errors:
            raise ThesaurusImportError(str(report))
        return report

    @classmethod
    def import_csv(cls, data, filename):
        "Import CSV content (bytes, UTF-8) and return an ImportReport."
        try:
            text = data.decode('utf-8-sig')
        except UnicodeDecodeError:
            raise ThesaurusImportError(gettext(
                    'spsti_base.msg_import_encoding', file=filename))
        reader = csv.DictReader(io.StringIO(text, newline=''))
        columns = cls._csv_columns()
        has_parent = 'parent' in cls._fields
        headers = reader.fieldnames or []
        missing = [h for h, c in columns.items()
            if c.required and h not in headers]
        if missing:
            raise ThesaurusImportError(gettext(
                    'spsti_base.msg_import_missing_columns',
                    file=filename, columns=', '.join(missing)))
        unknown = [h for h in headers
            if h not in columns and not (has_parent and h == 'parent')]
        if unknown:
            raise ThesaurusImportError(gettext(
                    'spsti_base.msg_import_unknown_columns',
                    file=filename, columns=', '.join(unknown),
                    expected=', '.join(columns)))

        report = ImportReport(filename)
        context = {'model': cls, 'codes': {}}
        rows, parents, lines = {}, {}, {}
        for row in reader:
            line = reader.line_num
            values, errors = cls._csv_convert(row, columns, line, context)
            code = values.get('code')
            if code in rows:
                errors.append(LineError(line, 'code', gettext(
                            'spsti_base.msg_import_duplicate',
                            value=code, other=lines[code])))
            if errors:
                report.errors.extend(errors)
                continue
            rows[code] = values
            lines[code] = line
            if has_parent:
                parents[code] = (row.get('parent') or '').strip() or None

        with Transaction().set_context(active_test=False):
            existing = {r.code: r for r in cls.search([])}
        if has_parent:
            cls._csv_check_parents(rows, parents, lines, existing, report)
        if cls._csv_atomic and report.errors:
            raise ThesaurusImportError(gettext(
                    'spsti_base.msg_import_atomic', file=filename,
                    count=report.rejected)
                + '\n' + '\n'.join(str(e) for e in report.errors))
        cls._csv_save(rows, existing, report)
        if has_parent:
            cls._csv_link_parents(parents)
        report.errors.sort(key=lambda e: e.line)
        return report

    @classmethod
    def _csv_convert(cls, row, columns, line, context):
        values, errors = {}, []
        for header, column in columns.items():
            raw = (row.get(header) or '').strip()
            if not raw:
                if column.required:
                    errors.append(LineError(line, header,
                            gettext('spsti_base.msg_import_required')))
                continue
            try:
                values[column.field_name] = column.convert(raw, context)
            except ValueError as exception:
                errors.append(LineError(line, header, str(exception)))
        if not errors:
            message = cls._csv_check_values(values)
            if message:
                errors.append(LineError(line, '', message))
        return values, errors

    @classmethod
    def _csv_check_values(cls, values):
        "Return an error text when the values of one line are inconsistent."
        start, end = values.get('start_date'), values.get('end_date')
        if start and end and end < start:
            return gettext('spsti_base.msg_import_dates')

    @classmethod
    def _csv_check_parents(cls, rows, parents, lines, existing, report):
        # Drop rows whose parent is unknown or rejected, until stable, so
        # that no record is created half-attached.
        while True:
            rejected = [c for c, p in parents.items()
                if p and p not in rows and p not in existing]
            if not rejected:
                return
            for code in rejected:
                report.errors.append(LineError(lines[code], 'parent',
                        gettext('spsti_base.msg_import_unknown_parent',
                            value=parents[code])))
                del rows[code], parents[code]

    @classmethod
    def _csv_save(cls, rows, existing, report):
        to_create, to_write = [], []
        for code, values in rows.items():
            record = existing.get(code)
            if record is None:
                to_create.append({f: cls._csv_x2many(None, f, v)
                        for f, v in values.items()})
                continue
            changes = {f: cls._csv_x2many(record, f, v)
                for f, v in values.items()
                if not _same(getattr(record, f), v)}
            if changes:
                to_write.extend(([record], changes))
        if to_create:
            cls.create(to_create)
        if to_write:
            cls.write(*to_write)
        report.created += len(to_create)
        report.updated += len(to_write) // 2

    @classmethod
    def _csv_x2many(cls, record, name, value):
        "Turn a list of ids into the Many2Many actions of create or write."
        if cls._fields[name]._type != 'many2many':
            return value
        current = {r.id for r in getattr(record, name)} if record else set()
        actions = []
        if current - set(value):
            actions.append(('remove', sorted(current - set(value))))
        if set(value) - current:
            actions.append(('add', sorted(set(value) - current)))
        return actions

    @classmethod
    def _csv_link_parents(cls, parents):
        with Transaction().set_context(active_test=False):
            records = {r.code: r for r in cls.search([])}
        to_write = []
        for code, parent_code in parents.items():
            record = records[code]
            parent = records[parent_code] if parent_code else None
            if record.parent != parent:
                to_write.extend(([record], {
                            'parent': parent.id if parent else None}))
        if to_write:
            cls.write(*to_write)


def _same(current, value):
    if isinstance(value, list):
        return {r.id for r in current} == set(value)
    if isinstance(current, Model):
        return current.id == value
    return current == value
