"""Golden tests of the VALT dialect, to the letter of VALT's document (seed 001, "API Upload
Recording"): record fields that a multipart upload sends after its file part, a record created
without a name, and the login that the document does not describe (Reelbase's own).

Each test quotes the sentence or table it checks and sends the request as the document shows it
(``access_token`` in the query, ``Content-Range``, a multipart ``file`` part) to a live server.
Files with fields after them are larger than one read of the request body (``BATCH``, which may
run one socket read past it), so those fields arrive only after the file's first bytes have been
stored, as they would with a real recording.
"""

from __future__ import annotations

import hashlib
import os


from reelbase.edge.streams import BATCH
from tests.conftest import Account, LiveServer
from tests.dialects.valt_client import UUID, client, create_upload, created, send_chunk

PAST_ONE_READ = BATCH + 300_000


def _native(live: LiveServer, acct: Account, video: str) -> dict:
    r = live.client(acct.secret).get(f"/api/v1/videos/{video}")
    assert r.status_code == 200, r.text
    return r.json()


def _record_name(live: LiveServer, acct: Account, record: str) -> str:
    r = live.client(acct.secret).get(f"/api/v1/projects/{record}")
    assert r.status_code == 200, r.text
    return r.json()["name"]


# ---------------------------------------------------------------- fields after the file part


def test_record_fields_after_the_file_part_update_the_record(live: LiveServer, alice: Account) -> None:
    """2) Upload Video to Record, Parameters: ``content-type multipart/form-data``,
    ``content-range bytes 0-316620/316620``, then the data ``name | Recording Name``, ``template |
    Array of additional information template fields``, ``share / groups / users``; the example
    body is ``file [File] = {Video File}``. The document puts no order on the parts, so fields
    sent after the file part count as much as those before it."""
    data = os.urandom(PAST_ONE_READ)
    after = {"name": "Named after the file", "template[3]": "Third", "share[users][0]": "8",
             "share[groups][0]": "9"}
    with client(live) as c:
        record, video = created(c, alice.secret)
        r = send_chunk(c, alice.secret, record, video, data, 0, len(data) - 1, form_after=after)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == record and r.json()["videos"] == [video]
        got = c.get(r.json()["url"], params={"access_token": alice.secret})
    assert hashlib.sha256(got.content).digest() == hashlib.sha256(data).digest()  # the fields are not in the file
    native = _native(live, alice, video)
    assert native["title"] == "Named after the file" and native["template_fields"] == {"3": "Third"}
    assert native["shared_user_ids"] == [8] and native["shared_group_ids"] == [9]
    assert _record_name(live, alice, record) == "Named after the file"


def test_fields_before_and_after_the_file_part_make_one_form(live: LiveServer, alice: Account) -> None:
    """The same table, with ``share / users: Array of user IDs``: an array may be sent one
    element before the file part and the next after it; the later part adds, it does not
    replace. A field sent on both sides takes its later value."""
    data = os.urandom(PAST_ONE_READ)
    with client(live) as c:
        record, video = created(c, alice.secret)
        r = send_chunk(c, alice.secret, record, video, data, 0, len(data) - 1,
                       form={"name": "First name", "share[users][0]": "1", "template[1]": "a"},
                       form_after={"name": "Last name", "share[users][1]": "2", "template[2]": "b"})
        assert r.status_code == 200, r.text
    native = _native(live, alice, video)
    assert native["title"] == "Last name" and _record_name(live, alice, record) == "Last name"
    assert native["shared_user_ids"] == [1, 2]
    assert native["template_fields"] == {"1": "a", "2": "b"}


def test_fields_after_the_file_part_of_each_chunk_and_of_a_repeated_chunk(live: LiveServer, alice: Account) -> None:
    """``content-range | bytes 0-316620/316620``: a file sent in Content-Range chunks carries
    the data fields with any chunk, after its file part too; a repeated chunk (its bytes are
    stored already, so nothing of it is written) still carries its fields."""
    cut = PAST_ONE_READ
    data = os.urandom(cut + PAST_ONE_READ)
    with client(live) as c:
        record, video = created(c, alice.secret)
        first = send_chunk(c, alice.secret, record, video, data, 0, cut - 1, form_after={"name": "Chunk one"})
        assert first.status_code == 200 and first.headers["Upload-Offset"] == str(cut), first.text
        assert _native(live, alice, video)["title"] == "Chunk one"
        again = send_chunk(c, alice.secret, record, video, data, 0, cut - 1, form_after={"template[7]": "seven"})
        assert again.status_code == 200 and again.headers["Upload-Offset"] == str(cut), again.text
        assert _native(live, alice, video)["template_fields"] == {"7": "seven"}
        last = send_chunk(c, alice.secret, record, video, data, cut, len(data) - 1,
                          form_after={"name": "Chunk two", "share[groups][0]": "4"})
        assert last.status_code == 200 and "Upload-Offset" not in last.headers, last.text
        got = c.get(last.json()["url"], params={"access_token": alice.secret})
    assert got.content == data
    native = _native(live, alice, video)
    assert native["title"] == "Chunk two" and native["shared_group_ids"] == [4]
    assert native["template_fields"] == {"7": "seven"}


def test_bad_fields_after_the_file_part_are_a_400_in_valts_body(live: LiveServer, alice: Account) -> None:
    """``share | groups | Array of group IDs``: a share that is not such an array is the
    client's mistake, answered as the document's failure body ``{"error": {"code", "message"}}``
    with a 4xx, not the document's ``500 Internal Server Error``, wherever the field comes."""
    data = os.urandom(PAST_ONE_READ)
    with client(live) as c:
        record, video = created(c, alice.secret)
        r = send_chunk(c, alice.secret, record, video, data, 0, len(data) - 1, form_after={"share": "{not json"})
        assert r.status_code == 400, r.text
        assert r.json() == {"error": {"code": 400, "message": "share is not valid JSON"}}
        r = send_chunk(c, alice.secret, record, video, data, 0, len(data) - 1, form_after={"share[users][0]": " "})
        assert r.status_code == 400 and r.json()["error"]["code"] == 400, r.text
        assert "share.users" in r.json()["error"]["message"]
    assert _native(live, alice, video)["shared_group_ids"] == []


# ---------------------------------------------------------------- a record without a name


def test_create_upload_without_a_name_gets_untitled_record(live: LiveServer, alice: Account) -> None:
    """1) Create Upload Record: the body's ``name | Recording Name``, and the Response table lists
    only ``200 Request Successful``, ``401 Unauthorized`` and ``500 Internal Server Error``: a
    body without a name is no failure of the document's, so the record gets a default name
    (there is no file yet to name it after)."""
    with client(live) as c:
        bodies = ("{}", '{"name": ""}', '{"name": "   "}', '{"name": null}',
                  '{"template": {"1": "Field Value 1"}, "share": {"users": [1, 2, 3]}}')
        for body in bodies:
            r = create_upload(c, alice.secret, body)
            assert r.status_code == 200, (body, r.text)
            record, videos = r.json()["id"], r.json()["videos"]
            assert UUID.match(record) and len(videos) == 1 and UUID.match(videos[0])
            assert _native(live, alice, videos[0])["title"] == "Untitled record"
            assert _record_name(live, alice, record) == "Untitled record"
        assert _native(live, alice, videos[0])["shared_user_ids"] == [1, 2, 3]
        # a name that is not text is still the client's mistake, in VALT's body
        wrong = create_upload(c, alice.secret, '{"name": 5}')
        assert wrong.status_code == 400 and wrong.json() == {"error": {"code": 400, "message": "name must be a string"}}
        # the upload's own "name" field names the record later
        record, video = created(c, alice.secret, "{}")
        r = send_chunk(c, alice.secret, record, video, b"x" * 100, 0, 99, form={"name": "Named at upload"})
        assert r.status_code == 200, r.text
    assert _record_name(live, alice, record) == "Named at upload"


# ---------------------------------------------------------------- the access token


def test_login_is_reelbases_own_and_its_token_is_an_access_token(live: LiveServer, alice: Account) -> None:
    """"Authentication is performed with an access token obtained from the API Authentication
    request." The document does not describe that request, so ``POST /api/v3/login`` is
    Reelbase's own, and its OpenAPI document says so; the token it answers is an
    ``access_token`` as the document uses it: "Must be appended to the request URL"."""
    with client(live) as c:
        login = c.get("/openapi.json").json()["paths"]["/api/v3/login"]["post"]
        assert "Reelbase's own" in login["summary"] and "not in VALT's document" in login["summary"]
        assert '"username"' in login["description"] and "access_token" in login["description"]
        r = c.post("/api/v3/login", json={"username": alice.email, "password": alice.password})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"data"} and set(body["data"]) == {"access_token", "expires_in"}
        assert isinstance(body["data"]["expires_in"], int) and body["data"]["expires_in"] > 0
        made = create_upload(c, body["data"]["access_token"])
        assert made.status_code == 200, made.text
    assert UUID.match(made.json()["id"])
