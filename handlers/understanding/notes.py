"""The note parser: one quick note in, one structured reading out.

Public API (stable, used by the conversation handlers and `crmbot parse`):

- ``CustomerRecord``: what the parser knows of a customer.
- ``CustomerIndex(records)``: built once, matched per note (see matching.py).
- ``NoteParser(index).parse(text, now, *, prefer=None) -> ParsedNote`` (prefer: ids or predicate, see matching)
- ``ParsedNote.to_json()``: exactly the JSON object of the spec.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from functools import lru_cache

from .reading import CustomerRecord, FollowUp, ParsedNote  # noqa: F401  (re-exported: the public API, see above)

# The parser's parts are imported inside NoteParser._parse, on the first note: importing this module stays cheap
# for a bot that starts up (the cue words compile when the first note arrives).


MAX_NOTE_CHARS = 2000  # the parser reads at most this much of a note (customer matching reads less)


MAX_DATE_CHARS = 1000  # time expressions are looked for in the head of the note


class NoteParser:
    """Reads one quick note against a ``CustomerIndex``. Thread-safe after construction; never raises."""

    def __init__(self, index, *, strict: bool = False):
        self.index = index
        self.strict = strict  # tests: let a bug raise instead of returning an empty reading

    def parse(self, text: str, now: dt.datetime, *, prefer=None) -> ParsedNote:
        """``prefer``: the customers the author may see or owns (a set of customer ids, or a predicate on
        ``CustomerRecord``); the customer is looked for among them first (see ``CustomerIndex.match``)."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        try:
            return self._parse(text, now, prefer)
        except Exception:  # a bug must not lose the user's note
            if self.strict:
                raise
            return ParsedNote(text=text)

    def _parse(self, text: str, now: dt.datetime, prefer=None) -> ParsedNote:
        from . import clauses as clause_roles
        from .amounts import find_amounts, names_absurd_amount, total_of
        from .birthdays import find_birthdays, next_occurrence
        from .followups import choose_follow_ups
        from .doubts import uncertain_fields
        from .lexicon import detect_channel, detect_outcome, detect_risks, reports_done, resolved_risks
        from .people import joined_customers
        from .matching import _get_t2s
        from .names import normalize_text
        from .spelling import correct

        note = ParsedNote(text=text)
        head = text[:MAX_NOTE_CHARS]
        if not head.strip():
            return note
        # typos and shorthand in ordinary words ("Cald", "wnats", "tmrw"), never in a customer's name
        head = correct(head, protected=self._is_name_word)
        n = normalize_text(head, _get_t2s())
        m = self.index.match(head, prefer=prefer) if prefer is not None else self.index.match(head)
        note.customer, note.ambiguous, note.candidates = m.customer, m.ambiguous, list(m.candidates)
        note.mention, note.is_new, note.mention_span = m.mention, m.is_new, m.span
        named = joined_customers(self.index, head, m, prefer)  # "拜访了张总和王芳": both
        note.customers = [c for c, _ in named]
        if len(named) > 1 and note.customer is not named[0][0]:
            note.customer = named[0][0]  # the spec: `customer` is the first of `customers`, in the order named
        names = [s for _, spans in named for s in spans] or list(m.spans or ([m.span] if m.span else ()))
        known = names + [s for s in getattr(m, "named", ()) if s not in names]
        found = _find_times(head[:MAX_DATE_CHARS], now)
        found += _parts_of_today(head[:MAX_DATE_CHARS], found, now)
        known += self._names_led_by_a_time(head, known, found)
        mentions = [t for t in found
                    if not _inside_name(t, head, known)
                    and not (t.time is not None and (_SOMEONE_ELSES.search(head, max(0, t.start - 8), t.start)
                                                     or _SOMEONE_ELSES_AFTER.match(head, t.end)))]
        mentions = _drop_clocks_of_past_days(mentions, head)
        mentions = _clock_of_a_reported_contact(mentions, head, now)
        ahead = _ahead(mentions, now, n)
        clauses = clause_roles.split(n, [(t.start, t.end) for t in mentions])
        note.channel = detect_channel(n, names, ahead, clauses)
        note.risk = detect_risks(n)
        note.outcome = detect_outcome(n, ahead)
        if note.outcome == "lost" and "churn" not in note.risk and _LOST_TO_RIVAL.search(n):
            note.risk.append("churn")
        busy = [(t.start, t.end) for t in mentions]
        if m.span:
            busy.append(m.span)
        money = [a for a in find_amounts(n) if not any(a.start < e and s < a.end for s, e in busy)]
        total = total_of(n, money)
        if total is not None:
            money = [total]  # the unit price and count worked out to a total: the total is the sum, and sure
        if money:
            note.amount, note.currency = money[0].value, money[0].currency
        birthdays = find_birthdays(n, now.date())
        own = next((b for b in birthdays if b.own), None)
        if own is not None:
            if own.lunar:
                note.lunar_birthday = own.mmdd
            else:
                note.birthday = own.mmdd
        others = [(b.start, b.end) for b in birthdays if b is not own]
        birthday_days = {d for b in birthdays if not b.action for d in [next_occurrence(b, now.date())] if d}
        acting = next((b for b in birthdays if b.action), None)
        note.follow_ups, situational = choose_follow_ups(
            head, n, now, [t for t in mentions if t.date not in birthday_days], acting or own, names or m.span,
            note.channel != "other", clauses, skip=others)
        if len(named) > 1:
            _assign_customers(note, named, clauses, head, n)
        note.resolved_risks = [r for r in resolved_risks(n) if r not in note.risk]
        note.closes = reports_done(n) or bool(note.resolved_risks)
        used = sorted((t for t in mentions if any(f.start == t.start for f in note.follow_ups)),
                      key=lambda t: next(k for k, f in enumerate(note.follow_ups) if f.start == t.start))
        note.uncertain = uncertain_fields(note, match_kind=m.kind, situational=situational, used=used,
                                          amounts=money, clauses=clauses, n=n)
        if note.amount is None and "amount" not in note.uncertain and names_absurd_amount(n):
            note.uncertain.append("amount")  # "¥99999999999999999": not kept; the bot says so
        return note

    def _names_led_by_a_time(self, head: str, known, found) -> list[tuple[int, int]]:
        """"6:30 Bakery", "Nord 24/7": a known company whose name starts with a clock or a date the matcher left out."""
        from .matching import _latin_tokens

        full = getattr(self.index, "full", None)
        if not full:
            return []
        out = []
        for t in found:
            for s, e in known:
                if not t.end <= s <= t.end + 2 or head[t.end:s].strip() or not re.search(r"\d", t.text):
                    continue
                last = t.start + max(0, head.rfind(" ", t.start, t.end - 1) + 1 - t.start)  # "by 6:30" → "6:30"
                for a in (t.start, last):
                    # digits are no tokens of a key: the name itself must hold the clock ("10:00 Tom Baker" is Tom Baker)
                    said = re.sub(r"\s+", " ", head[a:t.end].lower()).strip()
                    if any(said in name for name in self._names_of(full.get("".join(_latin_tokens(head[a:e].lower()))))):
                        out.append((a, e))
                        break
        return out

    def _names_of(self, pairs) -> list[str]:
        from .matching import _KIND_BITS

        records = getattr(self.index, "records", None) or []
        out = []
        for pair in pairs or ():
            rid = pair >> _KIND_BITS
            rec = records[rid] if 0 <= rid < len(records) else None
            if rec is not None:
                out += [x.lower() for x in (rec.name, rec.company or "", *rec.aliases) if x]
        return out

    def _is_name_word(self, word: str) -> bool:
        """A word of a known customer's name, alias or company: never spell-corrected."""
        latin = getattr(self.index, "latin_part", None)
        return bool(latin) and word in latin


# "(his 8pm)", "her local time 9am": someone else's clock, said to explain
_SOMEONE_ELSES = re.compile(r"(?:\(\s*(?:his|her|their|your)\s+(?:local\s+)?|\blocal\s+(?:time\s+)?|当地(?:时间)?|他那边|她那边)$", re.I)
# "8am his time", "9am their local time", "晚上8点（当地时间）": the clock of someone elsewhere
_SOMEONE_ELSES_AFTER = re.compile(r"\s*\(?\s*(?:(?:his|her|their)\s+(?:local\s+)?time\b|local\s+time\b|[（(]?当地时间|他那边|她那边)", re.I)
_LOST_TO_RIVAL = re.compile(r"competitor|rival|another (?:vendor|supplier)|went with|chose|instead of us|\blost\b.{0,30}\bto\b|对手|别家|其他供应商|"
                            r"别的供应商|竞品|换了|(?:跟|和|与)[^，。,.!?；;]{1,8}签(?:了|约)")


def _assign_customers(note, named, clauses, head: str, n: str) -> None:
    """Each follow-up of a note about several customers goes to the one named in its clause; a customer
    whose clause asks for something without a date gets an undated follow-up of their own."""
    from .clauses import clause_at
    from .followups import action_task
    from .people import owner_of

    for f in note.follow_ups:
        c = clause_at(clauses, f.start) if f.start is not None else None
        if c is not None:
            f.customer = owner_of(f.start, named, c.start, c.end)
    covered = {id(f.customer or named[0][0]) for f in note.follow_ups}
    every = [s for _, spans in named for s in spans]
    for customer, spans in named:
        if id(customer) in covered:
            continue
        for c in clauses:
            if c.role in ("next", "plain") and any(c.start <= s < c.end for s, _ in spans):
                task = action_task(head, n, c.start, c.end, every)
                if task:
                    note.follow_ups.append(FollowUp(None, None, task, customer))
                    break


@lru_cache(maxsize=1)
def _company_words() -> tuple[frozenset, re.Pattern]:
    from .vocab import alternation, load

    data = load("company_words")
    return frozenset(data["en"]), re.compile(f"(?:{alternation(data['zh'])})")


_DAY_WORD_ONLY = re.compile(r"^(?:今日|今天|明日|明天|后天|周[一二三四五六日天]|星期[一二三四五六日天]|礼拜[一二三四五六日天]|"
                             r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow)$", re.I)


def _inside_name(t, text: str, names) -> bool:
    """A date word that is part of a name: the customer's own (matched) or a company's (明日家电, Friday Foods)."""
    # inside a longer name (明日家电, "Friday Fresh Foods"), not a name word that is itself a date ("this Friday")
    if any(s <= t.start and t.end <= e and e - s > t.end - t.start for s, e in names):
        return True
    if any(s < t.end and t.start < e and not (t.start <= s and e <= t.end) for s, e in names):
        return True  # "Li Jun @ Friday": a name's word read as a month, overlapping the name
    if not _DAY_WORD_ONLY.match(t.text.strip()):
        return False
    en, zh = _company_words()
    rest = text[t.end:t.end + 12]
    if t.text.isascii():
        w = re.match(r"\s+([A-Za-z]+)", rest)
        return bool(w and t.text[:1].isupper() and w.group(1)[:1].isupper() and w.group(1).lower() in en)
    return bool(zh.match(rest) or zh.match(rest[1:3]) and rest[:1] not in "的，,。 ")


_HAS_DAY = re.compile(r"[天日号周月年明今昨]|星期|礼拜|tomorrow|today|tonight|yesterday|night|mon|tue|wed|thu|fri|sat|sun|/|-", re.I)


def _drop_clocks_of_past_days(mentions, text: str):
    """"昨晚跟孙总喝酒到十一点", "last night till 11": a clock time in a clause that names a past day is that day's."""
    from .lexicon import CLAUSE_BREAK

    past = [t for t in mentions if getattr(t, "past", False) and _HAS_DAY.search(t.text)]
    if not past:
        return mentions
    keep = []
    for t in mentions:
        if t.time is not None and not getattr(t, "past", False) and not _HAS_DAY.search(t.text) and any(
                not CLAUSE_BREAK.search(text, min(p.end, t.end), max(p.start, t.start)) for p in past):
            continue
        keep.append(t)
    return keep


_CONTACT_HEAD = re.compile(r"\b(?:call|meeting|mtg|visit|lunch|dinner|coffee|zoom|demo|catch-?up|chat)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?;\n](?=\s|$)|[。！？；]")
_REPORTED_AFTER = re.compile(r"\b(?:\w+ed|signed|said|told|agreed|was|were|went|got|had|sent|liked|loved|wants|asked)\b|!|了", re.I)


def _clock_of_a_reported_contact(mentions, text: str, now: dt.datetime):
    """"Call with Mick 3:15 pm. He signed!!" written at four: the hour that has passed is when the call was, not
    3:15 tomorrow, when the first sentence names the contact and the rest reports what came of it."""
    first = _SENTENCE_END.search(text)
    if first is None or not _CONTACT_HEAD.search(text, 0, first.start()) or not _REPORTED_AFTER.search(text, first.end()):
        return mentions
    clock = now.time().replace(tzinfo=None)
    out = []
    for t in mentions:
        if t.time is not None and t.start < first.start() and not _HAS_DAY.search(t.text) and not getattr(t, "past", False) \
                and t.date == now.date() + dt.timedelta(days=1) and t.time <= clock:
            t = replace(t, date=now.date(), past=True)
        out.append(t)
    return out


def _ahead(mentions, now: dt.datetime, n: str = "") -> list[tuple[int, int]]:
    """Spans of the time phrases still ahead: a later day, or later today at a stated time or part of the day.
    Not one that says which thing it is ("九月份的对账单", "下个月的订单")."""
    from .followups import _ATTRIBUTE, _FESTIVAL_ATTRIBUTE, later_today

    out = []
    today = now.date()
    for t in mentions:
        try:
            if getattr(t, "past", False) or t.date is None or (n and _ATTRIBUTE.match(n, t.end)) \
                    or (n and getattr(t, "grain", "") == "festival" and not t.deadline and _FESTIVAL_ATTRIBUTE.match(n, t.end)):
                continue
            if t.date > today or (t.date == today and t.time is not None and t.time > now.time().replace(tzinfo=None)) \
                    or later_today(t, now):
                out.append((t.start, t.end))
        except Exception:
            continue
    return out


# "下午去她厂里看看": a part of the day alone, opening what to do, is later today (the spec: no time of its own)
_PART_OF_DAY_ALONE = re.compile(r"(?<![今明后昨前天日号周期拜末\d一二三四五六七八九十])(上午|中午|下午|傍晚|晚上)(?=\s*(?:再|先|要|得|去|过去|来|打|发|寄|送|见|约|开会|拜访|回|给|找|带))")
_PART_ENDS = {"上午": 12, "中午": 13, "下午": 18, "傍晚": 19, "晚上": 22}


def _parts_of_today(text: str, found, now: dt.datetime):
    from .when import TimeMention

    out = []
    for m in _PART_OF_DAY_ALONE.finditer(text):
        if any(t.start <= m.start() < t.end or m.start() <= t.start < m.end() for t in found):
            continue
        if now.hour < _PART_ENDS[m.group(1)]:
            out.append(TimeMention(m.start(), m.end(), m.group(1), now.date(), None))
    return out


_CHAT_STAMP = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]m)?\]", re.I)


def _find_times(text: str, now: dt.datetime):
    try:
        from .when import find_times

        # a pasted chat's stamps ("[09:02] Hannah: …") say when each line was sent, not a time to act
        text = _CHAT_STAMP.sub(lambda m: " " * len(m.group()), text)
        return list(find_times(text, now) or [])
    except Exception:  # resolver missing or failing: no dates rather than no note
        return []
