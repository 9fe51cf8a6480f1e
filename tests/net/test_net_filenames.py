"""Untrusted file names: sanitizing and extraction from headers and URLs."""

import pytest

from reelbase.net import (
    filename_from_content_disposition,
    filename_from_url,
    parse_allow_hosts,
    sanitize_filename,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("clip.mp4", "clip.mp4"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\My Clip.mov", "My Clip.mov"),
        ("a/b\\c.mkv", "c.mkv"),
        ("bad\x00name.mp4", "badname.mp4"),
        ("tab\there\nnewline.mp4", "tab here newline.mp4"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # right-to-left override removed
        ("  ..hidden.mp4. ", "hidden.mp4"),
        ("..", ""),
        (".", ""),
        ("/", ""),
        ("", ""),
        (None, ""),
        ("cafe\u0301.mp4", "caf\u00e9.mp4"),  # NFC
        ("€ rates.mp4", "€ rates.mp4"),
        ('quote"semi;.mp4', 'quote"semi;.mp4'),
    ],
)
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_default():
    assert sanitize_filename("../", default="upload") == "upload"


def test_sanitize_filename_length_cap_keeps_extension():
    name = sanitize_filename("a" * 500 + ".mp4")
    assert len(name) == 200 and name.endswith(".mp4")
    assert len(sanitize_filename("x" * 50, max_length=10)) == 10


def test_sanitize_filename_byte_cap():
    name = sanitize_filename("é" * 200 + ".webm")  # 2 bytes each in UTF-8
    assert len(name.encode("utf-8")) <= 255 and name.endswith(".webm")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('attachment; filename="plain.mp4"', "plain.mp4"),
        ("attachment; filename=token.mp4", "token.mp4"),
        ("attachment; filename*=UTF-8''%E2%82%AC%20rates.mp4", "€ rates.mp4"),
        ("attachment; filename=\"fallback.mp4\"; filename*=UTF-8''%E2%82%AC%20rates.mp4", "€ rates.mp4"),
        ("attachment; filename*=utf-8'en'na%C3%AFve.mp4; filename=\"naive.mp4\"", "na\u00efve.mp4"),
        ("attachment; filename*=iso-8859-1''caf%E9.mp4", "caf\u00e9.mp4"),
        ('attachment; filename="a \\"quoted\\" name.mp4"', 'a "quoted" name.mp4'),
        ('attachment; filename="semi;colon.mp4"', "semi;colon.mp4"),
        ("attachment; filename*=bogus; filename=\"ok.mp4\"", "ok.mp4"),
        ("attachment; filename*=UTF-8''%FF%FE; filename=ok.mp4", "ok.mp4"),
        ("inline", None),
        ("", None),
        (None, None),
    ],
)
def test_filename_from_content_disposition(header, expected):
    assert filename_from_content_disposition(header) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/videos/My%20Clip.mp4?sig=abc#t=1", "My Clip.mp4"),
        ("https://example.com/a/b/", None),
        ("https://example.com", None),
        ("https://example.com/%E2%82%AC.mkv", "€.mkv"),
        ("https://example.com/x/..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"),  # raw; sanitize later
    ],
)
def test_filename_from_url(url, expected):
    assert filename_from_url(url) == expected


def test_parse_allow_hosts_normalizes():
    assert parse_allow_hosts(" 127.0.0.1:8000, LocalHost., [::1]:9000, ::0001 ,,") == {
        "127.0.0.1:8000", "localhost", "[::1]:9000", "::1",
    }
    assert parse_allow_hosts("bücher.de") == {"xn--bcher-kva.de"}
    assert parse_allow_hosts(None) == frozenset()


@pytest.mark.parametrize("entry", ["host:port", "host:0", "host:70000", "[::1", "a b", "user@host", "h/x"])
def test_parse_allow_hosts_rejects_bad_entries(entry):
    with pytest.raises(ValueError, match="allow-list entry"):
        parse_allow_hosts(entry)
