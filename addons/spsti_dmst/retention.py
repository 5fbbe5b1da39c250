"""Conservation du DMST: the retention of the archived medical files, by
the exposures of the employee, and the purge proposed to the staff."""
from dateutil.relativedelta import relativedelta
from sql.aggregate import Max

from trytond.backend import MAX_QUERY_PARAMS
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .company_sheet import to_date


def retention_dates(files, today):
    """{file id: date} until which each file is kept: the general
    retention after its last consultation (else its opening), and for each
    exposure of the employee with a retention (of its risk or of a parent
    risk), that many years after the end of the exposure (today while it
    goes on)."""
    pool = Pool()
    Configuration = pool.get('spsti.adherent.configuration')
    Consultation = pool.get('spsti.dmst.consultation')
    Assignment = pool.get('spsti.assignment')
    Exposure = pool.get('spsti.assignment.exposure')
    Risk = pool.get('spsti.risk')
    years = Configuration(1).dmst_retention_years
    consultation = Consultation.__table__()
    assignment, exposure = Assignment.__table__(), Exposure.__table__()
    cursor = Transaction().connection.cursor()

    risk_years = {}
    for risk in Risk.search([], order=[]):
        current, found = risk, None
        while current and found is None:
            found, current = current.retention_years, current.parent
        if found:
            risk_years[risk.id] = found

    by_employee = {f.employee.id: f.id for f in files}
    last_visit = {f.id: f.opening_date for f in files}
    for sub in grouped_slice([f.id for f in files], MAX_QUERY_PARAMS):
        cursor.execute(*consultation.select(
                consultation.file, Max(consultation.date),
                where=consultation.file.in_(list(sub)),
                group_by=[consultation.file]))
        last_visit.update((f, to_date(d)) for f, d in cursor)
    result = {f: d + relativedelta(years=years)
        for f, d in last_visit.items()}
    for sub in grouped_slice(list(by_employee), MAX_QUERY_PARAMS):
        cursor.execute(*exposure.join(assignment,
                condition=exposure.assignment == assignment.id).select(
                assignment.employee, exposure.risk, exposure.end_date,
                assignment.end_date,
                where=assignment.employee.in_(list(sub))))
        for employee, risk, end, assignment_end in cursor:
            if risk not in risk_years:
                continue
            end = to_date(end) or to_date(assignment_end) or today
            file = by_employee[employee]
            result[file] = max(result[file],
                end + relativedelta(years=risk_years[risk]))
    return result
