"""Convocations: the letter to the employee and the one to the employer.

The employer's carries no health data: the employee's name, the date, time,
place and type of visit only. Both are written in French (the templates are
French letters, not translated)."""
from trytond.i18n import gettext
from trytond.report import Report

from .exceptions import ConvocationError
from .slot import timezone, to_local


class Convocation(Report):

    @classmethod
    def get_context(cls, records, header, data):
        for slot in records:
            if not slot.request:
                raise ConvocationError(gettext(
                        'spsti_planning.msg_convocation_no_visit',
                        slot=slot.rec_name))
        context = super().get_context(records, header, data)
        tz = timezone()
        context['day'] = lambda value: to_local(value, tz).strftime(
            '%d/%m/%Y')
        context['hour'] = lambda value: to_local(value, tz).strftime('%H:%M')
        notices = cls.notices(records)
        context['notices'] = lambda slot: notices.get(slot.id, [])
        return context

    @classmethod
    def notices(cls, slots):
        """The paragraphs other modules add to the letter of each slot:
        {slot id: [text, ...]}."""
        return {}


class EmployeeConvocation(Convocation):
    "Convocation du salarié"
    __name__ = 'spsti.slot.convocation.employee'


class EmployerConvocation(Convocation):
    "Convocation adressée à l'employeur (sans donnée de santé)"
    __name__ = 'spsti.slot.convocation.employer'
