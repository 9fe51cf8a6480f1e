"""Numbers in requests: digits that are not ASCII ('¹' passes str.isdigit()) and numbers beyond what
a database integer holds get a clear answer in each surface's error shape, never a 500."""

from __future__ import annotations

import pytest

from reelbase.core.numbers import ascii_digits, is_decimal, page_offset
from tests.conftest import Account, LiveServer, make_account

SUPERSCRIPT_ONE = "\u00b9"


@pytest.mark.parametrize("text", ["\u00b9", "\u2460", "\u0661", "\uff11", "1" * 19, "", "-1", " 1", "1.0", "0x1"])
def test_numbers_refuse_what_is_not_an_ascii_integer_a_column_holds(text: str) -> None:
    assert not is_decimal(text)


def test_numbers_take_ascii_digits() -> None:
    assert is_decimal("0") and is_decimal("9" * 18)
    assert not is_decimal(42)  # only text is read as a request number
    assert ascii_digits("1" * 40) and not ascii_digits("1\u00b9")


def test_page_offset_is_none_past_the_last_row() -> None:
    assert page_offset(1, 30, 0) is None
    assert page_offset(1, 30, 1) == 0
    assert page_offset(2, 30, 31) == 30
    assert page_offset(2, 30, 30) is None
    assert page_offset(10**18 + 1, 100, 5) is None


def test_native_lists_answer_an_empty_page_past_the_last(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as api:
        assert api.post("/api/v1/videos", json={"title": "one"}).status_code == 201
        assert api.post("/api/v1/projects", json={"name": "p"}).status_code == 201
        for path in ("/api/v1/videos", "/api/v1/projects"):
            r = api.get(path, params={"page": "1000000000000000001"})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["items"] == [] and body["total"] == 1 and body["page"] == 1000000000000000001


def test_native_ids_in_other_digits_are_not_found(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as api:
        for path in (f"/api/v1/videos/{SUPERSCRIPT_ONE}", f"/api/v1/projects/{SUPERSCRIPT_ONE}",
                     "/api/v1/videos/" + "9" * 30):
            r = api.get(path)
            assert r.status_code == 404, (path, r.text)
            assert r.json()["error"]["code"] == "not_found"


def test_tus_offset_in_other_digits_is_a_bad_request(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as api:
        made = api.post("/api/v1/uploads/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"})
        assert made.status_code == 201, made.text
        r = api.patch(made.headers["location"], content=b"0123456789",
                      headers={"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream",
                               "Upload-Offset": b"\xb9"})  # "¹" in latin-1, as HTTP headers are read
        assert r.status_code == 400, r.text
        assert r.json()["error"]["field"].lower() == "upload-offset"


def test_dialect_numbers_in_other_digits_get_the_dialects_answer(live: LiveServer, alice: Account) -> None:
    with live.client() as web:
        integros = web.get("/compat/integros/v1/videos.json", params={"access_key": alice.secret,
                                                                        "page": SUPERSCRIPT_ONE})
        assert integros.status_code == 400 and "page" in integros.json()["error"], integros.text
        org = make_account(live.runtime, key_type="organization")  # ilos searches with an organization key
        ilos = web.get("/compat/ilos/opensearch/", params={"api_key": org.secret, "count": SUPERSCRIPT_ONE})
        assert ilos.status_code == 400 and "count must be a whole number" in ilos.text, ilos.text


def test_ids_beyond_an_id_column_are_not_found(live: LiveServer, alice: Account) -> None:
    """PostgreSQL's id columns hold 32 bits: a 12-digit id names no row, on either database."""
    with live.client(alice.secret) as api:
        for path in ("/api/v1/videos/99999999999", "/api/v1/projects/99999999999"):
            r = api.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)
        r = api.post("/api/v1/videos", json={"title": "t", "project": 99999999999})
        assert r.status_code == 404 and r.json()["error"]["field"] == "project", r.text


def test_names_and_searches_with_a_nul_match_nothing_on_either_database(live: LiveServer, alice: Account) -> None:
    """PostgreSQL refuses to compare text holding NUL; no stored name or title holds one, so such a
    request finds nothing, the same answer SQLite gives, instead of a database error."""
    with live.client(alice.secret) as api:
        assert api.post("/api/v1/videos", json={"title": "ab"}).status_code == 201
        for path in ("/api/v1/videos/a%00b", "/api/v1/projects/a%00b"):
            r = api.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)
        parent = api.get("/api/v1/videos", params={"parent": "a\x00b"})
        assert parent.status_code == 404 and parent.json()["error"]["code"] == "not_found", parent.text
        found = api.get("/api/v1/videos", params={"q": "a\x00"})
        assert found.status_code == 200 and found.json()["items"] == [] and found.json()["total"] == 0
        titled = api.post("/api/v1/videos", json={"title": "a\x00b"})
        assert titled.status_code == 422 and titled.json()["error"]["field"] == "title", titled.text


def test_a_405_lists_every_method_of_the_resource(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as api:
        r = api.request("TRACE", "/api/v1/videos/1")
        assert r.status_code == 405 and r.headers["allow"] == "GET, PATCH, DELETE", r.headers
        assert r.json()["error"]["code"] == "method_not_allowed"
        valt = api.request("PUT", "/compat/valt/api/v3/login")
        assert valt.status_code == 405 and valt.headers["allow"] == "POST"
        assert valt.json() == {"error": {"code": 405, "message": "Method Not Allowed"}}
        tus = api.post("/api/v1/uploads/" + "a" * 32, headers={"Tus-Resumable": "1.0.0"})
        assert tus.status_code == 405 and tus.headers["allow"] == "DELETE, GET, HEAD, PATCH", tus.text
