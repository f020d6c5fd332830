"""Which holidays matter to the team, and on which dates: the `holidays` package (which computes
lunar dates) plus 元宵 (lunar 1-15), which is not a public holiday there. Only the first day of a
multi-day holiday counts."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from lunardate import LunarDate

from .workdays import country_holidays, public_holidays

# Chinese holidays worth a greeting: name in holidays.CN (zh_CN) → key, English, Chinese, icon
CN_GREETED = {
    "元旦": ("new_year", "New Year's Day", "元旦", "🎉"),
    "春节": ("spring", "Spring Festival", "春节", "🧧"),
    "端午节": ("dragon_boat", "Dragon Boat Festival", "端午节", "🐉"),
    "中秋节": ("mid_autumn", "Mid-Autumn Festival", "中秋节", "🥮"),
    "国庆节": ("national", "National Day", "国庆节", "🇨🇳"),
}
LANTERN = ("lantern", "Lantern Festival", "元宵节", "🏮")


@dataclass(frozen=True)
class Festival:
    key: str
    day: dt.date
    name_en: str
    name_zh: str
    icon: str = "🎉"

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@functools.lru_cache(maxsize=64)
def festivals_of_year(country: str, year: int) -> tuple[Festival, ...]:
    if country == "CN":
        return _chinese(year)
    found = []
    days = public_holidays(country, year)
    for day, name in sorted(days.items()):
        if day - dt.timedelta(days=1) in days and days[day - dt.timedelta(days=1)] == name:
            continue
        if "observed" in name.lower():
            continue
        found.append(Festival(name.lower().replace(" ", "_"), day, name, name))
    return tuple(found)


def _chinese(year: int) -> tuple[Festival, ...]:
    named: dict[str, list[dt.date]] = {}
    for day, names in country_holidays("CN", years=[year], language="zh_CN").items():
        for name in str(names).split("; "):
            named.setdefault(name.strip(), []).append(day)
    found = []
    for name, (key, en, zh, icon) in CN_GREETED.items():
        if named.get(name):
            found.append(Festival(key, min(named[name]), en, zh, icon))
    lantern = LunarDate(year, 1, 15).to_solar_date()
    found.append(Festival(LANTERN[0], lantern, LANTERN[1], LANTERN[2], LANTERN[3]))
    return tuple(sorted(found, key=lambda f: f.day))


def between(country: str, start: dt.date, end: dt.date) -> list[Festival]:
    """Festivals with start < day <= end."""
    out = []
    for year in range(start.year, end.year + 1):
        out.extend(f for f in festivals_of_year(country, year) if start < f.day <= end)
    return out
