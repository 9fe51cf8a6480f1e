"""A value the database refuses to hold leaves a session as the client's error (InvalidInput), on
SQLite and PostgreSQL alike, and the session's work is rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reelbase.core.errors import InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.db.models import Video


def test_a_number_beyond_the_column_is_invalid_input(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput, match="out of range"):
        with runtime.session() as db:
            db.scalar(select(Video).where(Video.id == 10**30))


def test_a_nul_in_text_is_invalid_input_where_the_database_refuses_it(runtime: Runtime) -> None:
    if runtime.settings.resolved_database_url().startswith("postgresql"):
        with pytest.raises(InvalidInput, match="text may not contain NUL characters"):
            with runtime.session() as db:
                db.scalar(select(Video).where(Video.title == "a\x00b"))
    else:  # SQLite compares it like any other text
        with runtime.session() as db:
            assert db.scalar(select(Video).where(Video.title == "a\x00b")) is None
    with runtime.session() as db:  # the pool hands out a usable connection afterwards
        assert db.scalar(select(func.count()).select_from(Video)) == 0
