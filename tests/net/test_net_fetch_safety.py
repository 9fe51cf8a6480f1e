"""SSRF refusals of fetch_stream, each checked against a real local server
that must never see the refused request."""

import socket

import pytest

from reelbase.net import FetchError, FetchPolicy, UnsafeURLError, fetch_stream

BODY = b"video bytes " * 100


def fetch_all(url, policy):
    with fetch_stream(url, policy=policy) as response:
        return response, b"".join(response.iter_bytes())


def expect_error(code, url, policy):
    with pytest.raises(FetchError) as info:
        with fetch_stream(url, policy=policy) as response:
            b"".join(response.iter_bytes())
    assert info.value.code == code, info.value
    return info.value


def serve_body(server, path="/video.mp4", body=BODY):
    server.routes[path] = lambda h: h.respond(200, body, {"Content-Type": "video/mp4"})


def test_loopback_refused_without_allow_list(server):
    serve_body(server)
    error = expect_error("forbidden_address", server.url("/video.mp4"), FetchPolicy())
    assert isinstance(error, UnsafeURLError)
    assert str(error).startswith("refusing to fetch 127.0.0.1: loopback address")
    assert server.requests == []


def test_loopback_allowed_by_host_and_port(server):
    serve_body(server)
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    response, body = fetch_all(server.url("/video.mp4"), policy)
    assert body == BODY
    assert response.status == 200
    assert response.content_length == len(BODY)
    assert server.requests == [("/video.mp4", f"127.0.0.1:{server.port}")]


def test_allow_entry_for_other_port_does_not_allow(server):
    serve_body(server)
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{server.port + 1}"}))
    expect_error("forbidden_address", server.url("/video.mp4"), policy)
    assert server.requests == []


def test_allow_entry_without_port_allows_any_port(server):
    serve_body(server)
    _, body = fetch_all(server.url("/video.mp4"), FetchPolicy(allow_hosts=frozenset({"127.0.0.1"})))
    assert body == BODY


def test_localhost_name_refused_even_when_its_address_is_allowed(server):
    serve_body(server)
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    error = expect_error("forbidden_address", f"http://localhost:{server.port}/video.mp4", policy)
    assert "localhost: it resolves to 127.0.0.1, a loopback address" in str(error)
    assert server.requests == []


@pytest.mark.parametrize(
    ("host", "code"),
    [("2130706433", "forbidden_address"), ("0x7f000001", "forbidden_address"),
     ("127.1", "forbidden_address"), ("0177.0.0.1", "bad_url"), ("[::ffff:127.0.0.1]", "forbidden_address")],
)
def test_numeric_loopback_spellings_refused(server, host, code):
    serve_body(server)
    expect_error(code, f"http://{host}:{server.port}/video.mp4", FetchPolicy())
    assert server.requests == []


def test_ipv6_loopback_refused(local_server):
    server6 = local_server("::1")
    serve_body(server6)
    expect_error("forbidden_address", server6.url("/video.mp4"), FetchPolicy())
    assert server6.requests == []
    allowed = FetchPolicy(allow_hosts=frozenset({f"[::1]:{server6.port}"}))
    assert fetch_all(server6.url("/video.mp4"), allowed)[1] == BODY


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://127.0.0.1/video.mp4", "bad_scheme"),
        ("file:///etc/passwd", "bad_scheme"),
        ("gopher://127.0.0.1:70/", "bad_scheme"),
        ("example.com/video.mp4", "bad_scheme"),
        ("http:///video.mp4", "bad_url"),
        ("http://exa mple.com/", "bad_url"),
    ],
)
def test_bad_urls_refused(url, code):
    error = expect_error(code, url, FetchPolicy(allow_hosts=frozenset({"127.0.0.1"})))
    assert isinstance(error, UnsafeURLError)


def test_credentials_in_url_refused_and_not_echoed(server):
    serve_body(server)
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    for url in (f"http://user:s3cret@127.0.0.1:{server.port}/video.mp4",
                f"http://user@127.0.0.1:{server.port}/video.mp4"):
        error = expect_error("credentials_in_url", url, policy)
        assert "s3cret" not in str(error)
    assert server.requests == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_other_port_refused_at_the_hop(local_server, status):
    allowed, other = local_server(), local_server()
    serve_body(other, "/secret")
    allowed.routes["/start"] = lambda h: h.redirect(other.url("/secret"), status)
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{allowed.port}"}))
    error = expect_error("forbidden_address", allowed.url("/start"), policy)
    assert "127.0.0.1: loopback address" in str(error)
    assert allowed.paths() == ["/start"]
    assert other.requests == []


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.1/", "http://[::1]:{port}/", "http://169.254.169.254/latest/meta-data/",
     "http://127.0.0.2:{port}/", "http://[64:ff9b::a00:1]/", "http://localhost:{port}/"],
)
def test_redirect_to_forbidden_address_refused(server, target):
    server.routes["/start"] = lambda h: h.redirect(target.format(port=server.port))
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    expect_error("forbidden_address", server.url("/start"), policy)
    assert server.paths() == ["/start"]


def test_redirect_to_bad_scheme_refused(server):
    server.routes["/start"] = lambda h: h.redirect("file:///etc/passwd")
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    expect_error("bad_scheme", server.url("/start"), policy)


def _fake_dns(monkeypatch, name, answers):
    """Make ``name`` resolve to answers[0] on the first lookup, answers[1] on the next..."""
    real = socket.getaddrinfo
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != name:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        ips = answers[min(len(lookups), len(answers)) - 1]
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port)) for ip in ips]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def _route_public_ip_to(monkeypatch, public_ip, server, unreachable=()):
    """Record every TCP connect; send connects to ``public_ip`` to the local
    server; connects to an address in ``unreachable`` are refused."""
    real = socket.create_connection
    connects = []

    def create_connection(address, *args, **kwargs):
        connects.append(address[:2])
        if address[0] in unreachable:
            raise ConnectionRefusedError(111, "Connection refused")
        if address[0] == public_ip:
            address = ("127.0.0.1", server.port)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return connects


def test_dns_rebinding_connects_to_the_checked_address(monkeypatch, server):
    serve_body(server)
    lookups = _fake_dns(monkeypatch, "rebind.example", [["93.184.216.34"], ["127.0.0.1"]])
    connects = _route_public_ip_to(monkeypatch, "93.184.216.34", server)
    response, body = fetch_all(f"http://rebind.example:{server.port}/video.mp4", FetchPolicy())
    assert body == BODY
    assert lookups == ["rebind.example"]  # resolved once, never again
    assert connects == [("93.184.216.34", server.port)]  # the checked address, not 127.0.0.1
    assert server.requests == [("/video.mp4", f"rebind.example:{server.port}")]
    assert response.final_url == f"http://rebind.example:{server.port}/video.mp4"


def test_dns_rebinding_between_hops_refused(monkeypatch, server):
    serve_body(server, "/b")
    server.routes["/a"] = lambda h: h.redirect("/b")
    lookups = _fake_dns(monkeypatch, "rebind.example", [["93.184.216.34"], ["127.0.0.1"]])
    connects = _route_public_ip_to(monkeypatch, "93.184.216.34", server)
    error = expect_error("forbidden_address", f"http://rebind.example:{server.port}/a", FetchPolicy())
    assert "rebind.example: it resolves to 127.0.0.1" in str(error)
    assert lookups == ["rebind.example", "rebind.example"]  # once per hop
    assert connects == [("93.184.216.34", server.port)]
    assert server.paths() == ["/a"]


def test_any_forbidden_answer_refuses(monkeypatch, server):
    serve_body(server)
    _fake_dns(monkeypatch, "mixed.example", [["93.184.216.34", "10.0.0.1"]])
    connects = _route_public_ip_to(monkeypatch, "93.184.216.34", server)
    error = expect_error("forbidden_address", f"http://mixed.example:{server.port}/video.mp4",
                         FetchPolicy())
    assert "resolves to 10.0.0.1, a private address" in str(error)
    assert connects == []
    assert server.requests == []


def test_next_checked_address_tried_when_first_refuses(monkeypatch, server):
    serve_body(server)
    lookups = _fake_dns(monkeypatch, "multi.example", [["8.8.8.8", "93.184.216.34"], ["127.0.0.1"]])
    connects = _route_public_ip_to(monkeypatch, "93.184.216.34", server, unreachable={"8.8.8.8"})
    _, body = fetch_all(f"http://multi.example:{server.port}/video.mp4", FetchPolicy())
    assert body == BODY
    assert lookups == ["multi.example"]
    assert connects == [("8.8.8.8", server.port), ("93.184.216.34", server.port)]


def test_unresolvable_host(monkeypatch):
    _fake_dns(monkeypatch, "nowhere.example", [[]])
    expect_error("resolve_failed", "http://nowhere.example/video.mp4", FetchPolicy())


def test_environment_proxy_ignored(monkeypatch, local_server):
    target, proxy = local_server(), local_server()
    serve_body(target)
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.setenv("http_proxy", proxy.url())
    monkeypatch.setenv("ALL_PROXY", proxy.url())
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{target.port}"}))
    assert fetch_all(target.url("/video.mp4"), policy)[1] == BODY
    assert proxy.requests == []
    assert target.paths() == ["/video.mp4"]
