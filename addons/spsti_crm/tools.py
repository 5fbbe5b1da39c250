"SQL and thésaurus helpers shared by the CRM models."
from sql import Null


def in_force(table, date):
    "SQL: the row's period (start_date, end_date, both optional) holds date."
    return (((table.start_date == Null) | (table.start_date <= date))
        & ((table.end_date == Null) | (table.end_date >= date)))


def ancestors(records):
    "The ids of records and of all their parents in a thésaurus."
    result = set()
    for record in records:
        while record and record.id not in result:
            result.add(record.id)
            record = record.parent
    return result


def descendants(Model, records):
    "The ids of records and of all their children in a thésaurus."
    if not records:
        return []
    return [r.id for r in Model.search([
                ('parent', 'child_of', [r.id for r in records]),
                ], order=[])]
