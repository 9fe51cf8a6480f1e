"""Download ``Range`` headers (RFC 9110, one range), parsed without HTTP."""

from __future__ import annotations

import pytest

from reelbase.core.playback.downloads import parse_range
from reelbase.core.errors import RangeNotSatisfiable


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-99", 1000, (0, 99)),
        ("bytes=100-", 1000, (100, 999)),
        ("bytes=-100", 1000, (900, 999)),
        ("bytes=-5000", 1000, (0, 999)),  # a suffix longer than the file is the whole file
        ("bytes=990-5000", 1000, (990, 999)),  # an end past the file is clipped
        ("BYTES=0-0", 1, (0, 0)),
    ],
)
def test_range_gives_the_inclusive_span(header: str, size: int, expected: tuple[int, int]) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header", [None, "", "items=0-5", "bytes=0-5,10-20", "bytes=5", "bytes=x-9", "bytes=9-3"])
def test_range_that_is_malformed_is_ignored(header: str | None) -> None:
    # RFC 9110 lets a server ignore a Range it does not understand and send the whole file.
    assert parse_range(header, 1000) is None


@pytest.mark.parametrize(("header", "size"), [("bytes=1000-", 1000), ("bytes=5000-6000", 1000), ("bytes=-0", 1000),
                                              ("bytes=-10", 0)])
def test_range_outside_the_file_is_not_satisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, size)
    assert caught.value.size == size
