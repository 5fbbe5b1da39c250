"""Traçabilité des accès au DMST: the read-only log of every access to a
medical file and the emergency accesses (bris de glace) of doctors to files
outside their teams."""
import datetime as dt

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

KINDS = [
    ('read', "Read"),
    ('export', "Export"),
    ('print', "Print"),
    ('import', "Received from another service"),
    ('emergency', "Emergency access"),
    ]


class AccessLog(ModelSQL, ModelView):
    """Accès au dossier médical: who opened which file, when and how.
    Written by the software only; nobody may change or delete it."""
    __name__ = 'spsti.dmst.access_log'
    __string__ = "Medical File Access"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, readonly=True,
        ondelete='RESTRICT')
    user = fields.Many2One(
        'res.user', "User", required=True, readonly=True,
        ondelete='RESTRICT')
    date = fields.DateTime("Date", required=True, readonly=True)
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    reason = fields.Char("Reason", readonly=True)
    flagged = fields.Boolean(
        "Flagged", readonly=True,
        help="An access outside the user's teams, to be reviewed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.file, Index.Equality()), (t.date, Index.Range())),
                Index(t, (t.date, Index.Range()), where=t.flagged),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def record(cls, file_ids, kind, reason=None):
        "Log an access of the user of the transaction to the files."
        transaction = Transaction()
        now = dt.datetime.now()
        with without_check_access():
            cls.create([{
                        'file': f,
                        'user': transaction.user,
                        'date': now,
                        'kind': kind,
                        'reason': reason,
                        'flagged': kind == 'emergency',
                        } for f in sorted(file_ids)])

    @classmethod
    def write(cls, *args):
        raise AccessError(gettext('spsti_dmst.msg_access_log_readonly'))

    @classmethod
    def delete(cls, logs):
        raise AccessError(gettext('spsti_dmst.msg_access_log_readonly'))


class EmergencyAccess(ModelSQL, ModelView):
    """Bris de glace: a doctor opens the file of an employee outside their
    teams (replacement, emergency) for a limited time, with a reason; the
    access is flagged in the log for review."""
    __name__ = 'spsti.dmst.emergency_access'
    __string__ = "Emergency Access to a Medical File"
    file = fields.Many2One(
        'spsti.dmst', "Medical File", required=True, readonly=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, readonly=True,
        ondelete='RESTRICT')
    reason = fields.Char("Reason", required=True, readonly=True)
    start = fields.DateTime("Start", required=True, readonly=True)
    end = fields.DateTime("End", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.user, Index.Equality()), (t.file, Index.Equality())))
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    @classmethod
    def running_files(cls, file_ids=None):
        """The files (of file_ids, if given) the user may open by emergency
        access now."""
        now = dt.datetime.now()
        domain = [
            ('user', '=', Transaction().user),
            ('start', '<=', now),
            ('end', '>', now),
            ]
        if file_ids is not None:
            domain.append(('file', 'in', list(file_ids)))
        return {a.file.id for a in cls.search(domain, order=[])}

    @classmethod
    def open(cls, employee, reason):
        """Give the user of the transaction an emergency access to the file
        of employee ([spsti_dmst] emergency_hours, 24 by default); returns
        the file."""
        pool = Pool()
        MedicalFile = pool.get('spsti.dmst')
        AccessLog = pool.get('spsti.dmst.access_log')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        doctors = ModelData.get_id('spsti_base', 'group_spsti_doctor')
        if Transaction().user and doctors not in User.get_groups():
            raise AccessError(gettext('spsti_dmst.msg_emergency_doctor_only'))
        hours = config.getint('spsti_dmst', 'emergency_hours', default=24)
        now = dt.datetime.now()
        with without_check_access():
            file, = MedicalFile.get_or_create([employee])
            cls.create([{
                        'file': file.id,
                        'user': Transaction().user,
                        'reason': reason,
                        'start': now,
                        'end': now + dt.timedelta(hours=hours),
                        }])
        AccessLog.record([file.id], 'emergency', reason=reason)
        return file


class EmergencyAccessStart(ModelView):
    __name__ = 'spsti.dmst.emergency_access.start'
    __string__ = "Emergency Access"
    employee = fields.Many2One('spsti.employee', "Employee", required=True)
    reason = fields.Char(
        "Reason", required=True,
        help="Why the file of an employee outside your teams must be "
        "opened; the access is flagged for review.")


class EmergencyAccessWizard(Wizard):
    "Accès exceptionnel (bris de glace) to a medical file."
    __name__ = 'spsti.dmst.emergency_access.open'
    start = StateView('spsti.dmst.emergency_access.start',
        'spsti_dmst.emergency_access_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Open the File", 'open_', 'tryton-ok', default=True),
            ])
    open_ = StateAction('spsti_dmst.act_dmst')

    def default_start(self, fields):
        if self.model and self.model.__name__ == 'spsti.employee':
            return {'employee': self.record.id}
        return {}

    def do_open_(self, action):
        EmergencyAccess = Pool().get('spsti.dmst.emergency_access')
        file = EmergencyAccess.open(self.start.employee, self.start.reason)
        action['res_id'] = [file.id]
        action['views'].reverse()
        return action, {}
