"""OAuth 2 authorization code grant: /oauth/authorize and /v2/oauth/access_token."""

import re
import urllib.parse

import pytest

from npt import check, compare_fixture
from npt import oauth
from npt.oauth import REDIRECT_URI


@pytest.fixture
def app(server):
    a = server.create_oauth_app("Test App", REDIRECT_URI)
    assert a["client_id"] and a["client_secret"] and a["redirect_uri"] == REDIRECT_URI
    return a


@pytest.fixture
def public_app(server):
    a = server.create_oauth_app("CLI App", REDIRECT_URI, public=True)
    assert a["client_id"] and a["client_secret"] is None
    return a


def get_code(server, app, state="xyz", account_id=None, **kw):
    account_id = server.account_id if account_id is None else account_id
    r = oauth.authorize(server, app, server.admin["email"], server.admin["password"],
                        account_id, state=state, **kw)
    params = oauth.redirect_params(r)
    assert params.get("state") == state, params
    assert params.get("code"), params
    assert "error" not in params, params
    return params["code"]


def token_ok(server, r, account_id):
    body = check(r)
    assert r.status_code == 200, body
    compare_fixture(body, "oauthAccessToken/success.http")
    assert body["token_type"] == "Bearer"
    assert body["scope"] is None
    assert body["account_id"] == account_id
    assert body["access_token"]
    w = server.get("/v2/whoami", token=body["access_token"])
    who = check(w)
    assert w.status_code == 200, who
    assert who["data"]["user"] is None and who["data"]["account"]["id"] == account_id
    return body["access_token"]


def oauth_error(r, status, error):
    body = check(r)
    assert r.status_code == status, body
    assert body.get("error") == error, body
    assert isinstance(body.get("error_description"), str), body
    return body


# ---------------------------------------------------------------- authorize

def test_authorize_page(server, app):
    q = oauth.authorize_query(app, state="xyz")
    r = server.get("/oauth/authorize?" + urllib.parse.urlencode(q))
    assert r.status_code == 200, r.text[:500]
    assert r.headers.get("Content-Type", "").lower().startswith("text/html")
    forms = oauth.parse_forms(r.text)
    assert forms, "no <form> in the authorize page"
    form = forms[0]
    assert (form["attrs"].get("method") or "").lower() == "post"
    names = {a.get("name") for _tag, a in form["inputs"]}
    assert {"email", "password"} <= names, names
    assert "Test App" in r.text  # the user sees who asks


@pytest.mark.parametrize("bad", ["client_id", "redirect_uri"])
def test_authorize_never_redirects_to_an_unverified_uri(server, app, bad):
    """RFC 6749 4.1.2.1: an unknown client or a foreign redirect_uri gets an error page."""
    q = oauth.authorize_query(app, state="xyz")
    q[bad] = "nope" if bad == "client_id" else "http://evil.example/cb"
    r = server.get("/oauth/authorize?" + urllib.parse.urlencode(q))
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert "Location" not in r.headers
    # Posting the form directly does not redirect either.
    form = dict(q, email=server.admin["email"], password=server.admin["password"],
                account_id=str(server.account_id), decision="approve")
    r = server.post("/oauth/authorize", data=form)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert "evil.example" not in r.headers.get("Location", "")
    assert "code=" not in r.headers.get("Location", "")


def test_authorize_wrong_password_gives_no_code(server, app):
    r = oauth.authorize(server, app, server.admin["email"], "wrong-password",
                        server.account_id)
    assert r.status_code not in (301, 302, 303, 307, 308), r.headers.get("Location")
    assert "code=" not in r.headers.get("Location", "")


def test_authorize_deny(server, app):
    r = oauth.authorize(server, app, server.admin["email"], server.admin["password"],
                        server.account_id, decision="deny")
    params = oauth.redirect_params(r)
    assert params.get("error") == "access_denied", params
    assert params.get("state") == "xyz"
    assert "code" not in params


# ------------------------------------------------------------ token exchange

def test_code_grant(server, app):
    code = get_code(server, app)
    token_ok(server, oauth.exchange(server, app, code), server.account_id)


def test_code_grant_form_encoded(server, app):
    code = get_code(server, app)
    token_ok(server, oauth.exchange(server, app, code, form=True), server.account_id)


def test_code_grant_for_another_account(server, app):
    other = server.create_account("Other", "other@example.com")
    server.add_member(other["id"], server.admin["email"], "owner")
    code = get_code(server, app, account_id=other["id"])
    token_ok(server, oauth.exchange(server, app, code), other["id"])


def test_code_is_single_use(server, app):
    code = get_code(server, app)
    token_ok(server, oauth.exchange(server, app, code), server.account_id)
    oauth_error(oauth.exchange(server, app, code), 400, "invalid_grant")


def test_unknown_code(server, app):
    oauth_error(oauth.exchange(server, app, "not-a-code"), 400, "invalid_grant")


def test_wrong_state(server, app):
    code = get_code(server, app)
    body = oauth_error(oauth.exchange(server, app, code, state="abc"), 400, "invalid_request")
    compare_fixture(body, "oauthAccessToken/error-invalid-request.http")


def test_wrong_redirect_uri(server, app):
    code = get_code(server, app)
    oauth_error(oauth.exchange(server, app, code, redirect_uri="http://127.0.0.1:9/other"),
                400, "invalid_request")


def test_wrong_client_secret(server, app):
    code = get_code(server, app)
    oauth_error(oauth.exchange(server, app, code, client_secret="wrong"), 401, "invalid_client")


def test_code_of_another_client(server, app):
    other = server.create_oauth_app("Other App", REDIRECT_URI)
    code = get_code(server, app)
    oauth_error(oauth.exchange(server, other, code), 400, "invalid_grant")


def test_unsupported_grant_type(server, app):
    body = oauth.token_request(app, "whatever")
    body["grant_type"] = "password"
    oauth_error(server.post("/v2/oauth/access_token", json=body), 400, "invalid_request")


def test_tokens_are_distinct(server, app):
    t1 = token_ok(server, oauth.exchange(server, app, get_code(server, app)), server.account_id)
    t2 = token_ok(server, oauth.exchange(server, app, get_code(server, app)), server.account_id)
    assert t1 != t2
    assert re.fullmatch(r"[\x21-\x7e]+", t1), "token must be printable ASCII without spaces"


# ---------------------------------------------------------------------- PKCE

def test_pkce_public_client(server, public_app):
    verifier, challenge = oauth.pkce_pair()
    code = get_code(server, public_app, challenge=challenge)
    token_ok(server, oauth.exchange(server, public_app, code, verifier=verifier),
             server.account_id)


def test_pkce_wrong_verifier(server, public_app):
    verifier, challenge = oauth.pkce_pair()
    code = get_code(server, public_app, challenge=challenge)
    other, _ = oauth.pkce_pair()
    oauth_error(oauth.exchange(server, public_app, code, verifier=other), 400, "invalid_grant")
    # A missing verifier is no better.
    code = get_code(server, public_app, challenge=challenge)
    r = oauth.exchange(server, public_app, code)
    body = check(r)
    assert r.status_code == 400 and body.get("error") in ("invalid_grant", "invalid_request"), \
        body


def test_pkce_confidential_client_with_challenge(server, app):
    """PKCE is optional for confidential clients; with the right verifier it must work."""
    verifier, challenge = oauth.pkce_pair()
    code = get_code(server, app, challenge=challenge)
    token_ok(server, oauth.exchange(server, app, code, verifier=verifier), server.account_id)
