"""The hour grid of the week and day views: where each occurrence and each task due that day sits.

A day is a column of 24 hours; an entry's top and height are percentages of the day, so the grid's
height can change with the screen. Entries that overlap share the column side by side (lanes).
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from accounts.calendar import Occurrence
from accounts.models import Task

DAY_MINUTES = 24 * 60
# How tall a task (a due time, no length) is drawn, in minutes.
TASK_MINUTES = 30
# Shortest entry drawn, so a five-minute call stays readable and clickable.
MIN_MINUTES = 20


@dataclass
class GridEntry:
    """An event occurrence or a task on one day's column, in minutes from that day's midnight."""

    kind: str  # "event" or "task"
    start_minute: int
    end_minute: int
    occurrence: Occurrence | None = None
    task: Task | None = None
    # Its own start and end, shown as text (they may lie on other days than the column).
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    lane: int = 0
    lanes: int = 1
    # Whether the viewer may drag it (set by the view, which knows who is looking).
    can_move: bool = False

    @property
    def top(self) -> str:
        return f"{self.start_minute * 100 / DAY_MINUTES:.3f}"

    @property
    def height(self) -> str:
        return f"{max(self.end_minute - self.start_minute, MIN_MINUTES) * 100 / DAY_MINUTES:.3f}"

    @property
    def left(self) -> str:
        return f"{self.lane * 100 / self.lanes:.3f}"

    @property
    def width(self) -> str:
        return f"{100 / self.lanes:.3f}"

    @property
    def movable(self) -> bool:
        """Timed events can be dragged or moved with the keyboard: a single event (or a moved occurrence, a
        row of its own) as it is; an occurrence of a series after asking whether only it or every one moves."""
        return self.kind == "event"

    @property
    def repeating(self) -> bool:
        """An occurrence of a series itself (not a moved one): moving it asks which occurrences move."""
        return self.kind == "event" and bool(self.occurrence.event.recurrence_rule)


@dataclass
class GridDay:
    """One column of the grid: its all-day events above the hours, its timed entries on them."""

    date: dt.date
    is_today: bool
    all_day: list[Occurrence] = field(default_factory=list)
    entries: list[GridEntry] = field(default_factory=list)


def _minutes(value: dt.datetime, day_start: dt.datetime) -> int:
    return max(0, min(DAY_MINUTES, round((value - day_start).total_seconds() / 60)))


def _lay_out(entries: list[GridEntry]) -> None:
    """Side by side where entries overlap: each cluster of overlapping entries shares the column."""
    entries.sort(key=lambda e: (e.start_minute, -e.end_minute))
    cluster: list[GridEntry] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        for entry in cluster:
            entry.lanes = len(lane_ends)

    for entry in entries:
        end = max(entry.end_minute, entry.start_minute + MIN_MINUTES)
        if cluster and entry.start_minute >= cluster_end:
            close()
            cluster, lane_ends = [], []
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= entry.start_minute:
                entry.lane, lane_ends[index] = index, end
                break
        else:
            entry.lane = len(lane_ends)
            lane_ends.append(end)
        cluster.append(entry)
        cluster_end = max(cluster_end, end)
    close()


def grid_days(
    *,
    dates: list[dt.date],
    occurrences: list[Occurrence],
    tasks: list[Task],
    zone: zoneinfo.ZoneInfo,
    today: dt.date,
) -> list[GridDay]:
    """The grid's columns for these dates, in `zone`: each occurrence on every day it covers, each task at
    its due time."""
    days = {date: GridDay(date=date, is_today=date == today) for date in dates}
    for occurrence in occurrences:
        for date in occurrence.dates(zone):
            day = days.get(date)
            if day is None:
                continue
            if occurrence.all_day:
                day.all_day.append(occurrence)
                continue
            day_start = dt.datetime.combine(date, dt.time(0), zone)
            start = _minutes(occurrence.start, day_start)
            end = _minutes(occurrence.end, day_start)
            day.entries.append(
                GridEntry(
                    kind="event",
                    start_minute=start,
                    end_minute=max(end, start),
                    occurrence=occurrence,
                    start=occurrence.start,
                    end=occurrence.end,
                )
            )
    for task in tasks:
        local = task.due_at.astimezone(zone)
        day = days.get(local.date())
        if day is None:
            continue
        start = local.hour * 60 + local.minute
        day.entries.append(
            GridEntry(
                kind="task",
                start_minute=min(start, DAY_MINUTES - TASK_MINUTES),
                end_minute=min(start + TASK_MINUTES, DAY_MINUTES),
                task=task,
                start=task.due_at,
            )
        )
    for day in days.values():
        _lay_out(day.entries)
    return [days[date] for date in dates]
