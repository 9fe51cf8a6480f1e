"""Signed request tokens: ``<claims>.<signature>``, made with an API key's secret.

The form (SpareVideos-style, built by clients in a few lines of PHP)::

    claims    = base64(json({"algo": "sha256", "public_key": <key public id>, "method": ..., "action": ...,
                             "expires": <unix seconds>, ...}))  with the trailing '=' removed
    signature = hex(HMAC_<algo>(key secret, claims as sent))
    token     = claims + "." + signature

Contract of :func:`verify_signed_request`:

* the claims part may use the standard or the URL-safe base64 alphabet, and a ``+`` turned into
  a space by query-string decoding is put back before anything else;
* the signature is checked first (over the claims part exactly as the client sent it, with the
  secret re-derived from the key named by ``public_key``), in constant time; anything malformed,
  an unknown or revoked key, an unsupported ``algo`` and a wrong signature are
  :class:`SignedRequestInvalid` (401);
* then ``expires`` must be present and in the future (:class:`SignedRequestExpired`, 401), and the
  token's ``method`` and ``action`` must be the ones the operation asks for
  (:class:`SignedRequestWrongAction`, 403): a token for one operation never works for another;
* every :class:`SignedRequestInvalid` counts against the client's address in the throttle
  (``core.auth.throttle``): past its limit the address is refused (TooManyAttempts, 429) for a
  growing while, before anything is checked.

:func:`sign_request` makes such a token (for tokens the server itself hands out).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelbase.core.auth import signer
from reelbase.core.auth.accounts import key_secret, principal_for_public_id
from reelbase.core.context import Principal
from reelbase.core.errors import Forbidden, Unauthenticated

if TYPE_CHECKING:
    from reelbase.core.runtime import Runtime

MAX_TOKEN = 16 * 1024
# PHP hash_algos() names -> hashlib names; only hashes fit for an HMAC today.
ALGORITHMS = {
    "sha1": "sha1", "sha224": "sha224", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512",
    "sha512/224": "sha512_224", "sha512/256": "sha512_256",
    "sha3-224": "sha3_224", "sha3-256": "sha3_256", "sha3-384": "sha3_384", "sha3-512": "sha3_512",
}


class SignedRequestMissing(Unauthenticated):
    code = "token_missing"


class SignedRequestInvalid(Unauthenticated):
    code = "token_invalid"


class SignedRequestExpired(Unauthenticated):
    code = "token_expired"


class SignedRequestWrongAction(Forbidden):
    code = "token_wrong_action"


@dataclass(frozen=True)
class SignedRequest:
    principal: Principal
    claims: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _mac(secret: str, head: str, algo: str) -> str:
    # The vendor's algorithm, keyed by the API key's secret (not the server's): the signer's
    # purpose keys cannot apply, only its comparison and parsing.
    return hmac.new(secret.encode(), head.encode(), getattr(hashlib, algo)).hexdigest()


def sign_request(claims: dict[str, Any], secret: str) -> str:
    """A token for ``claims`` (which name their ``algo``, default sha256) signed with ``secret``."""
    algo = ALGORITHMS[str(claims.get("algo", "sha256")).lower()]
    head = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return head + "." + _mac(secret, head, algo)


def decode_claims(head: str) -> dict[str, Any]:
    """The claims of a token's first part (either base64 alphabet, padding optional)."""
    text = head.replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        raise SignedRequestInvalid("the token's first part is not base64 of a JSON object") from None
    if not isinstance(claims, dict):
        raise SignedRequestInvalid("the token's first part is not base64 of a JSON object")
    return claims


def verify_signed_request(
    runtime: Runtime, token: str | None, *, method: str, action: str, client: str | None, now: float | None = None
) -> SignedRequest:
    """The principal and claims of a valid token for ``method``/``action`` (see the module doc).

    The key named by ``public_key`` is looked up through the runtime's principal cache (no query
    while cached; a revoked key or a banned user is refused at once), and nothing is written.
    Blocking on a miss: call from a worker thread.

    An invalid token counts against the ``client`` address in ``runtime.throttle``, and an address
    locked out for too many is refused (TooManyAttempts) before anything is checked. Missing,
    expired and wrong-action tokens count nothing: the first is no guess, the others were signed
    with the right secret."""
    if not token:
        raise SignedRequestMissing("no token: sign the request and send it as ?token=<signature>")
    runtime.throttle.before_secret(client)
    try:
        principal, claims = _signed_claims(runtime, token)
    except SignedRequestInvalid:
        runtime.throttle.secret_failed(client)
        raise
    expires = claims.get("expires")
    if isinstance(expires, str):
        with contextlib.suppress(signer.SignatureMalformed):  # text that is no expiry is refused below
            expires = signer.parse_expires(expires.strip())
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise SignedRequestExpired("the token has no 'expires' (unix seconds)")
    if expires <= (time.time() if now is None else now):
        raise SignedRequestExpired("the token expired; sign a new one")
    if str(claims.get("method", "")) != method or str(claims.get("action", "")) != action:
        raise SignedRequestWrongAction(
            f"this token is for {claims.get('method')}/{claims.get('action')}, not {method}/{action}")
    return SignedRequest(principal=principal, claims=claims)


def _signed_claims(runtime: Runtime, token: str) -> tuple[Principal, dict[str, Any]]:
    """The key's principal and the claims of a token signed with that key's secret;
    SignedRequestInvalid for anything else."""
    if len(token) > MAX_TOKEN:
        raise SignedRequestInvalid("the token is too long")
    token = token.strip().replace(" ", "+")
    head, dot, signature = token.rpartition(".")
    if not dot or not head or not signature:
        raise SignedRequestInvalid("the token must be '<base64 array>.<hex hash>'")
    claims = decode_claims(head)
    algo = ALGORITHMS.get(str(claims.get("algo", "")).lower())
    if algo is None:
        raise SignedRequestInvalid(f"unsupported algo {str(claims.get('algo'))[:40]!r}; use one of "
                                   + ", ".join(ALGORITHMS))
    public_key = claims.get("public_key")
    if not isinstance(public_key, str) or not public_key or len(public_key) > 100:
        raise SignedRequestInvalid("the token names no public_key")
    try:
        principal = principal_for_public_id(runtime, public_key)
    except Unauthenticated:
        raise SignedRequestInvalid("unknown or revoked public_key") from None
    assert principal.api_key is not None
    secret = key_secret(principal.api_key, runtime.secret_key)
    if not signer.equal(_mac(secret, head, algo), signature.lower()):
        raise SignedRequestInvalid("the token's signature does not match (wrong private key, or changed)")
    return principal, claims
