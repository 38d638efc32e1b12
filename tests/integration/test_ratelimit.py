"""Rate limiting: X-RateLimit-* headers, 429 "quota exceeded", window reset.

The server runs with --rate-limit 5 --rate-limit-unauth 3 --rate-limit-window 2
(5 authenticated and 3 unauthenticated requests per 2 s window). A burst that
happens to straddle a window boundary is retried in the next window (at most
3 times).
"""

import time

import pytest

from npt import check

LIMITS = {"--rate-limit": "5", "--rate-limit-unauth": "3", "--rate-limit-window": "2"}
WINDOW = 2
ATTEMPTS = 3


def hdr(r, name):
    return int(r.headers[name])


def sleep_past(reset):
    """Sleep until 1 s after the unix time `reset`, at most WINDOW + 2 s."""
    delay = reset + 1.0 - time.time()
    assert delay <= WINDOW + 2, "X-RateLimit-Reset %d is too far ahead" % reset
    if delay > 0:
        time.sleep(delay)


def burst(server, paths, **kw):
    """GET each path in a row, all in one window; returns (t0, responses)."""
    n = len(paths)
    last = None
    for _ in range(ATTEMPTS):
        t0 = time.time()
        rs = [server.get(p, **kw) for p in paths]
        for r in rs:
            check(r)
        resets = {r.headers["X-RateLimit-Reset"] for r in rs}
        if len(resets) == 1:
            return t0, rs
        last = [(r.status_code, dict(r.headers)) for r in rs]
        sleep_past(max(int(x) for x in resets))
    pytest.fail("every burst of %d straddled a window boundary (X-RateLimit-Reset changed "
                "within it): %r" % (n, last))


@pytest.fixture
def limited(server_factory):
    return server_factory(serve_args=LIMITS)


def test_authenticated_limit(limited):
    # The 7th request goes to another endpoint: the quota is not per path.
    t0, rs = burst(limited, ["/v2/whoami"] * 6 + ["/v2/accounts"], token=limited.token)
    assert [r.status_code for r in rs] == [200] * 5 + [429, 429]
    assert [hdr(r, "X-RateLimit-Limit") for r in rs] == [5] * 7
    assert [hdr(r, "X-RateLimit-Remaining") for r in rs] == [4, 3, 2, 1, 0, 0, 0]
    assert rs[5].json() == {"message": "quota exceeded"}
    assert rs[6].json() == {"message": "quota exceeded"}
    reset = hdr(rs[0], "X-RateLimit-Reset")
    assert int(t0) <= reset <= t0 + WINDOW + 1, (t0, reset)

    # A new window gives the full quota back.
    sleep_past(reset)
    r = limited.get("/v2/whoami", token=limited.token)
    check(r)
    assert r.status_code == 200
    assert hdr(r, "X-RateLimit-Limit") == 5 and hdr(r, "X-RateLimit-Remaining") == 4
    assert hdr(r, "X-RateLimit-Reset") > reset


def test_unauthenticated_limit(limited):
    # The readiness probe was an unauthenticated request: start in a fresh window.
    probe = limited.ready_response
    check(probe)
    sleep_past(hdr(probe, "X-RateLimit-Reset"))

    t0, rs = burst(limited, ["/v2/whoami"] * 4)
    assert [r.status_code for r in rs] == [401, 401, 401, 429]
    assert [hdr(r, "X-RateLimit-Limit") for r in rs] == [3] * 4
    assert [hdr(r, "X-RateLimit-Remaining") for r in rs] == [2, 1, 0, 0]
    assert rs[3].json() == {"message": "quota exceeded"}
    reset = hdr(rs[0], "X-RateLimit-Reset")
    assert int(t0) <= reset <= t0 + WINDOW + 1, (t0, reset)

    # The authenticated quota is separate from the client address's.
    r = limited.get("/v2/whoami", token=limited.token)
    check(r)
    assert r.status_code == 200 and hdr(r, "X-RateLimit-Limit") == 5

    sleep_past(reset)
    r = limited.get("/v2/whoami")
    check(r)
    assert r.status_code == 401 and hdr(r, "X-RateLimit-Remaining") == 2
