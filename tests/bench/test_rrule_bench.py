"""Expanding a recurrence rule costs about what a plain weekly one does, whatever rule the checks accept.

Each candidate below is among the most expensive rules the validator lets through (every day, a whole
year's set cut by BYSETPOS, rare dates far from the start, COUNT rules that must be counted from the
start); the worst of them over a six-week window is set against FREQ=WEEKLY;BYDAY=MO over the same
window (target: at most 3 times).
"""

import datetime as dt

from accounts.calendar import expand_occurrences
from accounts.models import CalendarEvent
from accounts.recurrence import rule_parse

TARGET_RATIO = 3
BASELINE = "FREQ=WEEKLY;BYDAY=MO"
CANDIDATES = [
    "FREQ=DAILY",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;COUNT=1000",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS=-1",
    "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS=-1,1,100,200",
    "FREQ=YEARLY;BYMONTHDAY=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=YEARLY;BYDAY=53MO,-53SU;COUNT=1000",
    "FREQ=MONTHLY;INTERVAL=1000;BYDAY=-1FR",
]
# Far from the start, where stepping from the start used to cost the most.
START = dt.datetime(1900, 1, 1, 9, tzinfo=dt.UTC)
WINDOW = (dt.datetime(2150, 2, 1, tzinfo=dt.UTC), dt.datetime(2150, 3, 15, tzinfo=dt.UTC))


def _series(rule: str, pk: int) -> CalendarEvent:
    rule_parse(rule)  # each candidate is one the checks accept
    return CalendarEvent(
        pk=pk,
        title=rule,
        start=START,
        end=START + dt.timedelta(hours=1),
        time_zone="Europe/Berlin",
        recurrence_rule=rule,
    )


def test_worst_accepted_rule_against_a_weekly_one(bench_timer):
    baseline = _series(BASELINE, 1)
    variants = {"weekly": lambda: expand_occurrences([baseline], *WINDOW)}
    for pk, rule in enumerate(CANDIDATES, start=2):
        event = _series(rule, pk)
        variants[rule] = lambda event=event: expand_occurrences([event], *WINDOW)

    medians = bench_timer(variants, rounds=50)

    worst = max(CANDIDATES, key=medians.get)
    ratio = medians[worst] / medians["weekly"]
    print(f"\nbench rrule_weekly median_ms={medians['weekly']:.3f}")
    print(f"bench rrule_worst median_ms={medians[worst]:.3f} rule={worst}")
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"bench rrule_worst_vs_weekly ratio={ratio:.2f} target<={TARGET_RATIO} {verdict}")
