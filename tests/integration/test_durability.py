"""A crash loses nothing that a 2xx acknowledged (DESIGN.md, invariants).

Several threads run the OAuth code grant + token exchange in a loop; the
server gets SIGKILL after about 2 s; it is restarted on the same data dir and
every token whose 200 reached a client must authenticate.
"""

import threading
import time

import requests

from npt import check
from npt import oauth
from npt.oauth import REDIRECT_URI

THREADS = 4
RUN_SECONDS = 2.0
MAX_ITERATIONS = 2000


def test_acknowledged_tokens_survive_kill(server):
    app = server.create_oauth_app("Durable", REDIRECT_URI)
    email, password = server.admin["email"], server.admin["password"]
    account_id = server.account_id

    lock = threading.Lock()
    killed = threading.Event()
    tokens = []
    failures = []  # non-2xx answers before the kill: bugs, not crash effects
    iterations = [0]

    def worker():
        while not killed.is_set():
            with lock:
                if iterations[0] >= MAX_ITERATIONS:
                    return
                iterations[0] += 1
            try:
                r = oauth.authorize(server, app, email, password, account_id, state="s")
                if r.status_code != 302:
                    if not killed.is_set():
                        with lock:
                            failures.append(("authorize", r.status_code, r.text[:300]))
                    return
                code = oauth.redirect_params(r)["code"]
                r = oauth.exchange(server, app, code, state="s")
            except (requests.RequestException, AssertionError) as e:
                if not killed.is_set():
                    with lock:
                        failures.append(("exception", repr(e)[:300]))
                return
            if r.status_code == 200:
                tok = r.json()["access_token"]
                with lock:
                    tokens.append(tok)
            elif not killed.is_set():
                with lock:
                    failures.append(("token", r.status_code, r.text[:300]))
                return

    # Server.request uses one requests.Session per thread.
    threads = []
    for i in range(THREADS):
        t = threading.Thread(target=worker, name="durability-%d" % i, daemon=True)
        threads.append(t)
        t.start()
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.05)
    killed.set()
    server.kill()
    for t in threads:
        t.join(timeout=15)
    assert not any(t.is_alive() for t in threads), "a worker did not stop"

    assert not failures, failures[:5]
    acked = list(tokens)
    assert acked, "no token was acknowledged in %.1f s: nothing was tested" % RUN_SECONDS

    server.start()  # same data dir, fresh ports and log; stopped and checked at teardown
    lost = []
    for tok in acked:
        r = server.get("/v2/whoami", token=tok)
        body = check(r)
        if r.status_code != 200:
            lost.append(tok[:6] + "...")
        else:
            assert body["data"]["account"]["id"] == account_id
    assert not lost, "%d of %d acknowledged tokens lost after kill -9: %s" % (
        len(lost), len(acked), lost[:10])

