"""Export pseudonymisé: the visits and the indicators of the service for
regional and national consolidation, without any direct identifier.

Employees and members are named by a keyed hash (HMAC-SHA256 with the
service's secret), so the rows of one person stay linked across the
service's exports while no other service, nor anyone without the secret,
can link them to a name or a NIR. Rows whose combination of attributes is
rarer than the smallest cell lose those attributes, and figures over fewer
people than that are suppressed. DuckDB writes Parquet and CSV; the schema
is in export/SCHEMA.md, a consolidation example in export/consolidate.py."""
import csv
import datetime as dt
import hashlib
import hmac
import os
import tempfile

from sql import Null
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.spsti_planning.reactivity import days_between
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ExportError

# The attributes that, together, could single a person out: a row whose
# combination is rarer than the smallest cell has them all emptied.
QUASI_IDENTIFIERS = ['sex', 'age_band', 'activity', 'job', 'category']
VISIT_COLUMNS = [
    'service', 'employee_key', 'member_key', 'month', 'visit_type',
    'origin', 'outcome', 'days_request_to_visit', 'on_time',
    ] + QUASI_IDENTIFIERS
INDICATOR_COLUMNS = [
    'service', 'indicator', 'unit', 'from_date', 'to_date', 'scope',
    'sector', 'numerator', 'denominator', 'value',
    ]
# The scopes consolidated: the service and its sectors (teams, centres,
# professionals and members are the service's own business).
EXPORT_SCOPES = ['service', 'sector']
FETCH = 10000


def keyed_hash(secret, kind, record_id):
    "The pseudonymous key of a record: HMAC-SHA256 of its kind and id."
    return hmac.new(secret, f'{kind}:{record_id}'.encode(),
        hashlib.sha256).hexdigest()


def age_band(birth_date, date):
    "The five-year band of the age at date, e.g. '40-44'."
    age = date.year - birth_date.year - (
        (date.month, date.day) < (birth_date.month, birth_date.day))
    low = age // 5 * 5
    return f'{low}-{low + 4}'


def _duckdb():
    try:
        import duckdb
    except ImportError as exception:
        raise ExportError(gettext(
                'spsti_pilotage.msg_export_duckdb_missing')) from exception
    return duckdb


def _visits(from_date, to_date, secret, service, writer):
    "Write the visits done in the period, pseudonymised, to writer."
    pool = Pool()
    request = pool.get('spsti.visit.request').__table__()
    assignment = pool.get('spsti.assignment').__table__()
    employee = pool.get('spsti.employee').__table__()
    establishment = pool.get('spsti.establishment').__table__()
    activity = pool.get('spsti.activity').__table__()
    job = pool.get('spsti.job').__table__()
    category = pool.get('spsti.follow_up.category').__table__()
    type_ = pool.get('spsti.visit.type').__table__()
    due = Coalesce(request.due_date_override, request.due_date)
    query = (request
        .join(assignment, condition=request.assignment == assignment.id)
        .join(employee, condition=request.employee == employee.id)
        .join(establishment,
            condition=assignment.establishment == establishment.id)
        .join(type_, condition=request.visit_type == type_.id)
        .join(activity, 'LEFT',
            condition=establishment.activity == activity.id)
        .join(job, 'LEFT', condition=assignment.job == job.id)
        .join(category, 'LEFT', condition=category.id == Coalesce(
                assignment.category_override, assignment.category))
        .select(
            request.employee, request.member, request.done_date,
            type_.code, request.origin, request.outcome,
            days_between(request.request_date, request.done_date),
            (due != Null) & (request.done_date <= due),
            employee.sex, employee.birth_date, activity.code, job.code,
            category.code,
            where=(request.state == 'done')
            & (request.done_date >= from_date)
            & (request.done_date <= to_date),
            order_by=[request.id]))
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    while rows := cursor.fetchmany(FETCH):
        for (employee_id, member_id, date, visit_type, origin, outcome,
                days, on_time, sex, birth_date, activity_code, job_code,
                category_code) in rows:
            if isinstance(date, str):
                date = dt.date.fromisoformat(date)
            if isinstance(birth_date, str):
                birth_date = dt.date.fromisoformat(birth_date)
            writer.writerow([
                    service,
                    keyed_hash(secret, 'employee', employee_id),
                    keyed_hash(secret, 'member', member_id),
                    date.strftime('%Y-%m'), visit_type, origin,
                    outcome or '', int(days), int(bool(on_time)),
                    sex or '', age_band(birth_date, date),
                    activity_code or '', job_code or '',
                    category_code or ''])


def _indicators(from_date, to_date, service, min_cell, writer):
    "Compute the indicators for the service and its sectors; write them."
    Indicator = Pool().get('spsti.indicator')
    indicators = Indicator.search([])
    for scope in EXPORT_SCOPES:
        for measure in Indicator.compute(
                indicators, from_date, to_date, scope):
            people = (measure.numerator if measure.indicator.unit == 'count'
                else measure.denominator) or 0
            small = people < min_cell
            writer.writerow([
                    service, measure.indicator.code, measure.indicator.unit,
                    from_date.isoformat(), to_date.isoformat(), scope,
                    measure.sector.code if measure.sector else '',
                    '' if small else measure.numerator,
                    '' if small else (measure.denominator or ''),
                    '' if small or measure.value is None
                    else measure.value])


def export(from_date, to_date, directory):
    """Write visits.parquet, visits.csv, indicators.parquet and
    indicators.csv of the period in directory; returns their paths."""
    Configuration = Pool().get('spsti.adherent.configuration')
    duckdb = _duckdb()
    if from_date > to_date:
        raise ExportError(gettext('spsti_pilotage.msg_period_inverted',
                from_date=from_date, to_date=to_date))
    config = Configuration(1)
    service = config.export_service_code
    if not service:
        raise ExportError(gettext('spsti_pilotage.msg_export_no_service'))
    secret = Configuration.export_key()
    min_cell = config.export_min_cell
    with tempfile.TemporaryDirectory() as work:
        raw = {}
        for name, columns, fill in [
                ('visits', VISIT_COLUMNS, lambda w: _visits(
                        from_date, to_date, secret, service, w)),
                ('indicators', INDICATOR_COLUMNS, lambda w: _indicators(
                        from_date, to_date, service, min_cell, w)),
                ]:
            raw[name] = os.path.join(work, f'{name}.csv')
            with open(raw[name], 'w', newline='', encoding='utf-8') as f:
                writer = csv.writer(f)
                writer.writerow(columns)
                fill(writer)
        connection = duckdb.connect()
        try:
            return _write(connection, raw, directory, min_cell)
        finally:
            connection.close()


def _write(connection, raw, directory, min_cell):
    "Type the raw files, suppress the rare combinations, write the files."
    types = {
        'visits': {
            'days_request_to_visit': 'INTEGER', 'on_time': 'BOOLEAN'},
        'indicators': {
            'from_date': 'DATE', 'to_date': 'DATE', 'numerator': 'DOUBLE',
            'denominator': 'INTEGER', 'value': 'DOUBLE'},
        }
    for name, path in raw.items():
        columns = {c: 'VARCHAR' for c in (
                VISIT_COLUMNS if name == 'visits' else INDICATOR_COLUMNS)}
        columns.update(types[name])
        connection.execute(
            f"CREATE TABLE raw_{name} AS SELECT * FROM read_csv(?, "
            f"header=true, columns={columns!r})", [path])
    quasi = ', '.join(QUASI_IDENTIFIERS)
    rare = ' AND '.join(f'v.{c} IS NOT DISTINCT FROM r.{c}'
        for c in QUASI_IDENTIFIERS)
    kept = ', '.join(
        f'CASE WHEN r.people IS NULL THEN v.{c} END AS {c}'
        for c in QUASI_IDENTIFIERS)
    others = ', '.join(
        f'v.{c}' for c in VISIT_COLUMNS if c not in QUASI_IDENTIFIERS)
    connection.execute(
        f"CREATE TABLE visits AS SELECT {others}, {kept} "
        f"FROM raw_visits v LEFT JOIN ("
        f"SELECT {quasi}, COUNT(DISTINCT employee_key) AS people "
        f"FROM raw_visits GROUP BY {quasi} HAVING people < {int(min_cell)}"
        f") r ON {rare}")
    connection.execute(
        "CREATE TABLE indicators AS SELECT * FROM raw_indicators")
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name in ['visits', 'indicators']:
        for form in ['parquet', 'csv']:
            path = os.path.join(directory, f'{name}.{form}')
            options = ("FORMAT parquet" if form == 'parquet'
                else "FORMAT csv, HEADER true")
            connection.execute(
                f"COPY {name} TO '{_quote(path)}' ({options})")
            paths.append(path)
    return paths


def _quote(path):
    "path as the body of a SQL string literal (COPY takes no parameter)."
    return path.replace("'", "''")


class ExportStart(ModelView):
    "The period of the pseudonymised export."
    __name__ = 'spsti.pilotage.export.start'
    __string__ = "Pseudonymised Export"
    from_date = fields.Date("From", required=True)
    to_date = fields.Date("To", required=True)

    @classmethod
    def default_from_date(cls):
        today = dt.date.today()
        return today.replace(year=today.year - 1, month=1, day=1)

    @classmethod
    def default_to_date(cls):
        today = dt.date.today()
        return today.replace(year=today.year - 1, month=12, day=31)


class ExportResult(ModelView):
    "The files of the pseudonymised export."
    __name__ = 'spsti.pilotage.export.result'
    __string__ = "Pseudonymised Export"
    visits_parquet = fields.Binary(
        "Visits (Parquet)", filename='visits_parquet_name', readonly=True)
    visits_parquet_name = fields.Char("Name", readonly=True)
    visits_csv = fields.Binary(
        "Visits (CSV)", filename='visits_csv_name', readonly=True)
    visits_csv_name = fields.Char("Name", readonly=True)
    indicators_parquet = fields.Binary(
        "Indicators (Parquet)", filename='indicators_parquet_name',
        readonly=True)
    indicators_parquet_name = fields.Char("Name", readonly=True)
    indicators_csv = fields.Binary(
        "Indicators (CSV)", filename='indicators_csv_name', readonly=True)
    indicators_csv_name = fields.Char("Name", readonly=True)


class Export(Wizard):
    "Make the pseudonymised export of a period."
    __name__ = 'spsti.pilotage.export'
    start = StateView('spsti.pilotage.export.start',
        'spsti_pilotage.export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'export', 'tryton-ok', default=True),
            ])
    export = StateTransition()
    result = StateView('spsti.pilotage.export.result',
        'spsti_pilotage.export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_export(self):
        # The secret is read by the export, never shown to its user.
        with Transaction().set_context(_check_access=False), \
                tempfile.TemporaryDirectory() as directory:
            paths = export(
                self.start.from_date, self.start.to_date, directory)
            for path in paths:
                name = os.path.basename(path)
                field = name.replace('.', '_')
                with open(path, 'rb') as f:
                    setattr(self.result, field, f.read())
                setattr(self.result, f'{field}_name', name)
        return 'result'

    def default_result(self, field_names):
        values = {}
        for name in field_names:
            value = getattr(self.result, name, None)
            field = self.result.__class__._fields[name]
            if isinstance(field, fields.Binary) and value is not None:
                value = field.cast(value)
                # The files are shown once, not kept in the session.
                setattr(self.result, name, None)
            values[name] = value
        return values
