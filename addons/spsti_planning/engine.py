"""Échéancier: the next regulatory visits of a job assignment.

Everything here works on values already read: the caller reads a chunk of
assignments (as Post), their employees' visit history and stoppages in a
few queries, and this module only computes. Periodicities come from the
periodicity rules of spsti_base, read by date; nothing is hard-coded."""
import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

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


@dataclass(slots=True)
class Stoppage:
    "A declared work stoppage, as the engine needs it."
    member: int
    kind: str
    start_date: dt.date
    end_date: dt.date
    days: int
    return_date: dt.date


@dataclass
class Due:
    "A visit due for an assignment."
    visit_type: int
    due_date: dt.date
    earliest_date: dt.date
    rule: object
    reason: str


class RuleValue:
    """A periodicity rule as the engine reads it, made once per run: the
    attributes of a record cost more to read than the computation."""
    __slots__ = ('record', 'id', 'visit_type', 'reference',
        'reference_types', 'name', 'age', 'start_date', 'category',
        'compute_due_date', 'compute_earliest_date', 'exemption_start')

    def __init__(self, record):
        self.record = record
        self.id = record.id
        self.visit_type = record.visit_type.id
        self.reference = record.reference
        # The visits whose latest one starts the delay (previous visit) or
        # exempts from it (taking up the post).
        self.reference_types = frozenset(
            t.id for t in record.reference_visit_types) or frozenset(
            [self.visit_type])
        self.name = record.rec_name
        self.age = record.age
        self.start_date = record.start_date
        self.category = record.category.id if record.category else None
        # The same few thousand dates come back across a population.
        dates = record.dates
        self.compute_due_date = lru_cache(maxsize=None)(
            dates.compute_due_date)
        self.compute_earliest_date = lru_cache(maxsize=None)(
            dates.compute_earliest_date)
        self.exemption_start = lru_cache(maxsize=None)(
            dates.exemption_start)


class RuleCache:
    """The mandatory periodicity rules, read once per run; those in force
    per period (the rules in force change on a few dates only) and
    category, and the rules that apply to a profile (period, category,
    risks, situations, excluded visit types) or a stoppage, chosen once: a
    run meets far fewer profiles than assignments."""

    def __init__(self, Rule):
        pool = Pool()
        FollowUpRule = pool.get('spsti.follow_up.rule')
        self.Rule = Rule
        self.Risk = pool.get('spsti.risk')
        self.rules = [RuleValue(r)
            for r in Rule.search([('mandatory', '=', True)])]
        self.by_id = {r.id: r for r in self.rules}
        # A rule comes into force on its start and leaves it the day after
        # its end: between two of these dates, the same rules are in force.
        self.changes = sorted(
            {r.record.start_date for r in self.rules if r.record.start_date}
            | {r.record.end_date + dt.timedelta(days=1)
                for r in self.rules if r.record.end_date})
        self.cache = {}
        self.selections = {}
        self.returns = {}
        self.messages = {}
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
        self.rule_risks = frozenset(r.record.risk.id
            for r in self.rules if r.record.risk)
        # The visit types only the exposures requiring them make due (e.g.
        # the certificate of no contraindication).
        self.specific_types = frozenset(r.visit_type.id
            for r in FollowUpRule.search([('visit_type', '!=', None)]))

    def get(self, date, category):
        "The mandatory rules in force on date for the category id."
        key = (bisect_right(self.changes, date), category)
        if key not in self.cache:
            # As rules_at: without a category, those of every category.
            self.cache[key] = [r for r in self.rules
                if r.record.is_valid_at(date)
                and (not category or r.category in {None, category})]
        return self.cache[key]

    def select(self, date, category, risks, conditions, excluded):
        """The rules that apply, as (compute function, rules) per visit type
        and reference; excluded are visit type ids not due to this post."""
        risks = frozenset().union(
            *(self.ancestors[r] for r in risks)) & self.rule_risks
        key = (bisect_right(self.changes, date), category, risks, conditions,
            excluded)
        if key not in self.selections:
            by_type = defaultdict(list)
            for rule in self.get(date, category):
                if (rule.reference == 'return_to_work'
                        or rule.visit_type in excluded):
                    continue
                by_type[(rule.visit_type, rule.reference)].append(rule)
            records = self.Risk.browse(sorted(risks))
            # Equally specific rules (an apprentice under 18): the
            # strictest.
            self.selections[key] = [
                (COMPUTE[reference], self._values(self.Rule.applicable(
                            [r.record for r in candidates], risks=records,
                            conditions=conditions)))
                for (_, reference), candidates in by_type.items()]
        return self.selections[key]

    def return_rule(self, date, category, stoppage):
        """The return-to-work rule in force on date (the day of return) for
        a stoppage, if one applies."""
        key = (bisect_right(self.changes, date), category, stoppage.kind,
            stoppage.days)
        if key not in self.returns:
            rule = self.Rule.select([r.record
                    for r in self.get(date, category)
                    if r.reference == 'return_to_work'],
                stoppage=stoppage.kind, stoppage_days=stoppage.days)
            self.returns[key] = rule and self.by_id[rule.id]
        return self.returns[key]

    def _values(self, records):
        return [self.by_id[r.id] for r in records]

    def message(self, message_id, **variables):
        "The translated message, its text read once per run."
        if message_id not in self.messages:
            self.messages[message_id] = gettext(message_id)
        return self.messages[message_id] % variables


@lru_cache(maxsize=None)
def _fmt(date):
    return date.strftime('%d/%m/%Y')


def _latest(visits, type_ids, after=None):
    found = [v for v in visits if v.visit_type in type_ids
        and (after is None or v.date >= after)]
    return max(found, key=lambda v: v.date) if found else None


def compute(post, visits, stoppages, rules, today):
    """The visits due for post (a Post): a list of Due, at most one per
    visit type (the earliest). visits are the employee's visits done
    (Visit), stoppages its declared work stoppages (Stoppage), rules a
    RuleCache."""
    date = post.evaluation_date(today)
    dues = []
    for compute_one, applicable in rules.select(date, post.category,
            post.risks_at(date), post.conditions,
            rules.specific_types - post.specific_visits):
        dues.extend(filter(None, (compute_one(post, rule, visits, rules)
                    for rule in applicable)))
    dues.extend(_returns_to_work(post, visits, stoppages, rules))

    earliest = {}
    for due in dues:
        key = due.visit_type
        if key not in earliest or due.due_date < earliest[key].due_date:
            earliest[key] = due
    return sorted(earliest.values(), key=lambda d: d.due_date)


def _initial(post, rule, visits, rules):
    """Initial visit or pre-assignment exam, unless done for this post, or
    exempted by a recent equivalent visit."""
    # Done for this post: the visit itself or one that exempts from it (an
    # aptitude exam covers the information visit).
    if any(v.assignment == post.id and (v.visit_type == rule.visit_type
                or v.visit_type in rule.reference_types)
            for v in visits):
        return None
    start = post.start_date
    exemption_start = rule.exemption_start(start)
    if exemption_start:
        candidates = [v for v in visits
            if v.visit_type in rule.reference_types
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
        rules.message('spsti_planning.msg_due_initial', rule=rule.name,
            date=_fmt(reference)))


def _periodic(post, rule, visits, rules):
    """Renewal after the latest visit of the reference types; a visit of
    its own type done since (e.g. the SIR intermediate visit) satisfies it
    until the next reference visit."""
    last = _latest(visits, rule.reference_types)
    if not last:
        return None
    own = rule.visit_type
    if (own not in rule.reference_types
            and _latest(visits, {own}, after=last.date)):
        return None
    return Due(own, rule.compute_due_date(last.date), None, rule,
        rules.message('spsti_planning.msg_due_periodic', rule=rule.name,
            date=_fmt(last.date)))


def _mid_career(post, rule, visits, rules):
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
    if _latest(visits, {rule.visit_type}, after=earliest):
        return None
    return Due(rule.visit_type, due, earliest, rule,
        rules.message('spsti_planning.msg_due_age', rule=rule.name,
            age=rule.age, year=due.year))


def _exposure_end(post, rule, visits, rules):
    "Post-exposure visit when an assignment with the rule's category ends."
    if not post.end_date:
        return None
    if _latest(visits, {rule.visit_type}, after=post.start_date):
        return None
    return Due(rule.visit_type, rule.compute_due_date(post.end_date),
        None, rule, rules.message('spsti_planning.msg_due_exposure_end',
            rule=rule.name, date=_fmt(post.end_date)))


def _returns_to_work(post, visits, stoppages, rules):
    """Return-to-work visits after the stoppages declared by this employer,
    with the rules in force on the day of return (thresholds change)."""
    for stoppage in stoppages:
        if (stoppage.member != post.member
                or not stoppage.end_date
                or stoppage.return_date < post.start_date):
            continue
        rule = rules.return_rule(
            stoppage.return_date, post.category, stoppage)
        if not rule:
            continue
        if _latest(visits, {rule.visit_type}, after=stoppage.start_date):
            continue
        yield Due(rule.visit_type, rule.compute_due_date(stoppage.return_date),
            stoppage.return_date, rule,
            rules.message('spsti_planning.msg_due_return', rule=rule.name,
                days=stoppage.days, date=_fmt(stoppage.return_date)))


COMPUTE = {
    'assignment_start': _initial,
    'previous_visit': _periodic,
    'age': _mid_career,
    'exposure_end': _exposure_end,
    }
