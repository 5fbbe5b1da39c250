"""Dossier médical en santé au travail (DMST): one file per employee across
employers and assignments, readable only by the health professionals of
the teams that follow the employee, every read logged."""
import copy
import re

from sql.operators import In

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from .retention import retention_dates

FILE_STATES = [
    ('open', "Open"),
    ('archived', "Archived"),
    ('purged', "Purged"),
    ]
# What may change on a file that is no longer open.
ARCHIVE_FIELDS = {'state', 'archive_date', 'retention_until'}
CIM10 = re.compile(r'^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$')
# The calls of the client that return the content of records: they run in
# a read-write transaction to write the access log.
READ_METHODS = ['read', 'search_read', 'export_data']


class MedicalRecordMixin:
    """Health data (secret médical): the records of a medical file.

    A user acting through the client (access checked) reads them only in
    the files of the employees followed by their teams, or with an
    emergency access; each read, export or print is logged per file.
    Concrete models give the SQL column of their file (file_column)."""
    __slots__ = ()
    file_column = 'file'
    file_path = 'file'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for name in READ_METHODS:
            rpc = copy.copy(cls.__rpc__[name])
            rpc.readonly = False
            cls.__rpc__[name] = rpc

    @classmethod
    def medical_file_ids(cls, ids):
        "The ids of the medical files of the records ids."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        files = set()
        for sub in grouped_slice(ids, MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    getattr(table, cls.file_column),
                    where=In(table.id, list(sub))))
            files.update(f for f, in cursor if f)
        return files

    @classmethod
    def audit(cls, ids, kind):
        """Check the scope of the user and log the access to the files of
        ids, when the access is checked (a user through the client)."""
        transaction = Transaction()
        if not (transaction.user and transaction.check_access and ids):
            return
        pool = Pool()
        MedicalFile = pool.get('spsti.dmst')
        AccessLog = pool.get('spsti.dmst.access_log')
        files = cls.medical_file_ids(ids)
        MedicalFile.check_scope(files)
        AccessLog.record(files, kind)

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        "A user through the client finds only the files of their scope."
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            MedicalFile = Pool().get('spsti.dmst')
            domain = [domain, MedicalFile.scope_domain(cls.file_path)]
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, query=query)

    @classmethod
    def read(cls, ids, fields_names):
        cls.audit(ids, 'read')
        return super().read(ids, fields_names)

    @classmethod
    def values_file_ids(cls, vlist):
        "The ids of the medical files of the values of records to create."
        return {v[cls.file_column] for v in vlist if v.get(cls.file_column)}

    @classmethod
    def create(cls, vlist):
        "No record is added to a file that is no longer open."
        if cls.file_column != 'id':
            MedicalFile = Pool().get('spsti.dmst')
            MedicalFile.check_open(list(cls.values_file_ids(vlist)))
        return super().create(vlist)

    @classmethod
    def delete(cls, records):
        "Users do not delete records of a file that is no longer open."
        if cls.file_column != 'id' and Transaction().check_access:
            MedicalFile = Pool().get('spsti.dmst')
            MedicalFile.check_open(
                list(cls.medical_file_ids([r.id for r in records])))
        super().delete(records)

    @classmethod
    def write(cls, *args):
        if cls.file_column != 'id':
            MedicalFile = Pool().get('spsti.dmst')
            actions = iter(args)
            MedicalFile.check_open(list(set().union(*(
                            cls.medical_file_ids([r.id for r in records])
                            for records, _ in zip(actions, actions)))))
        super().write(*args)

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        cls.audit([r.id for r in records], 'export')
        return super().export_data(records, fields_names, header=header)


class MedicalFile(MedicalRecordMixin, ModelSQL, ModelView):
    """Dossier médical en santé au travail: the employee's health history
    kept by the service, shared by the employee's successive employers'
    follow-ups; transmitted to another service unless the employee
    refused."""
    __name__ = 'spsti.dmst'
    __string__ = "Occupational Medical File"
    file_column = 'id'
    file_path = 'id'
    employee = fields.Many2One(
        'spsti.employee', "Employee", required=True, ondelete='RESTRICT')
    opening_date = fields.Date("Opening Date", required=True)
    occupational_history = fields.Text(
        "Occupational History",
        help="Cursus laboris: previous jobs and exposures as told by the "
        "employee.")
    medical_history = fields.Text(
        "Medical History",
        help="Antécédents personnels et familiaux.")
    notes = fields.Text("Notes")
    transfer_refused = fields.Boolean(
        "Transfer Refused",
        help="The employee refused that the file be sent to another "
        "service.")
    consultations = fields.One2Many(
        'spsti.dmst.consultation', 'file', "Consultations", readonly=True)
    state = fields.Selection(FILE_STATES, "State", required=True,
        readonly=True, sort=False)
    archive_date = fields.Date("Archive Date", readonly=True)
    retention_until = fields.Date(
        "Kept Until", readonly=True,
        help="Computed when the file is archived, from the last visit and "
        "the exposures of the employee.")
    vaccinations = fields.One2Many(
        'spsti.dmst.vaccination', 'file', "Vaccinations")
    pathologies = fields.One2Many(
        'spsti.dmst.pathology', 'file', "Pathologies")
    pdp_cases = fields.One2Many(
        'spsti.pdp.case', 'file', "Job Retention Cases", readonly=True)
    pdp_scores = fields.One2Many(
        'spsti.pdp.score', 'file', "Detection Scores", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('employee_unique', Unique(t, t.employee),
                'spsti_dmst.msg_dmst_employee_unique'),
            ]
        cls._order = [('employee', 'ASC'), ('id', 'ASC')]
        cls._sql_indexes.add(
            Index(t, (t.retention_until, Index.Range()),
                where=t.state == 'archived'))
        cls._buttons.update({
                'archive': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'archived',
                    'depends': ['state'],
                    },
                'purge': {
                    'invisible': Eval('state') != 'archived',
                    'depends': ['state'],
                    },
                'score_pdp': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_opening_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_transfer_refused(cls):
        return False

    @classmethod
    def get_or_create(cls, employees):
        "The files of employees (same order), created where missing."
        ids = [e.id for e in employees]
        # Whoever may create a file must not create a second one because
        # the first is out of their scope.
        with without_check_access():
            files = {f.employee.id: cls(f.id) for f in cls.search(
                    [('employee', 'in', ids)])}
        missing = [i for i in dict.fromkeys(ids) if i not in files]
        for file in cls.create([{'employee': i} for i in missing]):
            files[file.employee.id] = file
        return [files[i] for i in ids]

    @classmethod
    def write(cls, *args):
        "A file no longer open is read-only."
        actions = iter(args)
        for files, values in zip(actions, actions):
            if values.keys() - ARCHIVE_FIELDS:
                cls.check_open(files)
        super().write(*args)

    @classmethod
    def check_open(cls, files):
        with without_check_access():
            for file in cls.browse(files):
                if file.state != 'open':
                    raise AccessError(gettext(
                            'spsti_dmst.msg_dmst_not_open',
                            file=file.rec_name))

    @classmethod
    @ModelView.button
    def archive(cls, files):
        """Archiver: the employee is no longer followed; the file becomes
        read-only and is kept until its retention date."""
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        with without_check_access():
            files = cls.browse(files)
            dates = retention_dates(files, today)
        args = [x for f in files if f.state == 'open'
            for x in ([f], {
                    'state': 'archived',
                    'archive_date': today,
                    'retention_until': dates[f.id],
                    })]
        if args:
            cls.write(*args)

    @classmethod
    @ModelView.button
    def score_pdp(cls, files):
        "Score the risk of job loss with the active detection methods."
        Pool().get('spsti.pdp.score').score_latest(files)

    @classmethod
    @ModelView.button
    def reopen(cls, files):
        "The employee is followed again."
        cls.write([f for f in files if f.state == 'archived'], {
                'state': 'open',
                'archive_date': None,
                'retention_until': None,
                })

    @classmethod
    @ModelView.button
    def purge(cls, files):
        """Purger, by decision of the staff once the retention is over:
        the health content is deleted; the file keeps the identity of the
        employee and its access log."""
        pool = Pool()
        Consultation = pool.get('spsti.dmst.consultation')
        Vaccination = pool.get('spsti.dmst.vaccination')
        Pathology = pool.get('spsti.dmst.pathology')
        Date = pool.get('ir.date')
        today = Date.today()
        for file in files:
            if (file.state != 'archived'
                    or not file.retention_until
                    or file.retention_until >= today):
                raise AccessError(gettext(
                        'spsti_dmst.msg_dmst_purge_early',
                        file=file.rec_name,
                        date=file.retention_until or ''))
        ids = [f.id for f in files]
        with without_check_access():
            Consultation.delete(Consultation.search([('file', 'in', ids)]))
            Vaccination.delete(Vaccination.search([('file', 'in', ids)]))
            Pathology.delete(Pathology.search([('file', 'in', ids)]))
            super().write(files, {
                    'state': 'purged',
                    'occupational_history': None,
                    'medical_history': None,
                    'notes': None,
                    })

    @classmethod
    def user_teams(cls):
        "The teams the professional of the user belongs to today."
        pool = Pool()
        Professional = pool.get('spsti.professional')
        TeamMember = pool.get('spsti.team.member')
        Date = pool.get('ir.date')
        professional = Professional.get_current()
        if not professional:
            return set()
        with without_check_access():
            return {m.team.id for m in TeamMember.search(
                    TeamMember.validity_domain(Date.today())
                    + [('professional', '=', professional.id)])}

    @classmethod
    def scope_domain(cls, path):
        """The domain of the records whose file, at path ('id' for the
        files), is in the scope of the user (see in_scope)."""
        EmergencyAccess = Pool().get('spsti.dmst.emergency_access')
        employee = 'employee' if path == 'id' else f'{path}.employee'
        with without_check_access():
            emergency = EmergencyAccess.running_files()
        return ['OR',
            (f'{employee}.assignments.team', 'in', list(cls.user_teams())),
            (path, 'in', list(emergency)),
            ]

    @classmethod
    @without_check_access
    def in_scope(cls, file_ids):
        """The files among file_ids the user may read: those of employees
        with an assignment followed by one of the user's teams, and those
        the user opened by emergency access still running."""
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        EmergencyAccess = pool.get('spsti.dmst.emergency_access')
        file_ids = set(file_ids)
        if not file_ids:
            return set()
        allowed = set(EmergencyAccess.running_files(file_ids))
        teams = cls.user_teams()
        rest = file_ids - allowed
        if teams and rest:
            files = cls.browse(list(rest))
            by_employee = {f.employee.id: f.id for f in files}
            for sub in grouped_slice(list(by_employee), MAX_QUERY_PARAMS):
                for assignment in Assignment.search([
                            ('employee', 'in', list(sub)),
                            ('team', 'in', list(teams)),
                            ], order=[]):
                    allowed.add(by_employee[assignment.employee.id])
        return allowed

    @classmethod
    def check_scope(cls, file_ids):
        outside = set(file_ids) - cls.in_scope(file_ids)
        if outside:
            with without_check_access():
                file = cls(min(outside))
                name = file.employee.rec_name
            raise AccessError(gettext(
                    'spsti_dmst.msg_dmst_outside_team', file=name))

    def get_rec_name(self, name):
        return self.employee.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('employee.rec_name',) + tuple(clause[1:])]


class Vaccination(MedicalRecordMixin, ModelSQL, ModelView):
    "Vaccination recorded in the medical file."
    __name__ = 'spsti.dmst.vaccination'
    __string__ = "Vaccination"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, ondelete='CASCADE')
    vaccine = fields.Char("Vaccine", required=True)
    date = fields.Date("Date", required=True)
    booster_date = fields.Date("Booster Due")
    notes = fields.Char("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.file, Index.Equality())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]


class Pathology(MedicalRecordMixin, ModelSQL, ModelView):
    """Pathology of the employee, coded with the CIM-10 (ICD-10) where the
    service codes them."""
    __name__ = 'spsti.dmst.pathology'
    __string__ = "Pathology"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, ondelete='CASCADE')
    code = fields.Char("CIM-10 Code", help="e.g. M54.5")
    name = fields.Char("Pathology", required=True)
    start_date = fields.Date("Since")
    end_date = fields.Date("Until")
    occupational = fields.Boolean(
        "Occupational", help="Recognised or suspected occupational origin.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.file, Index.Equality())))
        cls._order = [('start_date', 'DESC NULLS LAST'), ('id', 'DESC')]

    @classmethod
    def default_occupational(cls):
        return False

    @classmethod
    def validate_fields(cls, pathologies, field_names):
        super().validate_fields(pathologies, field_names)
        if 'code' in field_names:
            for pathology in pathologies:
                if pathology.code and not CIM10.match(pathology.code):
                    raise ValidationError(gettext(
                            'spsti_dmst.msg_pathology_code',
                            code=pathology.code, pathology=pathology.name))



class OpenMedicalFile(Wizard):
    "Open the medical file of an employee, created at the first opening."
    __name__ = 'spsti.dmst.open'
    start = StateAction('spsti_dmst.act_dmst')

    def do_start(self, action):
        MedicalFile = Pool().get('spsti.dmst')
        files = MedicalFile.get_or_create(self.records)
        action['res_id'] = [f.id for f in files]
        if len(files) == 1:
            action['views'].reverse()
        return action, {}
