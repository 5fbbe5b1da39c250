"""Temps de travail des professionnels: weekly pattern and absences, from
which the free slots of their agendas are generated.

Stock company_work_time only gives company-wide conversion factors (hours
per day, week, month, year) and the old calendar modules (CalDAV) stopped at
Tryton 4.2: neither gives a weekly pattern per person and place, hence
these two small models."""
from trytond.model import ModelSQL, ModelView, fields
from trytond.pyson import Eval, If

WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]


class WorkTime(ModelSQL, ModelView):
    """Plage de travail hebdomadaire: on this weekday, from start to end
    (local time), the professional receives at this centre (in this room),
    in slots of the given length."""
    __name__ = 'spsti.professional.work_time'
    __string__ = "Weekly Working Time"
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='CASCADE')
    weekday = fields.Selection(WEEKDAYS, "Weekday", required=True,
        sort=False)
    start_time = fields.Time("Start Time", required=True)
    end_time = fields.Time(
        "End Time", required=True,
        domain=[If(Eval('start_time') & Eval('end_time'),
                ('end_time', '>', Eval('start_time')), ())])
    centre = fields.Many2One(
        'spsti.centre', "Centre", required=True, ondelete='CASCADE')
    room = fields.Many2One(
        'spsti.centre.room', "Room", ondelete='SET NULL',
        domain=[('centre', '=', Eval('centre', -1))])
    teleconsultation = fields.Boolean("Teleconsultation")
    slot_duration = fields.Integer(
        "Slot Length (minutes)", required=True,
        domain=[('slot_duration', '>', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('professional', 'ASC'), ('weekday', 'ASC'),
            ('start_time', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_slot_duration(cls):
        return 30


class Absence(ModelSQL, ModelView):
    "Absence (congé, formation…): no slot is generated on these days."
    __name__ = 'spsti.professional.absence'
    __string__ = "Absence"
    professional = fields.Many2One(
        'spsti.professional', "Professional", required=True,
        ondelete='CASCADE')
    start_date = fields.Date("First Day", required=True)
    end_date = fields.Date(
        "Last Day", required=True,
        domain=[If(Eval('start_date') & Eval('end_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    reason = fields.Char("Reason")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
