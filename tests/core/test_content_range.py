"""Content-Range upload headers (``bytes start-end/total``, end inclusive), parsed without HTTP."""

from __future__ import annotations

import pytest

from reelbase.core.errors import InvalidInput
from reelbase.core.uploads.single import parse_content_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes 0-99/100", (0, 99, 100)),
        ("bytes 100-199/1000", (100, 199, 1000)),
        ("BYTES 0-0/1", (0, 0, 1)),
        ("  bytes 5-9/10  ", (5, 9, 10)),
        ("bytes 999999999999-999999999999/1000000000000", (999_999_999_999, 999_999_999_999, 1_000_000_000_000)),
    ],
)
def test_content_range_parses_inclusive_spans(header: str, expected: tuple[int, int, int]) -> None:
    assert parse_content_range(header) == expected


def test_content_range_end_equal_to_total_is_taken_as_exclusive() -> None:
    # Some clients send an exclusive end; the last byte is then total - 1.
    assert parse_content_range("bytes 0-100/100") == (0, 99, 100)
    assert parse_content_range("bytes 50-100/100") == (50, 99, 100)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "bytes",
        "items 0-99/100",
        "bytes 0-99",
        "bytes 0/100",
        "bytes 0-99/*",  # the total must be known
        "bytes -1-99/100",
        "bytes a-99/100",
        "bytes 10-5/100",  # start after end
        "bytes 0-100/50",  # end beyond the file
        "bytes 100-100/100",  # starts at the total
        "bytes 0-0/0",
        "bytes 0-1/1234567890123456789",  # beyond 18 digits
    ],
)
def test_content_range_refuses_what_is_not_a_range_inside_the_file(header: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_content_range(header)
    assert caught.value.field == "Content-Range"
