"""The ResumableJS chunk plan: how a file is cut into numbered chunks, checked without HTTP."""

from __future__ import annotations

import pytest

from reelbase.core.errors import InvalidInput
from reelbase.core.uploads.chunks import MAX_CHUNKS, ChunkPlan


def plan(length: int, chunk_size: int, total: int, identifier: str = "1234-clip_mp4") -> ChunkPlan:
    return ChunkPlan(identifier=identifier, length=length, chunk_size=chunk_size, total_chunks=total)


def test_chunk_plan_spans_cover_the_file_once() -> None:
    p = plan(1000, 300, 3)
    spans = [p.span(n) for n in range(1, 4)]
    # ResumableJS: every chunk but the last is chunk_size long, the last absorbs the remainder.
    assert spans == [(0, 300), (300, 300), (600, 400)]
    assert sum(size for _, size in spans) == 1000


def test_chunk_plan_accepts_either_rounding_of_the_chunk_count() -> None:
    assert plan(1000, 300, 4).span(4) == (900, 100)  # ceil: a short last chunk
    assert plan(1000, 300, 3).span(3) == (600, 400)  # floor: the last absorbs the rest
    assert plan(100, 300, 1).span(1) == (0, 100)  # smaller than one chunk


@pytest.mark.parametrize("total", [2, 5, 0])
def test_chunk_plan_refuses_a_count_that_does_not_fit(total: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(1000, 300, total)
    assert caught.value.field == "resumableTotalChunks"


def test_chunk_plan_refuses_too_many_chunks() -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(MAX_CHUNKS + 1, 1, MAX_CHUNKS + 1)
    assert caught.value.field == "resumableTotalChunks"


@pytest.mark.parametrize(("length", "chunk_size", "field"), [(0, 10, "resumableTotalSize"),
                                                            (10, 0, "resumableChunkSize")])
def test_chunk_plan_refuses_empty_sizes(length: int, chunk_size: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(length, chunk_size, 1)
    assert caught.value.field == field


@pytest.mark.parametrize("identifier", ["", "../etc/passwd", "a/b", "a..b", "x" * 201, "caf\u00e9", "a b"])
def test_chunk_plan_refuses_identifiers_that_could_name_a_path(identifier: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(1000, 300, 3, identifier=identifier)
    assert caught.value.field == "resumableIdentifier"


@pytest.mark.parametrize("number", [0, 4, -1])
def test_chunk_plan_refuses_numbers_outside_the_plan(number: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(1000, 300, 3).span(number)
    assert caught.value.field == "resumableChunkNumber"
