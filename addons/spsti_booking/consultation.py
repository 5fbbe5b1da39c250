"""A consultation held by teleconsultation is issued only with the
employee's consent recorded on its visit request (the consent the portal
collects, or the staff records with the Record the consent wizard)."""
from trytond.i18n import gettext
from trytond.pool import PoolMeta

from .exceptions import TeleconsultationConsentError


class Consultation(metaclass=PoolMeta):
    __name__ = 'spsti.dmst.consultation'

    @classmethod
    def issue(cls, consultations):
        cls.check_teleconsultation_consent(consultations)
        super().issue(consultations)

    @classmethod
    def check_teleconsultation_consent(cls, consultations):
        for consultation in consultations:
            if (consultation.mode == 'teleconsultation'
                    and not (consultation.request
                        and consultation.request.teleconsultation_consent)):
                raise TeleconsultationConsentError(gettext(
                        'spsti_booking.msg_consultation_consent',
                        consultation=consultation.rec_name,
                        employee=consultation.employee.rec_name))
