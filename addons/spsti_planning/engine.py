"""Échéancier: the next regulatory visits of a job assignment.

Everything here works on values already read: the caller reads a chunk of
assignments (as Post), their employees' visit history and stoppages in a
few queries, and this module only computes. Periodicities come from the
periodicity rules of spsti_base, read by date; nothing is hard-coded."""
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from trytond.i18n import gettext
from trytond.modules.spsti_adherent.assignment import evaluation_date
from trytond.pool import Pool
from trytond.transaction import Transaction

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


@dataclass(slots=True)
class Post:
    """A job assignment as the engine needs it (ids and plain values, read
    set-wise by VisitRequest._engine_posts)."""
    id: int
    employee: int
    member: int
    job: int
    start_date: dt.date
    end_date: dt.date
    category: int
    conditions: frozenset
    birth_date: dt.date
    # (risk id, start date, end date) of the exposures
    exposures: tuple
    specific_visits: frozenset

    def evaluation_date(self, today):
        return evaluation_date(self.start_date, self.end_date, today)

    def risks_at(self, date):
        return frozenset(risk for risk, start, end in self.exposures
            if (not start or start <= date) and (not end or date <= end))


@dataclass
class Due:
    "A visit due for an assignment."
    visit_type: object
    due_date: dt.date
    earliest_date: dt.date
    rule: object
    reason: str


class RuleCache:
    """Periodicity rules in force, read once per (date, category), and the
    rules that apply to a profile (date, category, risks, situations,
    excluded visit types), chosen once per profile: a run meets far fewer
    profiles than assignments."""

    def __init__(self, Rule):
        pool = Pool()
        self.Rule = Rule
        self.Category = pool.get('spsti.follow_up.category')
        self.Risk = pool.get('spsti.risk')
        self.cache = {}
        self.selections = {}
        # Only the risks a rule names tell profiles apart: a profile's key
        # is the closure of its risks (with their parents) restricted to
        # them.
        risk = self.Risk.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*risk.select(risk.id, risk.parent))
        parents = dict(cursor)
        self.ancestors = {}
        for id_ in parents:
            chain, current = set(), id_
            while current:
                chain.add(current)
                current = parents.get(current)
            self.ancestors[id_] = frozenset(chain)
        self.rule_risks = frozenset(r.risk.id
            for r in Rule.search([('risk', '!=', None)]))

    def get(self, date, category):
        "The mandatory rules in force on date for the category id."
        key = (date, category)
        if key not in self.cache:
            self.cache[key] = [r for r in self.Rule.rules_at(
                    date, self.Category(category) if category else None)
                if r.mandatory]
        return self.cache[key]

    def select(self, date, category, risks, conditions, excluded):
        """The rules that apply, as (compute function, rules) per visit type
        and reference; excluded are visit type ids not due to this post."""
        risks = frozenset().union(
            *(self.ancestors[r] for r in risks)) & self.rule_risks
        key = (date, category, risks, conditions, excluded)
        if key not in self.selections:
            by_type = defaultdict(list)
            for rule in self.get(date, category):
                if (rule.reference == 'return_to_work'
                        or rule.visit_type.id in excluded):
                    continue
                by_type[(rule.visit_type.id, rule.reference)].append(rule)
            records = self.Risk.browse(sorted(risks))
            # Equally specific rules (an apprentice under 18): the
            # strictest.
            self.selections[key] = [
                (COMPUTE[reference], self.Rule.applicable(
                        candidates, risks=records, conditions=conditions))
                for (_, reference), candidates in by_type.items()]
        return self.selections[key]


def _fmt(date):
    return date.strftime('%d/%m/%Y')


def _latest(visits, type_ids, after=None):
    found = [v for v in visits if v.visit_type in type_ids
        and (after is None or v.date >= after)]
    return max(found, key=lambda v: v.date) if found else None


def _reference_types(rule):
    return {t.id for t in rule.reference_visit_types} or {rule.visit_type.id}


def compute(post, visits, stoppages, rules, specific_types, today):
    """The visits due for post (a Post): a list of Due, at most one per
    visit type (the earliest). visits are the employee's visits done
    (Visit), stoppages its declared work stoppages, rules a RuleCache,
    specific_types the ids of visit types that only the exposures
    requiring them make due (e.g. the certificate of no contraindication)."""
    date = post.evaluation_date(today)
    dues = []
    for compute_one, applicable in rules.select(date, post.category,
            post.risks_at(date), post.conditions,
            frozenset(specific_types - post.specific_visits)):
        dues.extend(filter(None, (compute_one(post, rule, visits)
                    for rule in applicable)))
    dues.extend(_returns_to_work(post, visits, stoppages, rules))

    earliest = {}
    for due in dues:
        key = due.visit_type.id
        if key not in earliest or due.due_date < earliest[key].due_date:
            earliest[key] = due
    return sorted(earliest.values(), key=lambda d: d.due_date)


def _initial(post, rule, visits):
    """Initial visit or pre-assignment exam, unless done for this post, or
    exempted by a recent equivalent visit."""
    # Done for this post: the visit itself or one that exempts from it (an
    # aptitude exam covers the information visit).
    satisfying = {rule.visit_type.id} | _reference_types(rule)
    if any(v.visit_type in satisfying and v.assignment == post.id
            for v in visits):
        return None
    start = post.start_date
    exemption_start = rule.exemption_start(start)
    if exemption_start:
        candidates = [v for v in visits
            if v.visit_type in _reference_types(rule)
            and exemption_start <= v.date <= start
            and post.job and v.job == post.job]
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


def _periodic(post, rule, visits):
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


def _mid_career(post, rule, visits):
    "Mid-career visit in the calendar year of the age the rule sets."
    birth = post.birth_date
    due = rule.compute_due_date(birth)
    earliest = rule.compute_earliest_date(birth)
    if rule.start_date and due < rule.start_date:
        return None
    if post.end_date and post.end_date < earliest:
        return None
    if post.start_date > due:
        return None
    if _latest(visits, {rule.visit_type.id}, after=earliest):
        return None
    return Due(rule.visit_type, due, earliest, rule,
        gettext('spsti_planning.msg_due_age', rule=rule.rec_name,
            age=rule.age, year=due.year))


def _exposure_end(post, rule, visits):
    "Post-exposure visit when an assignment with the rule's category ends."
    if not post.end_date:
        return None
    if _latest(visits, {rule.visit_type.id}, after=post.start_date):
        return None
    return Due(rule.visit_type, rule.compute_due_date(post.end_date),
        None, rule, gettext('spsti_planning.msg_due_exposure_end',
            rule=rule.rec_name, date=_fmt(post.end_date)))


def _returns_to_work(post, visits, stoppages, rules):
    """Return-to-work visits after the stoppages declared by this employer,
    with the rules in force on the day of return (thresholds change)."""
    Rule = rules.Rule
    for stoppage in stoppages:
        if (stoppage.member.id != post.member
                or not stoppage.end_date
                or stoppage.return_date < post.start_date):
            continue
        in_force = [r for r in rules.get(
                stoppage.return_date, post.category)
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


COMPUTE = {
    'assignment_start': _initial,
    'previous_visit': _periodic,
    'age': _mid_career,
    'exposure_end': _exposure_end,
    }
