"""Key validation and the Content-Disposition helper shared by the backends."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from reelbase.storage import InvalidKey, check_key, check_prefix, content_disposition


@pytest.mark.parametrize("key", ["a", "videos/1f/original", "a/b.c/d", "..x", "a/.hidden", "é/ü"])
def test_check_key_accepts_relative_keys(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", "/a", "a//b", "a/", "..", "a/../b", "./a", "a\x00", "a\\b"])
def test_check_key_refuses_unsafe_keys(key: str) -> None:
    with pytest.raises(InvalidKey):
        check_key(key)


@pytest.mark.parametrize("prefix", ["", "videos/", "videos/ab", "a"])
def test_check_prefix_accepts_key_starts(prefix: str) -> None:
    assert check_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["/", "../", "a//", "a/./", "x\x00"])
def test_check_prefix_refuses_unsafe_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidKey):
        check_prefix(prefix)


def _filename_star(header: str) -> str:
    """The name a client decodes from ``filename*`` (RFC 5987: charset'lang'pct-encoded)."""
    value = header.split("filename*=", 1)[1]
    charset, _lang, encoded = value.split("'", 2)
    assert charset == "UTF-8"
    assert all(c.isalnum() or c in "%!#$&+-.^_`|~" for c in encoded)
    return unquote(encoded, encoding="utf-8", errors="strict")


def _fallback(header: str) -> str:
    return header.split('filename="', 1)[1].split('"', 1)[0]


def test_content_disposition_plain_ascii_name() -> None:
    assert content_disposition("movie.mp4") == 'attachment; filename="movie.mp4"'
    assert content_disposition("clip.webm", disposition="inline") == 'inline; filename="clip.webm"'


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("été à Paris.mp4", "ete a Paris.mp4"),
        ('say "hi".mp4', "say _hi_.mp4"),
        ("naïve 日本語 ✓.mkv", "naive ___ _.mkv"),
        ("a b;c,d=e%f.mp4", "a b;c,d=e%f.mp4"),
        ("日本.mp4", "download.mp4"),
        ("日本", "download"),
    ],
)
def test_content_disposition_carries_exact_name_and_ascii_fallback(
    name: str, fallback: str
) -> None:
    header = content_disposition(name)
    assert header.isascii()
    assert _fallback(header) == fallback
    assert _filename_star(header) == name


def test_content_disposition_never_names_a_path_or_breaks_the_header() -> None:
    header = content_disposition('../ev"il\r\n\\name.mp4')
    assert "\r" not in header and "\n" not in header
    assert _fallback(header) == ".._ev_il___name.mp4"
    assert _filename_star(header) == '.._ev"il___name.mp4'
