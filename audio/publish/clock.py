"""Times and dates for people and for subtitle files: `[h:]mm:ss[.mmm]`, `2 February 2025`."""

from __future__ import annotations

import datetime

# English month names of our own: strftime("%B") follows the process's locale.
MONTHS = ("January", "February", "March", "April", "May", "June",
          "July", "August", "September", "October", "November", "December")  # fmt: skip


def clock(ms: int, *, fraction: str | None = ".", hours: bool = False, minute_digits: int = 1) -> str:
    """A time in milliseconds as `m:ss.mmm`, or `h:mm:ss.mmm` from an hour on.

    `hours` always shows two-digit hours (`00:01:02.345`, as WebVTT and SubRip want);
    `fraction` is what separates the milliseconds (`,` for SubRip), None to drop them
    (rounded down); `minute_digits` pads the minutes below an hour (`01:02`).
    """
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, millis = divmod(rest, 1000)
    if hours:
        head = f"{h:02d}:{m:02d}"
    elif h:
        head = f"{h}:{m:02d}"
    else:
        head = f"{m:0{minute_digits}d}"
    text = f"{head}:{s:02d}"
    return f"{text}{fraction}{millis:03d}" if fraction else text


def date_for_people(day: datetime.date) -> str:
    """A date as people read it, in English whatever the locale: `2 February 2025`."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
