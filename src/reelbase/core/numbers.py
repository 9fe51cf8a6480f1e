"""Numbers and numeric ids as requests spell them: ASCII digits only, and no more digits than a
database integer holds.

``str.isdigit()`` is also true for '¹', '①', '١' or '１', which ``int()`` then refuses (an
exception where a 400 was meant) or reads as a number nobody typed; SQLite refuses integers beyond
64 bits and PostgreSQL's id columns beyond 32. Every surface and every core lookup tells numbers from other text through here, and
keeps its own message for what it refuses.
"""

from __future__ import annotations

import re

MAX_DIGITS = 18  # any 18-digit number is below 2**63, so it fits a 64-bit integer column
MAX_ROW_ID = 2**31 - 1  # row ids are INTEGER columns: 32 bits on PostgreSQL
_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_digits(text: object) -> bool:
    """``text`` is a string of ASCII digits (any length)."""
    return isinstance(text, str) and _ASCII_DIGITS.fullmatch(text) is not None


def is_decimal(text: object) -> bool:
    """``text`` is a non-negative integer in ASCII digits that a database integer can hold."""
    return ascii_digits(text) and len(text) <= MAX_DIGITS  # type: ignore[arg-type]


def row_id(text: object) -> int | None:
    """``text`` as a row id, or None when it cannot name a row (not digits, or beyond what an id
    column holds: such an id is simply not found, rather than a value the database refuses)."""
    if not is_decimal(text):
        return None
    value = int(text)  # type: ignore[arg-type]
    return value if value <= MAX_ROW_ID else None


def page_offset(page: int, per_page: int, total: int) -> int | None:
    """The row offset of ``page`` (1-based), or None when it starts past the last of ``total``
    rows: that page is empty, and is answered without handing the database an offset that may be
    beyond what it can hold (``?page=1000000000000000001``)."""
    offset = (page - 1) * per_page
    return offset if offset < total else None
