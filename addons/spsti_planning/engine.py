"""Échéancier: the next regulatory visits of a job assignment.

Everything here works on records already read: the caller reads a chunk of
assignments, their employees' visit history and stoppages in a few queries,
and this module only computes. Periodicities come from the periodicity
rules of spsti_base, read by date; nothing is hard-coded."""
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from trytond.i18n import gettext

# Outcomes after which a previous visit no longer exempts from an initial
# one (unfitness, adjustment of the post).
NOT_EXEMPTING = {'fit_with_adjustment', 'unfit'}


@dataclass
class Visit:
    "A visit done, as the engine needs it."
    date: dt.date
    visit_type: int
    assignment: int
    job: int
    outcome: str


@dataclass
class Due:
    "A visit due for an assignment."
    visit_type: object
    due_date: dt.date
    earliest_date: dt.date
    rule: object
    reason: str


class RuleCache:
    "Periodicity rules in force, read once per (date, category)."

    def __init__(self, Rule):
        self.Rule = Rule
        self.cache = {}

    def get(self, date, category):
        key = (date, category.id if category else None)
        if key not in self.cache:
            self.cache[key] = [r for r in self.Rule.rules_at(date, category)
                if r.mandatory]
        return self.cache[key]


def _fmt(date):
    return date.strftime('%d/%m/%Y')


def _latest(visits, type_ids, after=None):
    found = [v for v in visits if v.visit_type in type_ids
        and (after is None or v.date >= after)]
    return max(found, key=lambda v: v.date) if found else None


def _reference_types(rule):
    return {t.id for t in rule.reference_visit_types} or {rule.visit_type.id}


def compute(assignment, visits, stoppages, rules, specific_types, today):
    """The visits due for assignment: a list of Due, at most one per visit
    type (the earliest). visits are the employee's visits done (Visit),
    stoppages its declared work stoppages, rules a RuleCache,
    specific_types the ids of visit types that only the exposures
    requiring them make due (e.g. the certificate of no contraindication)."""
    Rule = rules.Rule
    category = assignment.effective_category
    date = assignment.evaluation_date(today)
    risks = assignment.risks_at(date)
    conditions = assignment.conditions()
    specific = {v.id for v in assignment.specific_visits}
    by_type = defaultdict(list)
    for rule in rules.get(date, category):
        if rule.reference == 'return_to_work':
            continue
        if rule.visit_type.id in specific_types - specific:
            continue
        by_type[(rule.visit_type.id, rule.reference)].append(rule)

    dues = []
    for (_, reference), candidates in by_type.items():
        compute_one = {
            'assignment_start': _initial,
            'previous_visit': _periodic,
            'age': _mid_career,
            'exposure_end': _exposure_end,
            }[reference]
        # Equally specific rules (an apprentice under 18): the strictest.
        dues.extend(filter(None, (compute_one(assignment, rule, visits)
                    for rule in Rule.applicable(
                        candidates, risks=risks, conditions=conditions))))
    dues.extend(_returns_to_work(
            assignment, visits, stoppages, rules, category))

    earliest = {}
    for due in dues:
        key = due.visit_type.id
        if key not in earliest or due.due_date < earliest[key].due_date:
            earliest[key] = due
    return sorted(earliest.values(), key=lambda d: d.due_date)


def _initial(assignment, rule, visits):
    """Initial visit or pre-assignment exam, unless done for this post, or
    exempted by a recent equivalent visit."""
    # Done for this post: the visit itself or one that exempts from it (an
    # aptitude exam covers the information visit).
    satisfying = {rule.visit_type.id} | _reference_types(rule)
    if any(v.visit_type in satisfying and v.assignment == assignment.id
            for v in visits):
        return None
    start = assignment.start_date
    exemption_start = rule.exemption_start(start)
    if exemption_start:
        candidates = [v for v in visits
            if v.visit_type in _reference_types(rule)
            and exemption_start <= v.date <= start
            and assignment.job and v.job == assignment.job.id]
        if candidates:
            latest = max(candidates, key=lambda v: v.date)
            if not any(v.outcome in NOT_EXEMPTING and v.date >= latest.date
                    for v in visits):
                return None
    # A rule younger than the post applies from its first day.
    reference = max(start, rule.start_date or start)
    return Due(rule.visit_type, rule.compute_due_date(reference), None, rule,
        gettext('spsti_planning.msg_due_initial', rule=rule.rec_name,
            date=_fmt(reference)))


def _periodic(assignment, rule, visits):
    """Renewal after the latest visit of the reference types; a visit of
    its own type done since (e.g. the SIR intermediate visit) satisfies it
    until the next reference visit."""
    reference_types = _reference_types(rule)
    last = _latest(visits, reference_types)
    if not last:
        return None
    own = rule.visit_type.id
    if own not in reference_types and _latest(visits, {own}, after=last.date):
        return None
    return Due(rule.visit_type, rule.compute_due_date(last.date), None, rule,
        gettext('spsti_planning.msg_due_periodic', rule=rule.rec_name,
            date=_fmt(last.date)))


def _mid_career(assignment, rule, visits):
    "Mid-career visit in the calendar year of the age the rule sets."
    birth = assignment.employee.birth_date
    due = rule.compute_due_date(birth)
    earliest = rule.compute_earliest_date(birth)
    if rule.start_date and due < rule.start_date:
        return None
    if assignment.end_date and assignment.end_date < earliest:
        return None
    if assignment.start_date > due:
        return None
    if _latest(visits, {rule.visit_type.id}, after=earliest):
        return None
    return Due(rule.visit_type, due, earliest, rule,
        gettext('spsti_planning.msg_due_age', rule=rule.rec_name,
            age=rule.age, year=due.year))


def _exposure_end(assignment, rule, visits):
    "Post-exposure visit when an assignment with the rule's category ends."
    if not assignment.end_date:
        return None
    if _latest(visits, {rule.visit_type.id}, after=assignment.start_date):
        return None
    return Due(rule.visit_type, rule.compute_due_date(assignment.end_date),
        None, rule, gettext('spsti_planning.msg_due_exposure_end',
            rule=rule.rec_name, date=_fmt(assignment.end_date)))


def _returns_to_work(assignment, visits, stoppages, rules, category):
    """Return-to-work visits after the stoppages declared by this employer,
    with the rules in force on the day of return (thresholds change)."""
    Rule = rules.Rule
    for stoppage in stoppages:
        if (stoppage.member.id != assignment.member.id
                or not stoppage.end_date
                or stoppage.return_date < assignment.start_date):
            continue
        in_force = [r for r in rules.get(stoppage.return_date, category)
            if r.reference == 'return_to_work']
        rule = Rule.select(in_force, stoppage=stoppage.kind,
            stoppage_days=stoppage.days)
        if not rule:
            continue
        if _latest(visits, {rule.visit_type.id}, after=stoppage.start_date):
            continue
        yield Due(rule.visit_type, rule.compute_due_date(stoppage.return_date),
            stoppage.return_date, rule,
            gettext('spsti_planning.msg_due_return', rule=rule.rec_name,
                days=stoppage.days, date=_fmt(stoppage.return_date)))
