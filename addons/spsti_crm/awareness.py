"""Actions de sensibilisation: who the service made aware, and when, for
the indicators (% of members and employees given awareness)."""
from sql import Literal, Null
from sql.aggregate import Count

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.spsti_planning.slot import timezone
from trytond.pool import Pool
from trytond.transaction import Transaction

from .event import KINDS, MODES

SOURCES = 3


class Awareness(ModelSQL, ModelView):
    """Action de sensibilisation: one row per person made aware, read from

    - each attendance of a prevention event not cancelled (the member, the
      employee when the registration names one, else the contact);
    - each employee concerned by a workplace action done whose type counts
      in the awareness indicators (spsti_planning, e.g. SENSIB,
      FORMATION), and the action itself when it names no employee.

    A read-only view: the indicators aggregate it in SQL over a period
    (``Awareness.__table__()``) or call ``made_aware``."""
    __name__ = 'spsti.crm.awareness'
    __string__ = "Awareness Action"
    date = fields.Date("Date")
    member = fields.Many2One('spsti.member', "Member")
    employee = fields.Many2One('spsti.employee', "Employee")
    contact = fields.Many2One('party.party', "Contact")
    kind = fields.Selection(
        KINDS + [('workplace_action', "Workplace Action")], "Kind")
    mode = fields.Selection(MODES, "Mode")
    event = fields.Many2One('spsti.crm.event', "Event")
    workplace_action = fields.Many2One(
        'spsti.workplace_action', "Workplace Action")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Registration = pool.get('spsti.crm.event.registration')
        Event = pool.get('spsti.crm.event')
        Action = pool.get('spsti.workplace_action')
        ActionEmployee = pool.get('spsti.workplace_action-spsti.employee')
        Type = pool.get('spsti.workplace_action.type')
        registration = Registration.__table__()
        event = Event.__table__()
        action = Action.__table__()
        action_employee = ActionEmployee.__table__()
        type_ = Type.__table__()

        def columns(id_, date, member, employee, contact, kind, mode,
                event, action):
            values = {
                'date': date, 'member': member, 'employee': employee,
                'contact': contact, 'kind': kind, 'mode': mode,
                'event': event, 'workplace_action': action,
                }
            return [id_.as_('id')] + [
                cls._fields[n].sql_cast(v).as_(n)
                for n, v in sorted(values.items())]

        attendances = registration.join(event,
            condition=registration.event == event.id
            ).select(*columns(
                registration.id * SOURCES, event.date, registration.member,
                registration.employee, registration.contact, event.kind,
                event.mode, event.id, Null),
            where=(registration.state == 'attended')
            & (event.state != 'cancelled'))
        # A workplace action is dated by its start, in the service's time.
        action_date = cls.date.sql_cast(action.start, timezone().key)
        awareness_done = ((action.state == 'done')
            & (type_.awareness == Literal(True)))
        employees = action_employee.join(action,
            condition=action_employee.action == action.id
            ).join(type_, condition=action.type == type_.id
            ).select(*columns(
                action_employee.id * SOURCES + 1, action_date,
                action.member, action_employee.employee, Null,
                Literal('workplace_action'), Literal('on_site'), Null,
                action.id),
            where=awareness_done)
        actions = action.join(type_, condition=action.type == type_.id
            ).select(*columns(
                action.id * SOURCES + 2, action_date, action.member, Null,
                Null, Literal('workplace_action'), Literal('on_site'), Null,
                action.id),
            where=awareness_done
            & ~action.id.in_(action_employee.select(action_employee.action)))
        return attendances | employees | actions

    @classmethod
    def made_aware(cls, start, end):
        """The ids of the distinct members and of the distinct employees
        made aware from start to end (both included): (members,
        employees)."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        period = (table.date >= start) & (table.date <= end)
        cursor.execute(*table.select(table.member,
                where=period, group_by=[table.member]))
        members = {m for m, in cursor}
        cursor.execute(*table.select(table.employee,
                where=period & (table.employee != Null),
                group_by=[table.employee]))
        employees = {e for e, in cursor}
        return members, employees

    @classmethod
    def count_made_aware(cls, start, end):
        """The numbers of distinct members and employees made aware from
        start to end, counted in the database: (members, employees)."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                Count(table.member, distinct=True),
                Count(table.employee, distinct=True),
                where=(table.date >= start) & (table.date <= end)))
        return tuple(cursor.fetchone())
