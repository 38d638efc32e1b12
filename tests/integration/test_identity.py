"""whoami, listAccounts and authentication (tokens, Basic, 2FA)."""

import re
import time

import pytest

from npt import check, compare_fixture
from npt.totp import totp, wrong_totp

AUTH_FAILED = {"message": "Authentication failed"}


def whoami(server, **kw):
    r = server.get("/v2/whoami", **kw)
    return r, check(r)


def add_user(server, email, role="admin", account_id=None, otp=False):
    """User + membership + user token, via the admin CLI (the server keeps running)."""
    account_id = server.account_id if account_id is None else account_id
    user = server.create_user(email, otp=otp)
    assert user["email"] == email and isinstance(user["id"], int)
    member = server.add_member(account_id, email, role)
    assert (member["account_id"], member["user_id"], member["role"]) == \
        (account_id, user["id"], role)
    tok = server.create_token(user=email, name="t-" + email)
    assert tok["kind"] == "user" and tok["token"]
    user["token"] = tok["token"]
    user["token_id"] = tok["id"]
    return user


# ------------------------------------------------------------------- whoami

def test_bootstrap_output(server):
    boot = server.boot
    assert boot["user"]["id"] == 1 and boot["user"]["email"] == "admin@localhost"
    assert boot["user"]["password"]
    assert boot["account"]["id"] == 1 and boot["account"]["name"] == "Default"
    compare_fixture({"data": [boot["account"]]}, "listAccounts/success-account.http")


def test_whoami_account_token(server):
    r, body = whoami(server, token=server.token)
    assert r.status_code == 200
    compare_fixture(body, "whoami/success-account.http")
    assert body["data"]["user"] is None
    assert body["data"]["account"] == server.account


def test_whoami_user_token(server):
    alice = add_user(server, "alice@example.com")
    r, body = whoami(server, token=alice["token"])
    assert r.status_code == 200
    compare_fixture(body, "whoami/success-user.http")
    assert body["data"]["account"] is None
    assert body["data"]["user"]["id"] == alice["id"]
    assert body["data"]["user"]["email"] == "alice@example.com"


def test_whoami_basic_auth_is_the_user(server):
    alice = add_user(server, "alice@example.com")
    _, by_token = whoami(server, token=alice["token"])
    r, body = whoami(server, auth=("alice@example.com", alice["password"]))
    assert r.status_code == 200
    compare_fixture(body, "whoami/success-user.http")
    assert body == by_token


def test_whoami_basic_auth_bootstrap_admin(server):
    r, body = whoami(server, auth=(server.admin["email"], server.admin["password"]))
    assert r.status_code == 200
    assert body["data"]["user"]["id"] == server.admin["id"]
    assert body["data"]["account"] is None


def test_new_account_token_is_that_account(server):
    other = server.create_account("Other", "other@example.com")
    assert other["id"] != server.account_id
    assert (other["name"], other["email"]) == ("Other", "other@example.com")
    tok = server.create_token(account=other["id"], name="other")
    assert tok["kind"] == "account"
    _, body = whoami(server, token=tok["token"])
    assert body["data"]["account"] == other


# ------------------------------------------------------------- listAccounts

def list_accounts(server, **kw):
    r = server.get("/v2/accounts", **kw)
    body = check(r)
    assert r.status_code == 200, body
    return body


def test_list_accounts_account_token(server):
    server.create_account("Other", "other@example.com")
    body = list_accounts(server, token=server.token)
    compare_fixture(body, "listAccounts/success-account.http")
    compare_fixture(body, "accounts/success-account.http")
    assert body["data"] == [server.account]


def test_list_accounts_user_token(server):
    b = server.create_account("Bravo", "b@example.com")
    server.create_account("Charlie", "c@example.com")  # alice is not a member
    d = server.create_account("Delta", "d@example.com")
    alice = add_user(server, "alice@example.com")
    server.add_member(d["id"], "alice@example.com", "zone-operator", zones=["example.com"])
    server.add_member(b["id"], "alice@example.com", "owner")
    body = list_accounts(server, token=alice["token"])
    compare_fixture(body, "listAccounts/success-user.http")
    assert body["data"] == [server.account, b, d]  # ordered by id
    assert list_accounts(server, auth=("alice@example.com", alice["password"])) == body


def test_list_accounts_user_without_membership(server):
    server.create_user("loner@example.com")
    tok = server.create_token(user="loner@example.com")
    assert list_accounts(server, token=tok["token"])["data"] == []


# ------------------------------------------------------ authentication fails

def assert_auth_failed(r):
    body = check(r)
    assert r.status_code == 401, body
    assert body == AUTH_FAILED


@pytest.mark.parametrize("how", ["none", "wrong-token", "empty-bearer", "wrong-password",
                                 "unknown-user", "garbage-basic", "unknown-scheme"])
def test_authentication_failed(server, how):
    kw = {
        "none": {},
        "wrong-token": {"token": "not-a-token"},
        "empty-bearer": {"headers": {"Authorization": "Bearer "}},
        "wrong-password": {"auth": (server.admin["email"], server.admin["password"] + "x")},
        "unknown-user": {"auth": ("nobody@example.com", "whatever")},
        "garbage-basic": {"headers": {"Authorization": "Basic !!!not-base64!!!"}},
        "unknown-scheme": {"headers": {"Authorization": "Token " + server.token}},
    }[how]
    assert_auth_failed(server.get("/v2/whoami", **kw))


def test_authentication_failed_on_list_accounts(server):
    assert_auth_failed(server.get("/v2/accounts"))
    assert_auth_failed(server.get("/v2/accounts", token=server.token + "x"))


def test_revoked_token_while_running(server):
    tok = server.create_token(account=server.account_id, name="short-lived")
    r, _ = whoami(server, token=tok["token"])
    assert r.status_code == 200
    assert server.revoke_token(tok["id"]) == {"id": tok["id"], "revoked": True}
    assert_auth_failed(server.get("/v2/whoami", token=tok["token"]))
    # Other tokens are untouched.
    r, _ = whoami(server, token=server.token)
    assert r.status_code == 200


def test_revoked_user_token(server):
    alice = add_user(server, "alice@example.com")
    server.revoke_token(alice["token_id"])
    assert_auth_failed(server.get("/v2/whoami", token=alice["token"]))
    # Basic auth of the same user still works.
    r, _ = whoami(server, auth=("alice@example.com", alice["password"]))
    assert r.status_code == 200


# ---------------------------------------------------------------------- 2FA

def fresh_code(secret):
    """A TOTP code with at least 2 s left in its 30 s step (sleeps at most 2 s)."""
    left = 30 - time.time() % 30
    if left < 2:
        time.sleep(left + 0.05)
    return totp(secret)


def test_user_without_otp_has_no_secret(server):
    assert server.create_user("plain@example.com")["otp_secret"] is None


def test_two_factor_basic_auth(server):
    user = server.create_user("otp@example.com", otp=True)
    secret = user["otp_secret"]
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    server.add_member(server.account_id, "otp@example.com", "admin")
    auth = ("otp@example.com", user["password"])

    r = server.get("/v2/whoami", auth=auth)
    body = check(r)
    assert r.status_code == 401, body
    assert r.headers.get("X-Dnsimple-OTP", "").lower() == "required"

    r = server.get("/v2/whoami", auth=auth, headers={"X-Dnsimple-OTP": wrong_totp(secret)})
    check(r)
    assert r.status_code == 401

    r = server.get("/v2/whoami", auth=auth, headers={"X-Dnsimple-OTP": fresh_code(secret)})
    body = check(r)
    assert r.status_code == 200, body
    assert body["data"]["user"]["id"] == user["id"]


def test_two_factor_wrong_password_with_right_code(server):
    user = server.create_user("otp@example.com", otp=True)
    r = server.get("/v2/whoami", auth=("otp@example.com", user["password"] + "x"),
                   headers={"X-Dnsimple-OTP": fresh_code(user["otp_secret"])})
    assert_auth_failed(r)
