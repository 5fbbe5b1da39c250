"Accesses to medical files through the portal (the employee's own copy)."
import datetime as dt

from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.transaction import without_check_access


class AccessLog(metaclass=PoolMeta):
    __name__ = 'spsti.dmst.access_log'
    web_user = fields.Many2One(
        'web.user', "Portal User", readonly=True, ondelete='RESTRICT',
        help="The portal account the file was read through.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        kinds = dict(cls.kind.selection)
        if 'portal' not in kinds:
            cls.kind.selection.append(('portal', "Portal"))

    @classmethod
    def record_portal(cls, file_ids, web_user, reason):
        "Log that web_user read the files through the portal."
        now = dt.datetime.now()
        with without_check_access():
            cls.create([{
                        'file': f,
                        'user': 0,
                        'web_user': web_user.id,
                        'date': now,
                        'kind': 'portal',
                        'reason': reason,
                        } for f in sorted(file_ids)])
