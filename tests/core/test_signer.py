"""The signer: purpose-bound keys, one expiry rule, constant-time comparison, a strict parser."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable

import pytest

from reelbase.core.auth import signer
from reelbase.core.errors import DomainError, Forbidden
from reelbase.core.auth.signer import Purpose

SECRET = "test-secret-" + "x" * 40
UUID = "0b9d6a3e-2f4c-4e1a-9d3b-6c1f2e8a7b90"
NOW = 1_800_000_000  # a fixed "now", so expiries do not depend on the clock
LATER = NOW + 600


def _verify(signature: object, *, subject: object = UUID, expires: object = LATER,
            purpose: Purpose = Purpose.PLAYBACK, secret: str = SECRET, now: float = NOW) -> int:
    return signer.verify(secret, purpose, subject, expires=expires, signature=signature, now=now)


def _good(purpose: Purpose = Purpose.PLAYBACK, expires: int = LATER) -> str:
    return signer.sign(SECRET, purpose, UUID, expires=expires)


def test_signer_round_trip_returns_the_expiry() -> None:
    signature = _good()
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    assert _verify(signature) == LATER
    assert _verify(signature.upper(), expires=str(LATER)) == LATER  # URL text, either hex case


@pytest.mark.parametrize("purpose", list(Purpose))
def test_signer_signature_never_verifies_for_another_purpose(purpose: Purpose) -> None:
    signature = _good(purpose)
    assert _verify(signature, purpose=purpose) == LATER
    for other in Purpose:
        if other is not purpose:
            with pytest.raises(signer.SignatureMismatch):
                _verify(signature, purpose=other)


def test_signer_keys_differ_per_purpose_and_are_not_the_server_secret() -> None:
    keys = {signer.purpose_key(SECRET, p) for p in Purpose}
    assert len(keys) == len(Purpose) and SECRET.encode() not in keys
    plain = hmac.new(SECRET.encode(), f"{UUID}:{LATER}".encode(), "sha256").hexdigest()
    with pytest.raises(signer.SignatureMismatch):  # signed with the raw secret: refused
        _verify(plain)


@pytest.mark.parametrize("change", [
    lambda: {"signature": _flip_last(_good())},
    lambda: {"subject": UUID.replace("0b", "0c", 1)},
    lambda: {"expires": LATER + 1},  # stretching the expiry
    lambda: {"secret": SECRET + "y"},
], ids=["signature", "subject", "expiry", "secret"])
def test_signer_tampered_refused(change: Callable[[], dict[str, object]]) -> None:
    kwargs = {"signature": _good(), **change()}
    with pytest.raises(signer.SignatureMismatch):
        _verify(**kwargs)  # type: ignore[arg-type]


def _flip_last(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


def test_signer_expired_refused_after_the_signature_is_checked() -> None:
    past = NOW - 5
    with pytest.raises(signer.SignatureExpired) as caught:
        _verify(_good(expires=past), expires=past)
    assert caught.value.expires == past
    with pytest.raises(signer.SignatureExpired):  # the expiry itself is no longer valid
        _verify(_good(expires=NOW), expires=NOW)
    # A forged signature for a past expiry is a mismatch: "expired" is said only of what we signed.
    with pytest.raises(signer.SignatureMismatch):
        _verify("0" * 64, expires=past)


def test_signer_expires_in_counts_whole_seconds() -> None:
    assert signer.expires_in(600, now=NOW + 0.9) == NOW + 600


def test_signer_hour_end_rounds_up_and_is_stable_within_the_hour() -> None:
    hour = 3600 * 500_000  # a whole hour
    assert signer.expires_at_hour_end(60, now=hour - 60) == hour  # exactly on the hour stays
    assert signer.expires_at_hour_end(60, now=hour - 59) == hour + 3600
    same = {signer.expires_at_hour_end(24 * 3600, now=hour + s) for s in (1, 600, 3599)}
    assert same == {hour + 25 * 3600}
    assert signer.expires_at_hour_end(24 * 3600, now=hour + 3601) == hour + 26 * 3600
    for s in range(0, 7200, 97):  # never shorter than asked
        assert signer.expires_at_hour_end(24 * 3600, now=hour + s) >= hour + s + 24 * 3600


MALFORMED_EXPIRES = [
    "", "¹", "١٢٣", "１２３", "12a", "-5", "+5", " 5", "5 ", "5\n", "0123", "1e9", "5.0",
    "9" * 13, str(signer.MAX_EXPIRES + 1), "99999999999999999999999999999999", -5, 10**30, True, 5.0, None, b"5",
]


@pytest.mark.parametrize("value", MALFORMED_EXPIRES)
def test_signer_malformed_expiry_refused_with_the_domain_error(value: object) -> None:
    with pytest.raises(signer.SignatureMalformed):
        signer.parse_expires(value)
    with pytest.raises(signer.SignatureMalformed):
        _verify(_good(), expires=value)


def test_signer_accepts_every_canonical_expiry_up_to_the_limit() -> None:
    for text in ("0", "7", str(LATER), str(signer.MAX_EXPIRES)):
        assert signer.parse_expires(text) == int(text)
    assert signer.parse_expires(LATER) == LATER  # an int from a decoded document


MALFORMED_SIGNATURES = [
    "", "0" * 63, "0" * 65, "g" * 64, "é" * 64, "٣" * 64, " " + "0" * 63, "0" * 63 + "\n", "0x" + "0" * 62,
    None, 5, b"0" * 64,
]


@pytest.mark.parametrize("value", MALFORMED_SIGNATURES)
def test_signer_malformed_signature_refused_with_the_domain_error(value: object) -> None:
    with pytest.raises(signer.SignatureMalformed):
        _verify(value)


@pytest.mark.parametrize("subject", ["", "é" * 10, "a b", "x" * (signer.MAX_SUBJECT + 1), None, 5])
def test_signer_malformed_subject_refused_with_the_domain_error(subject: object) -> None:
    with pytest.raises(signer.SignatureMalformed):
        _verify(_good(), subject=subject)


def test_signer_refusals_are_forbidden_domain_errors_with_stable_codes() -> None:
    codes = {cls.code for cls in (signer.SignatureMalformed, signer.SignatureMismatch, signer.SignatureExpired)}
    assert codes == {"signature_malformed", "signature_mismatch", "signature_expired"}
    for cls in (signer.SignatureMalformed, signer.SignatureMismatch, signer.SignatureExpired):
        assert issubclass(cls, signer.SignatureRefused) and issubclass(cls, Forbidden)
        assert issubclass(cls, DomainError) and cls.status == 403


def test_signer_sign_refuses_what_it_could_not_verify() -> None:
    for subject, expires in ((UUID, -1), (UUID, signer.MAX_EXPIRES + 1), ("", LATER), ("a b", LATER)):
        with pytest.raises(ValueError):
            signer.sign(SECRET, Purpose.PLAYBACK, subject, expires=expires)


def test_signer_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    real = hmac.compare_digest
    calls: list[tuple[object, object]] = []

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    signature = _good()
    assert _verify(signature) == LATER
    with pytest.raises(signer.SignatureMismatch):
        _verify(_flip_last(signature))
    assert calls == [(signature.encode(), signature.encode()),
                     (signature.encode(), _flip_last(signature).encode())]


def test_signer_equal_never_raises_on_text_from_a_request() -> None:
    assert signer.equal("abc", "abc") and signer.equal(b"abc", "abc")
    assert not signer.equal("abc", "abd") and not signer.equal("abc", "ab")
    assert not signer.equal("abc", "äbc")  # hmac.compare_digest("abc", "äbc") raises TypeError
    with pytest.raises(TypeError):
        hmac.compare_digest("abc", "äbc")


def test_signer_parse_hex_takes_other_lengths_for_vendor_digests() -> None:
    assert signer.parse_hex("AB" * 20, length=40) == "ab" * 20  # a SHA-1 HMAC
    with pytest.raises(signer.SignatureMalformed):
        signer.parse_hex("ab" * 20)


class _Refused(Forbidden):
    code = "test_refused"


class _Late(Forbidden):
    code = "test_late"


_REFUSALS = signer.Refusals(_Refused, malformed="bad shape", mismatch="not ours",
                            expired="gone since {expired_at}", expired_error=_Late)


def test_signer_check_answers_each_refusal_in_the_callers_words() -> None:
    good = _good()
    assert signer.check(SECRET, Purpose.PLAYBACK, UUID, expires=LATER, signature=good, refusals=_REFUSALS,
                        now=NOW) == LATER
    with pytest.raises(_Refused, match="^bad shape$"):
        signer.check(SECRET, Purpose.PLAYBACK, UUID, expires="¹", signature=good, refusals=_REFUSALS, now=NOW)
    with pytest.raises(_Refused, match="^not ours$"):
        signer.check(SECRET, Purpose.VIEW_TOKEN, UUID, expires=LATER, signature=good, refusals=_REFUSALS, now=NOW)
    with pytest.raises(_Late) as late:
        signer.check(SECRET, Purpose.PLAYBACK, UUID, expires=LATER, signature=good, refusals=_REFUSALS,
                     now=LATER + 1)
    assert late.value.message == "gone since 2027-01-15 08:10:00 UTC"  # LATER, as a UTC time
