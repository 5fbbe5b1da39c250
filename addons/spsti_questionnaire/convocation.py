"The employee's convocation tells how to answer the questionnaire."
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta


class EmployeeConvocation(metaclass=PoolMeta):
    __name__ = 'spsti.slot.convocation.employee'

    @classmethod
    def notices(cls, slots):
        Response = Pool().get('spsti.questionnaire.response')
        notices = super().notices(slots)
        codes = Response.kiosk_codes([s.request for s in slots if s.request])
        for slot in slots:
            if slot.request and codes.get(slot.request.id):
                notices.setdefault(slot.id, []).append(gettext(
                        'spsti_questionnaire.msg_convocation_notice',
                        codes=', '.join(codes[slot.request.id])))
        return notices
