"""The OAuth 2 authorization-code dance against /oauth/authorize and /v2/oauth/access_token."""

import base64
import hashlib
import html.parser
import os
import urllib.parse

REDIRECT_URI = "http://127.0.0.1:9/cb"


def s256(verifier):
    """The S256 code_challenge of a code_verifier (RFC 7636 section 4.2)."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def pkce_pair():
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    return verifier, s256(verifier)


class _Forms(html.parser.HTMLParser):
    """Collects the <form>s of a page and their <input>s."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": a, "inputs": []})
        elif tag in ("input", "button", "select", "textarea") and self.forms:
            self.forms[-1]["inputs"].append((tag, a))


def parse_forms(page):
    p = _Forms()
    p.feed(page)
    return p.forms


def hidden_fields(page):
    """name -> value of every hidden input of the page's forms (e.g. a CSRF token)."""
    out = {}
    for form in parse_forms(page):
        for tag, a in form["inputs"]:
            if tag == "input" and (a.get("type") or "").lower() == "hidden" and a.get("name"):
                out[a["name"]] = a.get("value") or ""
    return out


def authorize_query(app, state="xyz", redirect_uri=REDIRECT_URI, challenge=None, account_id=None):
    q = {"response_type": "code", "client_id": app["client_id"], "state": state,
         "redirect_uri": redirect_uri}
    if challenge:
        q.update(code_challenge=challenge, code_challenge_method="S256")
    if account_id is not None:
        q["account_id"] = str(account_id)
    return q


def authorize(server, app, email, password, account_id, state="xyz", redirect_uri=REDIRECT_URI,
              decision="approve", otp=None, challenge=None):
    """GET the authorize page, then POST its form; returns the POST's response (a redirect).

    Hidden inputs the page carries (a CSRF token, say) are sent back; the
    documented fields are then set explicitly.
    """
    query = authorize_query(app, state, redirect_uri, challenge, account_id)
    page = server.get("/oauth/authorize?" + urllib.parse.urlencode(query))
    if page.status_code != 200:
        raise AssertionError("GET /oauth/authorize -> %d: %s"
                             % (page.status_code, page.text[:500]))
    form = hidden_fields(page.text)
    form.update(query)
    form.update(email=email, password=password, account_id=str(account_id), decision=decision)
    if otp is not None:
        form["otp"] = otp
    return server.post("/oauth/authorize", data=form)


def redirect_params(resp, redirect_uri=REDIRECT_URI):
    """Assert resp redirects to redirect_uri; returns its query as a dict of single values."""
    assert resp.status_code in (302, 303), \
        "want a redirect, got %d: %s" % (resp.status_code, resp.text[:500])
    loc = resp.headers.get("Location")
    assert loc, "redirect without Location"
    got, want = urllib.parse.urlsplit(loc), urllib.parse.urlsplit(redirect_uri)
    assert (got.scheme, got.netloc, got.path) == (want.scheme, want.netloc, want.path), \
        "redirected to %r, want %r" % (loc, redirect_uri)
    params = urllib.parse.parse_qs(got.query, keep_blank_values=True)
    for k, v in params.items():
        assert len(v) == 1, "parameter %s repeated in %r" % (k, loc)
    return {k: v[0] for k, v in params.items()}


def token_request(app, code, state="xyz", redirect_uri=REDIRECT_URI, client_secret=None,
                  verifier=None):
    body = {"grant_type": "authorization_code", "client_id": app["client_id"],
            "code": code, "redirect_uri": redirect_uri, "state": state}
    secret = app.get("client_secret") if client_secret is None else client_secret
    if secret is not None:
        body["client_secret"] = secret
    if verifier is not None:
        body["code_verifier"] = verifier
    return body


def exchange(server, app, code, form=False, **kw):
    """POST /v2/oauth/access_token (JSON, or form-encoded when form=True)."""
    body = token_request(app, code, **kw)
    if form:
        return server.post("/v2/oauth/access_token", data=body)
    return server.post("/v2/oauth/access_token", json=body)
