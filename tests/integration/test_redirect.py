"""The redirect role: URL records answered with 301s (docs/zones.md, "URL redirects").

One server (every default role, the redirect role on a free port) serves the module. URL
records are made through the API; requests go to the redirect port over raw HTTP/1.1 with
the Host header a browser would send, so the request target reaches the server as
written.
"""

import http.client
import os
import signal
import socket
import subprocess
import time

import pytest

from npt import paths
from npt.server import Server, binary_exists, free_port, sanitizer_report, tail


def start_server(tmp_path_factory, name):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = Server(tmp_path_factory.mktemp(name), binary=binary)
    s.bootstrap()
    s.start()
    return s


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start_server(tmp_path_factory, "redirect")
    yield s
    s.stop(check=True)


class Api:
    def __init__(self, server):
        self.s = server
        self.base = "/v2/%d" % server.account_id

    def call(self, method, path, status, **kw):
        r = self.s.request(method, self.base + path, token=self.s.token, **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def zone(self, name):
        self.call("POST", "/domains", 201, json={"name": name})
        return name

    def record(self, zone, name, content, rtype="URL", **extra):
        body = dict(name=name, type=rtype, content=content, **extra)
        return self.call("POST", "/zones/%s/records" % zone, 201, json=body)["data"]


_seq = [0]


def uniq(tag):
    _seq[0] += 1
    return "%s%d-%d.test" % (tag, os.getpid() % 10000, _seq[0])


@pytest.fixture(scope="module")
def api(srv):
    return Api(srv)


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)


def fetch(srv, target, host, method="GET", body=None):
    """One request on a fresh connection; host=None sends no Host header."""
    c = http.client.HTTPConnection("127.0.0.1", srv.redirect_port, timeout=10)
    try:
        c.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            c.putheader("Host", host)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return Resp(r.status, r.headers, r.read())
    finally:
        c.close()


def location(srv, host, target="/"):
    r = fetch(srv, target, host)
    assert r.status == 301, (host, target, r.status, r.body)
    return r.header("Location")


# ------------------------------------------------------------------ the redirect rule

def test_target_with_path_keeps_it_and_takes_the_query(srv, api):
    z = api.zone(uniq("path"))
    api.record(z, "go", "https://example.net/landing")
    r = fetch(srv, "/some/path?x=1", "go." + z)
    assert r.status == 301
    assert r.header("Location") == "https://example.net/landing?x=1"
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Cache-Control") == "public, max-age=3600"
    assert b"https://example.net/landing?x=1" in r.body
    assert r.body.lstrip().lower().startswith(b"<!doctype html>")
    assert location(srv, "go." + z, "/") == "https://example.net/landing"
    assert location(srv, "go." + z, "/other") == "https://example.net/landing"


def test_target_without_path_takes_the_request_path_and_query(srv, api):
    z = api.zone(uniq("nopath"))
    api.record(z, "bare", "https://example.org")
    api.record(z, "slash", "https://example.org/")
    for name in ("bare", "slash"):
        host = "%s.%s" % (name, z)
        assert location(srv, host, "/some/path?x=1") == "https://example.org/some/path?x=1"
        assert location(srv, host, "/") == "https://example.org/"
        assert location(srv, host, "/?a=b&c=d") == "https://example.org/?a=b&c=d"


def test_target_query_wins_and_fragment_stays_last(srv, api):
    z = api.zone(uniq("query"))
    api.record(z, "q", "https://example.net/p?ref=np")
    api.record(z, "rootq", "https://example.net?ref=np")
    api.record(z, "frag", "https://example.net/p#top")
    assert location(srv, "q." + z, "/a?x=1") == "https://example.net/p?ref=np"
    assert location(srv, "rootq." + z, "/a?x=1") == "https://example.net/a?ref=np"
    assert location(srv, "frag." + z, "/a?x=1") == "https://example.net/p?x=1#top"
    assert location(srv, "frag." + z, "/a") == "https://example.net/p#top"


def test_scheme_less_target_means_http(srv, api):
    z = api.zone(uniq("noscheme"))
    api.record(z, "docs", "example.com/docs")
    api.record(z, "home", "example.com")
    api.record(z, "port", "example.com:8443")
    api.record(z, "upper", "HTTPS://Example.com/X")
    assert location(srv, "docs." + z, "/a?b=c") == "http://example.com/docs?b=c"
    assert location(srv, "home." + z, "/a?b=c") == "http://example.com/a?b=c"
    assert location(srv, "port." + z, "/a") == "http://example.com:8443/a"
    assert location(srv, "upper." + z, "/") == "https://Example.com/X"


def test_request_path_passes_through_unchanged(srv, api):
    z = api.zone(uniq("raw"))
    api.record(z, "r", "https://example.org")
    # libmicrohttpd would unescape these; the Location carries them as the client sent them
    assert (location(srv, "r." + z, "/a%2Fb/c%20d?q=a+b%26c&e=%3D")
            == "https://example.org/a%2Fb/c%20d?q=a+b%26c&e=%3D")
    # bytes a URL may not hold are percent-encoded, never passed on raw
    assert location(srv, "r." + z, '/x"y<z>') == "https://example.org/x%22y%3Cz%3E"


def test_apex_and_host_forms(srv, api):
    z = api.zone(uniq("apex"))
    api.record(z, "", "https://example.net/apex")
    api.record(z, "www", "https://example.net/www")
    assert location(srv, z) == "https://example.net/apex"
    for host in ("WWW." + z.upper(), "www.%s." % z, "www.%s:8081" % z, "www.%s.:80" % z):
        assert location(srv, host) == "https://example.net/www", host


def test_absolute_form_target_names_the_host(srv, api):
    z = api.zone(uniq("abs"))
    api.record(z, "go", "https://example.org")
    # RFC 9112 3.2.2: the absolute form's authority wins over the Host header
    r = fetch(srv, "http://go.%s/abs?y=2" % z, "unknown.invalid")
    assert r.status == 301
    assert r.header("Location") == "https://example.org/abs?y=2"


# ------------------------------------------------------------------ what is not redirected

def test_unknown_hosts_get_a_404_page(srv, api):
    z = api.zone(uniq("unknown"))
    api.record(z, "www", "192.0.2.1", rtype="A")
    api.record(z, "go", "https://example.net/")
    for host in ("nothing.invalid", "nothing." + z, "www." + z, z, "[::1]:8081", "127.0.0.1",
                 "sub.go." + z):
        r = fetch(srv, "/x?y=1", host)
        assert r.status == 404, (host, r.status, r.body)
        assert r.header("Location") is None
        assert r.header("Content-Type") == "text/html; charset=utf-8"
        assert r.header("Cache-Control") == "no-cache"
        assert b"Not Found" in r.body
    body = fetch(srv, "/", "nothing." + z).body.decode()
    assert ("nothing." + z) in body


def test_only_get_and_head(srv, api):
    z = api.zone(uniq("methods"))
    api.record(z, "go", "https://example.net/landing")
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = fetch(srv, "/x", "go." + z, method=method, body=b"a=1")
        assert r.status == 405, method
        assert r.header("Allow") == "GET, HEAD"
        assert r.header("Location") is None
    r = fetch(srv, "/x?y=1", "go." + z, method="HEAD")
    assert r.status == 301
    assert r.header("Location") == "https://example.net/landing?y=1"
    assert r.body == b""
    assert int(r.header("Content-Length")) > 0  # what a GET would have carried
    r = fetch(srv, "/x", "nothing." + z, method="HEAD")
    assert r.status == 404 and r.body == b""


def raw_exchange(srv, data):
    with socket.create_connection(("127.0.0.1", srv.redirect_port), timeout=10) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_missing_or_bad_host_is_400(srv):
    reply = raw_exchange(srv, b"GET /x HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 400") or reply.startswith(b"HTTP/1.1 400"), reply[:80]
    for host in ("bad host", "a..b.test", "x" * 64 + ".test", "go.test:http", "[::1"):
        r = fetch(srv, "/", host)
        assert r.status == 400, host


def test_keep_alive(srv, api):
    z = api.zone(uniq("keep"))
    api.record(z, "go", "https://example.org")
    c = http.client.HTTPConnection("127.0.0.1", srv.redirect_port, timeout=10)
    try:
        for i in range(3):
            c.request("GET", "/n%d" % i, headers={"Host": "go." + z})
            r = c.getresponse()
            r.read()
            assert r.status == 301
            assert r.getheader("Location") == "https://example.org/n%d" % i
    finally:
        c.close()


# ------------------------------------------------------------------ wildcards

def test_wildcard_matches_like_dns(srv, api):
    z = api.zone(uniq("wild"))
    api.record(z, "*", "https://wild.example")
    api.record(z, "exact", "https://exact.example")
    api.record(z, "www", "192.0.2.1", rtype="A")
    api.record(z, "x.ent", "192.0.2.2", rtype="A")
    api.record(z, "*.sub", "https://sub.example/fixed")
    # the wildcard answers names that do not exist, one label deep or more
    assert location(srv, "a." + z, "/p?q=1") == "https://wild.example/p?q=1"
    assert location(srv, "a.b.c." + z) == "https://wild.example/"
    # an exact URL record wins
    assert location(srv, "exact." + z) == "https://exact.example/"
    # a name that exists with other records is not the wildcard's (RFC 4592 2.2.1)
    assert fetch(srv, "/", "www." + z).status == 404
    # an empty non-terminal exists too: neither it nor names below it take "*"
    assert fetch(srv, "/", "ent." + z).status == 404
    assert fetch(srv, "/", "y.ent." + z).status == 404
    # below x.ent (which exists) the closest encloser is x.ent, which has no "*"
    assert fetch(srv, "/", "deep.x.ent." + z).status == 404
    # the closest encloser's wildcard, not the apex's
    assert location(srv, "q.sub." + z, "/a") == "https://sub.example/fixed"
    assert location(srv, "r.q.sub." + z) == "https://sub.example/fixed"
    assert fetch(srv, "/", "sub." + z).status == 404
    # the apex itself exists (SOA, NS): no wildcard for it
    assert fetch(srv, "/", z).status == 404


def test_longest_zone_wins(srv, api):
    parent = api.zone(uniq("parent"))
    child = api.zone("kid." + parent)
    api.record(parent, "*", "https://parent.example")
    api.record(child, "go", "https://child.example")
    assert location(srv, "go." + child) == "https://child.example/"
    # the child zone answers for its names: its missing name is not the parent's wildcard
    assert fetch(srv, "/", "other." + child).status == 404
    assert location(srv, "other." + parent) == "https://parent.example/"


# ------------------------------------------------------------------ changes take effect

def test_record_changes_take_effect(srv, api):
    z = api.zone(uniq("change"))
    rec = api.record(z, "go", "https://before.example/landing")
    host = "go." + z
    assert location(srv, host, "/a") == "https://before.example/landing"
    api.call("PATCH", "/zones/%s/records/%d" % (z, rec["id"]), 200,
             json={"content": "https://after.example", "ttl": 120})
    r = fetch(srv, "/a?b=1", host)
    assert r.status == 301
    assert r.header("Location") == "https://after.example/a?b=1"
    assert r.header("Cache-Control") == "public, max-age=120"
    api.call("DELETE", "/zones/%s/records/%d" % (z, rec["id"]), 204)
    assert fetch(srv, "/a", host).status == 404


def test_deactivated_zone_is_not_followed(srv, api):
    z = api.zone(uniq("inactive"))
    api.record(z, "go", "https://example.net/landing")
    assert location(srv, "go." + z) == "https://example.net/landing"
    api.call("DELETE", "/zones/%s/activation" % z, 200)
    r = fetch(srv, "/", "go." + z)
    assert r.status == 404
    assert r.header("Location") is None
    api.call("PUT", "/zones/%s/activation" % z, 200)
    assert location(srv, "go." + z) == "https://example.net/landing"


def test_one_log_line_per_request(srv, api):
    z = api.zone(uniq("log"))
    api.record(z, "go", "https://example.net/landing")
    fetch(srv, "/logged/path?x=1", "go." + z)
    fetch(srv, "/", "nothing." + z)
    deadline = time.monotonic() + 5
    want = ("redirect, GET go.%s/logged/path?x=1 301 " % z,
            "-> https://example.net/landing?x=1", "redirect, GET nothing.%s/ 404 " % z)
    while time.monotonic() < deadline:
        log = srv.log_text()
        if all(w in log for w in want):
            break
        time.sleep(0.05)
    log = srv.log_text()
    for w in want:
        assert w in log, w


# ------------------------------------------------------------------ the role alone

def test_redirect_role_alone_follows_another_process(srv, api, tmp_path):
    """`serve --roles redirect` on the same store: changes made through the API of the
    other process take effect; SIGTERM ends it cleanly."""
    z = api.zone(uniq("alone"))
    rec = api.record(z, "go", "https://one.example")
    port = free_port()
    log_path = tmp_path / "redirect-only.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([srv.binary, "serve", "--roles", "redirect", "--data",
                                 srv.data_dir, "--redirect", "127.0.0.1:%d" % port],
                                cwd=srv.workdir, env=srv.env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        alone = type("Alone", (), {"redirect_port": port})()
        deadline = time.monotonic() + 10
        while True:
            try:
                r = fetch(alone, "/p", "go." + z)
                break
            except OSError:
                assert proc.poll() is None, tail(str(log_path))
                assert time.monotonic() < deadline, tail(str(log_path))
                time.sleep(0.05)
        assert r.status == 301 and r.header("Location") == "https://one.example/p"
        api.call("PATCH", "/zones/%s/records/%d" % (z, rec["id"]), 200,
                 json={"content": "https://two.example"})
        assert fetch(alone, "/p", "go." + z).header("Location") == "https://two.example/p"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
    text = tail(str(log_path), 100000)
    assert rc == 0, text
    assert sanitizer_report(text) is None, text
    assert "redirect, stopped" in text


def test_unknown_role_is_refused(srv):
    p = subprocess.run([srv.binary, "serve", "--roles", "redirect,nope", "--data",
                        srv.data_dir], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert "redirect" in p.stderr and "nope" in p.stderr
