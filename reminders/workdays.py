"""Working days and working hours: when a push may reach a member.

A day is off when it is a public holiday of the team's country, or one of the configured weekdays off
(settings.days_off) that the country's calendar does not make a working day: the `holidays` package's
`is_working_day` knows China's 调休 make-up Saturdays and Sundays (e.g. Saturday 14 February 2026).
Its calendars for years whose official schedule is not yet published are projections. Working hours
are settings.workday_start to workday_end in the member's own timezone.
Nothing here reads the clock: every function takes the moment it reasons about.
"""
from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

SEARCH_DAYS = 60  # no sane calendar has two months without a working day


def country_holidays(country: str, **options):
    """holidays.country_holidays, without importing every country: the package's `holidays.countries`
    imports all of its ~200 countries (300 modules, most of `crmbot chat`'s start-up after SQLAlchemy)
    while we need one. A bare stand-in package takes its place in sys.modules first; it imports a
    country's module when asked for it by name or code (holidays' registry imports by module path,
    `from holidays.countries import China` goes through its __getattr__)."""
    _lazy_countries()
    import holidays

    return holidays.country_holidays(country, **options)


def _lazy_countries() -> None:
    import importlib
    import importlib.util
    import sys
    import types

    if "holidays.countries" in sys.modules:
        return  # imported already (the real package, or our stand-in)
    from holidays import registry

    spec = importlib.util.find_spec("holidays.countries")
    if spec is None or not spec.submodule_search_locations:
        return
    package = types.ModuleType("holidays.countries")
    package.__path__ = list(spec.submodule_search_locations)
    package.__package__ = "holidays.countries"

    def __getattr__(name: str):
        for module, names in registry.COUNTRIES.items():
            if name in names or name == f"Holidays{names[1]}":
                return getattr(importlib.import_module(f"holidays.countries.{module}"), name)
        raise AttributeError(name)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules["holidays.countries"] = package


@functools.lru_cache(maxsize=64)
def public_holidays(country: str, year: int) -> dict[dt.date, str]:
    if not country:
        return {}
    try:
        return dict(country_holidays(country, years=[year]))
    except NotImplementedError:
        return {}


@functools.lru_cache(maxsize=64)
def calendar(country: str, year: int):
    """The `holidays` calendar of a country for a year (None: no country, or one it does not know)."""
    if not country:
        return None
    try:
        return country_holidays(country, years=[year])
    except NotImplementedError:
        return None


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except Exception:  # a bad zone saved earlier must not stop every push
        return ZoneInfo("UTC")


def is_day_off(day: dt.date, settings, country: str) -> bool:
    cal = calendar(country, day.year)
    if cal is None:
        return day.weekday() in settings.days_off
    if day in cal:
        return True  # a public holiday
    if day.weekday() in cal.weekend and cal.is_working_day(day):
        return False  # a make-up working day (调休) on a weekend
    return day.weekday() in settings.days_off


def at_local(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, time).replace(tzinfo=tz)


def workday_start(day: dt.date, tz: ZoneInfo, settings) -> dt.datetime:
    return at_local(day, settings.workday_start, tz)


def in_working_hours(at: dt.datetime, tz: ZoneInfo, settings, country: str) -> bool:
    local = at.astimezone(tz)
    return not is_day_off(local.date(), settings, country) and settings.workday_start <= local.time() < settings.workday_end


def next_working_moment(at: dt.datetime, tz: ZoneInfo, settings, country: str) -> dt.datetime:
    """`at` itself when inside working hours, else the start of the next working morning."""
    local = at.astimezone(tz)
    day = local.date()
    if not is_day_off(day, settings, country):
        if local.time() < settings.workday_start:
            return workday_start(day, tz, settings)
        if local.time() < settings.workday_end:
            return at
    for _ in range(SEARCH_DAYS):
        day += dt.timedelta(days=1)
        if not is_day_off(day, settings, country):
            return workday_start(day, tz, settings)
    return at


def previous_working_day(day: dt.date, settings, country: str) -> dt.date:
    """The last working day strictly before `day`."""
    for _ in range(SEARCH_DAYS):
        day -= dt.timedelta(days=1)
        if not is_day_off(day, settings, country):
            return day
    return day


def local_today(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    return now.astimezone(tz).date()


def end_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return at_local(day + dt.timedelta(days=1), dt.time(0, 0), tz)


def members_at_work(members, now: dt.datetime, settings, memo, job: str) -> dict[int, tuple[object, ZoneInfo, dt.date]]:
    """Members for whom `now` is working time and whose `job` has not run yet today (per the memo):
    member id → (member, their zone, their local today)."""
    due = {}
    for member in members:
        tz = zone(member.timezone)
        today = local_today(now, tz)
        if in_working_hours(now, tz, settings, settings.holiday_country) and (memo is None or memo.todo(job, member.id, today)):
            due[member.id] = (member, tz, today)
    return due


async def active_members_at_work(session, now: dt.datetime, settings, memo, job: str):
    """Active members (from the database) for whom `job` is due now: see members_at_work."""
    from sqlmodel import select

    from storage.models import Member

    members = (await session.exec(select(Member).where(Member.active == True))).all()  # noqa: E712
    return members, members_at_work(members, now, settings, memo, job)
