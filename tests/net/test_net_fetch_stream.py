"""fetch_stream behaviour against local servers: bodies, redirects, limits,
file names, encodings, timeouts, TLS."""

import gzip
import time
import zlib

import pytest

from reelbase.net import FetchError, FetchLimitError, FetchPolicy, UpstreamError, fetch_stream

BODY = bytes(range(256)) * 4096  # 1 MiB


def policy_for(*servers, **limits):
    return FetchPolicy(allow_hosts=frozenset(f"127.0.0.1:{s.port}" for s in servers), **limits)


def expect_error(code, url, policy, **kwargs):
    received = []
    with pytest.raises(FetchError) as info:
        with fetch_stream(url, policy=policy, **kwargs) as response:
            for chunk in response.iter_bytes():
                received.append(chunk)
    assert info.value.code == code, info.value
    return info.value, b"".join(received)


def test_streams_body_in_chunks(server):
    server.routes["/v.mp4"] = lambda h: h.respond(200, BODY, {"Content-Type": "video/mp4"})
    with fetch_stream(server.url("/v.mp4"), policy=policy_for(server), chunk_size=100_000) as response:
        chunks = list(response.iter_bytes())
        assert response.headers["content-type"] == "video/mp4"
        with pytest.raises(RuntimeError):
            response.iter_bytes()
    assert b"".join(chunks) == BODY
    assert [len(c) for c in chunks[:-1]] == [100_000] * (len(chunks) - 1)
    assert response.content_length == len(BODY)
    assert response.filename == "v.mp4"


def test_follows_relative_and_absolute_redirects(local_server):
    first, second = local_server(), local_server()
    first.routes["/a"] = lambda h: h.redirect("b?x=1", 301)
    first.routes["/b"] = lambda h: h.redirect(second.url("/dir/c"), 307)
    second.routes["/dir/c"] = lambda h: h.redirect("../final%20name.mkv#frag", 308)
    second.routes["/final%20name.mkv"] = lambda h: h.respond(200, b"ok")
    with fetch_stream(first.url("/a"), policy=policy_for(first, second)) as response:
        assert b"".join(response.iter_bytes()) == b"ok"
    assert response.final_url == second.url("/final%20name.mkv")
    assert response.filename == "final name.mkv"
    assert first.paths() == ["/a", "/b?x=1"]
    assert second.paths() == ["/dir/c", "/final%20name.mkv"]


def test_redirect_loop_stops(server):
    server.routes["/loop"] = lambda h: h.redirect("/loop")
    error, _ = expect_error("too_many_redirects", server.url("/loop"), policy_for(server, max_redirects=3))
    assert isinstance(error, FetchLimitError)
    assert server.paths() == ["/loop"] * 4  # the first request and three redirects


def test_exactly_max_redirects_is_fine(server):
    for i in range(5):
        server.routes[f"/{i}"] = lambda h, i=i: h.redirect(f"/{i + 1}")
    server.routes["/5"] = lambda h: h.respond(200, b"end")
    with fetch_stream(server.url("/0"), policy=policy_for(server, max_redirects=5)) as response:
        assert b"".join(response.iter_bytes()) == b"end"


def test_redirect_without_location(server):
    server.routes["/r"] = lambda h: h.respond(302, b"")
    error, _ = expect_error("http_status", server.url("/r"), policy_for(server))
    assert error.status == 302


@pytest.mark.parametrize("status", [403, 404, 500])
def test_non_2xx_final_status(server, status):
    server.routes["/x"] = lambda h: h.respond(status, b"nope")
    error, _ = expect_error("http_status", server.url("/x"), policy_for(server))
    assert isinstance(error, UpstreamError)
    assert error.status == status and str(status) in str(error)


def test_content_length_over_limit_refused_before_body(server):
    def headers_only(h):
        h.send_response(200)
        h.send_header("Content-Length", str(10 * 1024 * 1024))
        h.end_headers()
        h.wfile.flush()
        h.server.stop.wait(5)  # the body never comes: reading it would time out

    server.routes["/big"] = headers_only
    started = time.monotonic()
    error, received = expect_error("too_large", server.url("/big"),
                                   policy_for(server, max_bytes=1024 * 1024, read_timeout=3))
    assert time.monotonic() - started < 1.5
    assert received == b""
    assert "10485760 bytes" in str(error)


def test_chunked_body_over_limit_aborted_mid_stream(server):
    sent = []

    def endless(h):
        h.start_chunked()
        for _ in range(2000):  # 128 MiB at most; the client hangs up long before
            h.send_chunk(b"x" * 65536)
            sent.append(1)
        h.end_chunked()

    server.routes["/stream"] = endless
    limit = 1_000_000
    _, received = expect_error("too_large", server.url("/stream"),
                               policy_for(server, max_bytes=limit), chunk_size=64 * 1024)
    assert 0 < len(received) <= limit
    assert len(sent) < 2000


def test_body_of_exactly_max_bytes_is_fine(server):
    server.routes["/x"] = lambda h: h.respond(200, BODY)
    with fetch_stream(server.url("/x"), policy=policy_for(server, max_bytes=len(BODY))) as response:
        assert b"".join(response.iter_bytes()) == BODY


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../holiday.mp4"', "holiday.mp4"),
        ("attachment; filename=\"fallback.mp4\"; filename*=UTF-8''%C3%89t%C3%A9%202024.mp4", "Été 2024.mp4"),
        (None, "from%20url.mov"),
    ],
)
def test_filename(server, disposition, expected):
    headers = {"Content-Disposition": disposition} if disposition else {}
    server.routes["/files/from%20url.mov"] = lambda h: h.respond(200, b"data", headers)
    with fetch_stream(server.url("/files/from%20url.mov?token=1"), policy=policy_for(server)) as response:
        pass
    assert response.filename == expected.replace("%20", " ")


def test_no_filename_when_url_has_none(server):
    server.routes["/"] = lambda h: h.respond(200, b"data")
    with fetch_stream(server.url("/"), policy=policy_for(server)) as response:
        assert response.filename is None


def test_gzip_body_is_decoded(server):
    server.routes["/gz"] = lambda h: h.respond(200, gzip.compress(BODY), {"Content-Encoding": "gzip"})
    with fetch_stream(server.url("/gz"), policy=policy_for(server)) as response:
        assert response.content_length is None  # the header counts compressed bytes
        assert b"".join(response.iter_bytes()) == BODY


@pytest.mark.parametrize("wbits", [15, -15], ids=["zlib", "raw"])
def test_deflate_body_is_decoded(server, wbits):
    compressor = zlib.compressobj(wbits=wbits)
    data = compressor.compress(BODY) + compressor.flush()
    server.routes["/d"] = lambda h: h.respond(200, data, {"Content-Encoding": "deflate"})
    with fetch_stream(server.url("/d"), policy=policy_for(server)) as response:
        assert b"".join(response.iter_bytes()) == BODY


def test_multi_member_gzip_is_decoded(server):
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    server.routes["/gz"] = lambda h: h.respond(200, data, {"Content-Encoding": "gzip"})
    with fetch_stream(server.url("/gz"), policy=policy_for(server)) as response:
        assert b"".join(response.iter_bytes()) == b"first second"


def test_corrupt_gzip(server):
    server.routes["/gz"] = lambda h: h.respond(200, b"not gzip at all", {"Content-Encoding": "gzip"})
    expect_error("bad_response", server.url("/gz"), policy_for(server))


def test_gzip_bomb_stops_at_the_limit(server):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=6)  # ~64 KiB
    server.routes["/bomb"] = lambda h: h.respond(200, bomb, {"Content-Encoding": "gzip"})
    _, received = expect_error("too_large", server.url("/bomb"),
                               policy_for(server, max_bytes=2 * 1024 * 1024), chunk_size=65536)
    assert len(received) <= 2 * 1024 * 1024


def test_unsupported_encoding(server):
    server.routes["/br"] = lambda h: h.respond(200, b"????", {"Content-Encoding": "br"})
    expect_error("unsupported_encoding", server.url("/br"), policy_for(server))


def test_truncated_body(server):
    def short(h):
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b"only a little")

    server.routes["/short"] = short
    _, received = expect_error("bad_response", server.url("/short"), policy_for(server))
    assert received == b""  # the partial chunk is never handed out


def test_slow_server_read_timeout(server):
    server.routes["/slow"] = lambda h: (h.server.stop.wait(5), h.respond(200, b"late"))
    started = time.monotonic()
    error, _ = expect_error("timeout", server.url("/slow"), policy_for(server, read_timeout=0.5))
    assert 0.4 < time.monotonic() - started < 2
    assert isinstance(error, FetchLimitError)


def test_dribbling_server_total_timeout(server):
    def dribble(h):
        h.start_chunked()
        for _ in range(200):  # 10 s at most
            if h.server.stop.wait(0.05):
                return
            h.send_chunk(b"x")
        h.end_chunked()

    server.routes["/dribble"] = dribble
    started = time.monotonic()
    _, received = expect_error("timeout", server.url("/dribble"),
                               policy_for(server, read_timeout=5, total_timeout_s=0.8))
    assert 0.7 < time.monotonic() - started < 2
    assert received == b""  # chunk_size not reached


def test_connect_failed(closed_port):
    error, _ = expect_error("connect_failed", f"http://127.0.0.1:{closed_port}/x",
                            FetchPolicy(allow_hosts=frozenset({"127.0.0.1"})))
    assert f"port {closed_port}" in str(error)


def test_https_verifies_the_name_and_sends_sni(local_server, cert_authority, tmp_path):
    server = local_server(tls=cert_authority.server_context("localhost", tmp_path))
    server.routes["/v.mp4"] = lambda h: h.respond(200, BODY)
    policy = FetchPolicy(allow_hosts=frozenset({f"localhost:{server.port}"}),
                         ssl_context=cert_authority.client_context())
    with fetch_stream(f"https://localhost:{server.port}/v.mp4", policy=policy) as response:
        assert b"".join(response.iter_bytes()) == BODY
    assert cert_authority.sni_seen == ["localhost"]
    assert server.requests == [("/v.mp4", f"localhost:{server.port}")]


def test_https_wrong_certificate_refused(local_server, cert_authority, tmp_path):
    server = local_server(tls=cert_authority.server_context("other.example", tmp_path))
    server.routes["/v.mp4"] = lambda h: h.respond(200, BODY)
    policy = FetchPolicy(allow_hosts=frozenset({f"localhost:{server.port}"}),
                         ssl_context=cert_authority.client_context())
    error, _ = expect_error("connect_failed", f"https://localhost:{server.port}/v.mp4", policy)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert server.requests == []


def test_https_untrusted_ca_refused(local_server, cert_authority, tmp_path):
    server = local_server(tls=cert_authority.server_context("localhost", tmp_path))
    server.routes["/v.mp4"] = lambda h: h.respond(200, BODY)
    policy = FetchPolicy(allow_hosts=frozenset({f"localhost:{server.port}"}))  # system trust store
    expect_error("connect_failed", f"https://localhost:{server.port}/v.mp4", policy)
    assert server.requests == []


def test_policy_validation():
    with pytest.raises(ValueError):
        FetchPolicy(total_timeout_s=0)
    with pytest.raises(ValueError):
        FetchPolicy(allow_hosts=frozenset({"bad entry"}))
    assert FetchPolicy(allow_hosts=frozenset({"LOCALHOST:80"})).allow_hosts == {"localhost:80"}
