"""Mouvements de personnel déclarés par l'employeur sur le portail: an
entry (a new post, for a known or new person, optionally copying the post
and exposures of a colleague), a change of post and an exit (the end of a
post)."""
import datetime as dt

from sql import Null
from sql.aggregate import Min

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import PortalError

# What an entry copies from the colleague's post taken as model.
PROFILE_FIELDS = ['job', 'job_title', 'night_work']


class Assignment(metaclass=PoolMeta):
    __name__ = 'spsti.assignment'

    @classmethod
    def declare_entry(cls, member, person, post, model=None):
        """Create the post at member of the person (dict of identity
        traits), found by NIR or name and birth date before being created;
        post gives the establishment, contract type, start date and the job
        unless copied from the model post with its exposures."""
        Employee = Pool().get('spsti.employee')
        employee = Employee.find_person(person)
        if not employee:
            employee, = Employee.create([person])
        assignment, = cls.create([
                cls._portal_post(member, employee, post, model)])
        return assignment

    @classmethod
    def declare_job_change(cls, assignment, post, model=None):
        """The employee of assignment takes another post at its member on
        the start date of post (changement de poste): the current post ends
        the day before and the new one, with the job of post or the profile
        of the model post, starts."""
        start = post['start_date']
        if start <= assignment.start_date or (
                assignment.end_date and assignment.end_date < start):
            raise PortalError(gettext(
                    'spsti_portal.msg_job_change_outside',
                    assignment=assignment.rec_name,
                    date=start.strftime('%d/%m/%Y')))
        cls.declare_exit([assignment], start - dt.timedelta(days=1))
        new, = cls.create([cls._portal_post(assignment.member,
                    assignment.employee, post, model)])
        return new

    @classmethod
    def _portal_post(cls, member, employee, post, model=None):
        "The values of the post at member of employee declared on the portal."
        establishment = post['establishment']
        if establishment.member != member:
            raise PortalError(gettext('spsti_portal.msg_not_establishment',
                    establishment=establishment.rec_name,
                    member=member.rec_name))
        values = {
            'employee': employee.id,
            'member': member.id,
            'establishment': establishment.id,
            'contract_type': post['contract_type'],
            'start_date': post['start_date'],
            'source': 'portal',
            }
        if model:
            values.update({f: getattr(model, f) for f in PROFILE_FIELDS})
            values['job'] = model.job.id if model.job else None
            values['exposures'] = [('create', [{
                            'risk': e.risk.id,
                            'source': 'employer',
                            'start_date': post['start_date'],
                            } for e in model.exposures
                        if e.is_valid_at(post['start_date'])
                        and e.source == 'employer'])]
        else:
            values['job'] = post.get('job')
            values['job_title'] = post.get('job_title')
        return values

    @classmethod
    def profiles_of(cls, member, date, limit=200):
        """One post in force on date per distinct job and job title at
        member: the profiles a new post may copy."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Min(table.id),
                where=(table.member == member.id)
                & (table.start_date <= date)
                & ((table.end_date == Null) | (table.end_date >= date)),
                group_by=[table.job, table.job_title],
                order_by=[table.job_title, table.job], limit=limit))
        return cls.browse([i for i, in cursor])

    @classmethod
    def declare_exit(cls, assignments, date):
        "The posts end on date (sortie)."
        cls.write(assignments, {'end_date': date})

    def declare_exposure(self, risk, start_date):
        "The employer declares that the post exposes to risk from start."
        Exposure = Pool().get('spsti.assignment.exposure')
        exposure, = Exposure.create([{
                    'assignment': self.id,
                    'risk': risk.id,
                    'source': 'employer',
                    'start_date': start_date,
                    }])
        return exposure

    def end_exposure(self, exposure, end_date):
        """The employer declares the end of an exposure it declared (the
        team's observations are the team's to end)."""
        Exposure = Pool().get('spsti.assignment.exposure')
        if exposure.assignment != self or exposure.source != 'employer':
            raise PortalError(gettext('spsti_portal.msg_exposure_not_own',
                    risk=exposure.risk.rec_name))
        Exposure.write([exposure], {'end_date': end_date})


class Employee(metaclass=PoolMeta):
    __name__ = 'spsti.employee'

    @classmethod
    def find_person(cls, person):
        """The employee with the NIR of person, else with its birth name,
        first names and birth date (identity vigilance)."""
        nir = (person.get('nir') or '').replace(' ', '').upper()
        if nir:
            employees = cls.search([('nir', '=', nir)], limit=1)
        else:
            employees = cls.search([
                    ('last_name', 'ilike', person['last_name']),
                    ('first_name', 'ilike', person['first_name']),
                    ('birth_date', '=', person['birth_date']),
                    ], limit=1)
        return employees[0] if employees else None
