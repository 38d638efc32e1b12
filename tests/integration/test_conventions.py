"""Conventions every endpoint shares: 404, 405, bad bodies, X-Request-Id."""

import json
import socket
import time

from npt import check, load_fixture
from npt.contract import fake_response

MIB = 1024 * 1024


def test_unknown_path(server):
    for path in ("/v2/nope", "/v2/whoami/extra", "/v2/accounts/1/nope/deeper"):
        r = server.get(path, token=server.token)
        body = check(r)
        assert r.status_code == 404, (path, body)
        assert body == {"message": "Not Found"}


def allow_set(r):
    return {m.strip().upper() for m in r.headers.get("Allow", "").split(",") if m.strip()}


def test_method_not_allowed(server):
    fx = load_fixture("method-not-allowed.http")
    assert fx.status == 405 and "allow" in fx.headers
    for method, path in (("DELETE", "/v2/whoami"), ("POST", "/v2/whoami"),
                         ("PUT", "/v2/accounts"), ("GET", "/v2/oauth/access_token")):
        r = server.request(method, path, token=server.token)
        check(r)
        assert r.status_code == 405, (method, path, r.text)
        allowed = allow_set(r)
        assert method not in allowed, (method, path, r.headers.get("Allow"))
        want = "POST" if path.endswith("access_token") else "GET"
        assert want in allowed, (method, path, r.headers.get("Allow"))


def test_malformed_json_body(server):
    r = server.post("/v2/oauth/access_token", data=b'{"grant_type": "authorization_code", ',
                    headers={"Content-Type": "application/json"})
    body = check(r)
    assert r.status_code == 400, body
    assert isinstance(body.get("message") or body.get("error"), str), body


def test_json_body_that_is_not_an_object(server):
    for raw in (b'[1, 2]', b'"code"', b'null'):
        r = server.post("/v2/oauth/access_token", data=raw,
                        headers={"Content-Type": "application/json"})
        body = check(r)
        assert r.status_code == 400, (raw, body)


def raw_request(port, head, body, timeout=10.0):
    """Send a request over a plain socket, tolerating an early close; returns a Response.

    Uses Expect: 100-continue so that a server that refuses the body by its
    Content-Length can answer before the body is sent.
    """
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        s.settimeout(2.0)
        first = b""
        try:
            first = s.recv(65536)
        except socket.timeout:
            pass  # no interim answer: send the body anyway (RFC 9110 10.1.1)
        data = first
        if not first or first.startswith(b"HTTP/1.1 100"):
            data = first.split(b"\r\n\r\n", 1)[1] if first.startswith(b"HTTP/1.1 100") else b""
            try:
                view = memoryview(body)
                while view:
                    n = s.send(view[:65536])
                    view = view[n:]
            except (BrokenPipeError, ConnectionResetError):
                pass
        s.settimeout(1.0)
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                if b"\r\n\r\n" in data and _complete(data):
                    break
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            if _complete(data):
                break
    return _parse(data)


def _complete(data):
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(rest) >= int(v.strip())
    return False


def _parse(data):
    assert data, "the server closed the connection without any answer"
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip()] = v.strip()
    return fake_response("POST", "http://127.0.0.1/v2/oauth/access_token", status, headers, body)


def test_oversized_body(server):
    size = MIB + MIB // 2
    body = b'{"grant_type": "' + b"x" * (size - 20) + b'"}'
    head = ("POST /v2/oauth/access_token HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n"
            "Expect: 100-continue\r\nConnection: close\r\n\r\n"
            % (server.api_port, len(body))).encode()
    r = raw_request(server.api_port, head, body)
    out = check(r)
    assert r.status_code in (400, 413), (r.status_code, out)
    assert isinstance(out.get("message"), str) and out["message"], out
    # The server is still fine.
    r = server.get("/v2/whoami", token=server.token)
    check(r)
    assert r.status_code == 200


def test_body_just_under_the_limit_is_read(server):
    """A 1 MiB - 1 KiB body is not refused for its size (it is just a bad request)."""
    pad = b" " * (MIB - 1024)
    data = json.dumps({"grant_type": "authorization_code", "client_id": "nope",
                       "client_secret": "x", "code": "x", "redirect_uri": "x",
                       "state": "x"}).encode() + pad
    r = server.post("/v2/oauth/access_token", data=data,
                    headers={"Content-Type": "application/json"})
    body = check(r)
    assert r.status_code in (400, 401), body
    assert "error" in body, body


def test_request_id_echoed(server):
    r = server.get("/v2/whoami", token=server.token, headers={"X-Request-Id": "np-test-4711"})
    check(r)
    assert r.headers["X-Request-Id"] == "np-test-4711"
    r = server.get("/v2/nope", headers={"X-Request-Id": "np-test-4712"})
    check(r)
    assert r.headers["X-Request-Id"] == "np-test-4712"


def test_request_id_generated(server):
    ids = set()
    for _ in range(3):
        r = server.get("/v2/whoami", token=server.token)
        check(r)
        ids.add(r.headers["X-Request-Id"].strip())
    assert len(ids) == 3 and all(ids)


def test_every_error_has_the_promised_headers(server):
    """check() asserts the rate-limit and request-id headers on each of these."""
    for method, path, kw in (("GET", "/v2/whoami", {}), ("GET", "/v2/nope", {}),
                             ("DELETE", "/v2/whoami", {"token": server.token}),
                             ("POST", "/v2/oauth/access_token", {"json": {}})):
        r = server.request(method, path, **kw)
        check(r)
        assert r.status_code >= 400
