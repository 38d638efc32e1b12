"""Self-tests of the helpers; they need no binary.

The fixture tests run every recorded response under fixtures/v2/api through
the same validation that check() applies to the server's responses.
"""

import base64
import json
import os
import socket

import pytest

from npt import contract as c
from npt import oauth, paths, server, totp

# Fixtures that are recorded for the client libraries' own tests and belong
# to no operation: nothing to validate them against.
NOT_OPERATION_FIXTURES = {
    "badgateway.http": "nginx's HTML 502 page, for clients' error handling",
    "success-with-malformed-json.http": "an HTML page sent as a 200, for clients' error handling",
    "pages-1of3.http": "pagination of a generic list, for clients' paginators",
    "pages-2of3.http": "pagination of a generic list, for clients' paginators",
    "pages-3of3.http": "pagination of a generic list, for clients' paginators",
    "response.http": "whoami with user and account both null: no real response has this",
}

# Fixtures that disagree with openapi.yml (after SPEC_OVERRIDES) because they
# were recorded before the spec grew a required field: the server gives the
# field (DESIGN.md: every field that either one has), the fixture lacks it.
# These stay visible as strict xfails: when the reference is updated they pass
# and this list must shrink.
KNOWN_FIXTURE_GAPS = {
    "checkDomain/success.http": "no `trustee` (DomainCheckResult.trustee is required)",
    "createDomain/created.http": "no `trustee` (Domain.trustee is required)",
    "listDomains/success.http": "no `trustee` (Domain.trustee is required)",
    "createSecondaryZone/created.http": "no `active` (Zone.active is required)",
    "getTldExtendedAttributes/success.http": "no `title` (ExtendedAttribute.title is required)",
    "getTldExtendedAttributes/success-attributes.http":
        "no `title` (ExtendedAttribute.title is required)",
    "getDomainRenewal/success.http":
        "recorded as 201 Created on a GET; the spec lists 200 and 404",
}


def _fixture_params():
    out = []
    for name in c.all_fixtures():
        if name in NOT_OPERATION_FIXTURES:
            continue
        marks = ()
        if name in KNOWN_FIXTURE_GAPS:
            marks = pytest.mark.xfail(strict=True, raises=c.ContractError,
                                      reason=KNOWN_FIXTURE_GAPS[name])
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def test_contract_files_exist():
    assert os.path.isfile(paths.openapi_path()), paths.openapi_path()
    assert len(c.all_fixtures()) > 100
    assert len(c.contract().operations) == 111


def test_lists_name_real_fixtures():
    names = set(c.all_fixtures())
    for name in list(NOT_OPERATION_FIXTURES) + list(KNOWN_FIXTURE_GAPS):
        assert name in names, "stale entry %s" % name
    for _ptr, _value, fixtures, _why in c.SPEC_OVERRIDES:
        for name in fixtures:
            assert name in names, "stale fixture %s in SPEC_OVERRIDES" % name


def test_every_fixture_folder_maps_to_an_operation():
    ids = set(c.contract().by_id)
    for name in c.all_fixtures():
        op = c.fixture_operation(name)
        assert op is None or op in ids, "%s -> %s is not an operationId" % (name, op)


@pytest.mark.parametrize("name", _fixture_params())
def test_fixture_matches_contract(name):
    fx = c.load_fixture(name)
    op = c.fixture_operation(name)
    C = c.contract()
    if fx.has_json_body():
        C.validate_body(op, fx.status, fx.json())
    else:
        assert not fx.text.strip(), "%s: body is not JSON" % name
        # The status must still be one the operation may answer.
        C.response_schema(op, fx.status)


def _error_count(contract, names):
    n = 0
    for name in names:
        fx = c.load_fixture(name)
        schema, _ = contract.response_schema(c.fixture_operation(name), fx.status)
        n += len(list(contract.validator(schema).iter_errors(fx.json())))
    return n


@pytest.mark.parametrize("override", c.SPEC_OVERRIDES, ids=[o[0] for o in c.SPEC_OVERRIDES])
def test_spec_override_is_needed(override):
    """Without this patch the fixtures it names have more errors than with all patches."""
    _ptr, _value, fixtures, _why = override
    others = [o for o in c.SPEC_OVERRIDES if o is not override]
    without = c.Contract.load(overrides=others)
    assert _error_count(without, fixtures) > _error_count(c.contract(), fixtures)


def test_raw_spec_is_left_alone():
    raw = c.Contract.load(raw=True)
    schema = raw.spec["components"]["schemas"]["TLD"]["properties"]["name_server_min"]
    assert schema == {"type": "integer", "description": schema["description"]}


# --------------------------------------------------------- operation lookup

@pytest.mark.parametrize("method,path,op_id", [
    ("GET", "/v2/whoami", "whoami"),
    ("GET", "/v2/accounts", "listAccounts"),
    ("POST", "/v2/oauth/access_token", "oauthToken"),
    ("GET", "/v2/1/domains", "listDomains"),
    ("POST", "/v2/1/domains", "createDomain"),
    ("GET", "/v2/1/domains/example.com", "getDomain"),
    ("GET", "/v2/1/domains/research/status", "getDomainsResearchStatus"),
    ("GET", "/v2/1010/zones/example.com/records/5", "getZoneRecord"),
    ("GET", "/v2/1/domains/example.com?page=2", "getDomain"),
    ("DELETE", "/v2/whoami", None),
    ("GET", "/v2/nope", None),
    ("GET", "/whoami/extra", None),
])
def test_find_operation(method, path, op_id):
    op = c.contract().find(method, path)
    assert (op.id if op else None) == op_id


def test_methods_for_path():
    assert c.contract().methods_for("/v2/whoami") == ["GET"]
    assert set(c.contract().methods_for("/v2/1/domains")) == {"GET", "POST"}


# ------------------------------------------------------------------ check()

ACCOUNT = {"id": 1, "email": "a@example.com", "name": "Default", "plan_identifier": "p",
           "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z"}
GOOD_HEADERS = {"Content-Type": "application/json; charset=utf-8", "X-RateLimit-Limit": "2400",
                "X-RateLimit-Remaining": "2399", "X-RateLimit-Reset": "1700000000",
                "X-Request-Id": "abc"}


def resp(method, path, status, body, headers=None, drop=()):
    h = dict(GOOD_HEADERS)
    h.update(headers or {})
    for k in drop:
        h.pop(k, None)
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return c.fake_response(method, "http://127.0.0.1:1" + path, status, h, raw)


def whoami_body(account=ACCOUNT):
    return {"data": {"user": None, "account": account}}


def test_check_accepts_good_whoami():
    body = c.check(resp("GET", "/v2/whoami", 200, whoami_body()))
    assert body == whoami_body()


def test_check_accepts_user_whoami():
    user = {"id": 2, "email": "u@example.com", "created_at": "2024-01-02T03:04:05Z",
            "updated_at": "2024-01-02T03:04:05Z"}
    c.check(resp("GET", "/v2/whoami", 200, {"data": {"user": user, "account": None}}))


@pytest.mark.parametrize("drop", ["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                  "X-RateLimit-Reset"])
def test_check_requires_headers(drop):
    with pytest.raises(c.ContractError, match=drop):
        c.check(resp("GET", "/v2/whoami", 200, whoami_body(), drop=[drop]))


def test_check_rejects_bad_header_values():
    with pytest.raises(c.ContractError, match="X-RateLimit-Reset"):
        c.check(resp("GET", "/v2/whoami", 200, whoami_body(), {"X-RateLimit-Reset": "soon"}))
    with pytest.raises(c.ContractError, match="X-Request-Id"):
        c.check(resp("GET", "/v2/whoami", 200, whoami_body(), {"X-Request-Id": " "}))


@pytest.mark.parametrize("ctype", ["application/json", "text/html; charset=utf-8", ""])
def test_check_requires_json_content_type(ctype):
    with pytest.raises(c.ContractError, match="Content-Type"):
        c.check(resp("GET", "/v2/whoami", 200, whoami_body(), {"Content-Type": ctype}))


def test_check_content_type_spelling_is_lenient():
    c.check(resp("GET", "/v2/whoami", 200, whoami_body(),
                 {"Content-Type": "Application/JSON;charset=UTF-8"}))


def test_check_rejects_schema_violations():
    bad = dict(ACCOUNT)
    del bad["plan_identifier"]
    with pytest.raises(c.ContractError, match="plan_identifier"):
        c.check(resp("GET", "/v2/whoami", 200, whoami_body(bad)))
    with pytest.raises(c.ContractError):
        c.check(resp("GET", "/v2/whoami", 200, {"data": {"user": None, "account": None}}))
    with pytest.raises(c.ContractError):
        c.check(resp("GET", "/v2/accounts", 200, {"data": [dict(ACCOUNT, id="1")]}))


@pytest.mark.parametrize("stamp", ["2024-01-02 03:04:05", "2024-13-02T03:04:05Z", "yesterday",
                                   "2024-01-02T03:04:05"])
def test_check_rejects_bad_timestamps(stamp):
    with pytest.raises(c.ContractError, match="date-time"):
        c.check(resp("GET", "/v2/whoami", 200, whoami_body(dict(ACCOUNT, created_at=stamp))))


def test_check_rejects_non_json_body():
    with pytest.raises(c.ContractError, match="not JSON"):
        c.check(resp("GET", "/v2/whoami", 200, "{nope"))
    with pytest.raises(c.ContractError, match="empty"):
        c.check(resp("GET", "/v2/whoami", 200, b""))


def test_check_status_must_be_listed():
    # listAccounts lists only 200 and has no default.
    with pytest.raises(c.ContractError, match="not listed"):
        c.check(resp("GET", "/v2/accounts", 500, {"message": "boom"}))
    with pytest.raises(c.ContractError, match="not listed"):
        c.check(resp("GET", "/v2/accounts", 201, {"data": [ACCOUNT]}))
    # whoami has a default: any status with the Error shape is allowed.
    c.check(resp("GET", "/v2/whoami", 500, {"message": "boom"}))
    with pytest.raises(c.ContractError):
        c.check(resp("GET", "/v2/whoami", 500, {"error": "boom"}))


def test_check_unknown_path_allows_only_generic_errors():
    c.check(resp("GET", "/v2/nope", 404, {"message": "Not Found"}))
    with pytest.raises(c.ContractError):
        c.check(resp("GET", "/v2/nope", 404, {"error": "Not Found"}))
    with pytest.raises(c.ContractError, match="does not have"):
        c.check(resp("GET", "/v2/nope", 200, {"data": {}}))


@pytest.mark.parametrize("status", [401, 403, 404, 405, 413, 429])
def test_check_generic_statuses(status):
    c.check(resp("GET", "/v2/accounts", status, {"message": "x"}))
    with pytest.raises(c.ContractError):
        c.check(resp("GET", "/v2/accounts", status, {"msg": "x"}))
    with pytest.raises(c.ContractError):
        c.check(resp("GET", "/v2/accounts", status, {"message": 3}))


def test_check_generic_400():
    c.check(resp("GET", "/v2/accounts", 400, {"message": "bad"}))
    c.check(resp("GET", "/v2/accounts", 400,
                 {"message": "Validation failed", "errors": {"name": ["can't be blank"]}}))
    with pytest.raises(c.ContractError):
        c.check(resp("GET", "/v2/accounts", 400, {"errors": {}}))


def test_check_405_may_be_empty():
    c.check(resp("DELETE", "/v2/whoami", 405, b"", drop=["Content-Type"]))


def test_check_204_must_be_empty():
    c.check(resp("DELETE", "/v2/1/domains/example.com", 204, b"", drop=["Content-Type"]))
    with pytest.raises(c.ContractError, match="no body"):
        c.check(resp("DELETE", "/v2/1/domains/example.com", 204, {"data": {}}))


def test_check_oauth_token_responses():
    ok = {"access_token": "t", "token_type": "Bearer", "scope": None, "account_id": 1}
    c.check(resp("POST", "/v2/oauth/access_token", 200, ok))
    with pytest.raises(c.ContractError):
        c.check(resp("POST", "/v2/oauth/access_token", 200, dict(ok, account_id="1")))
    c.check(resp("POST", "/v2/oauth/access_token", 400,
                 {"error": "invalid_grant", "error_description": "x"}))
    c.check(resp("POST", "/v2/oauth/access_token", 401,
                 {"error": "invalid_client", "error_description": "x"}))


def test_check_by_operation_id():
    r = resp("GET", "/somewhere/else", 200, whoami_body())
    c.check(r, operation_id="whoami")
    with pytest.raises(c.ContractError, match="no operation"):
        c.check(r, operation_id="nosuchOperation")


def test_check_requires_v2_prefix():
    with pytest.raises(c.ContractError, match="/v2"):
        c.check(resp("GET", "/whoami", 200, whoami_body()))


# ---------------------------------------------------------- compare_fixture

def test_compare_fixture_same_shape_other_values():
    body = whoami_body(dict(ACCOUNT, id=77, email="x@y.z"))
    fx = c.compare_fixture(body, "whoami/success-account.http")
    assert fx.status == 200


def test_compare_fixture_missing_and_extra_keys():
    bad = dict(ACCOUNT)
    del bad["name"]
    with pytest.raises(c.ContractError, match="missing keys.*name"):
        c.compare_fixture(whoami_body(bad), "whoami/success-account.http")
    extra = dict(ACCOUNT, colour="red")
    with pytest.raises(c.ContractError, match="colour"):
        c.compare_fixture(whoami_body(extra), "whoami/success-account.http")
    c.compare_fixture(whoami_body(extra), "whoami/success-account.http", extra_keys={"colour"})


def test_compare_fixture_types():
    with pytest.raises(c.ContractError, match="type string"):
        c.compare_fixture(whoami_body(dict(ACCOUNT, id="1")), "whoami/success-account.http")
    with pytest.raises(c.ContractError, match="type boolean"):
        c.compare_fixture(whoami_body(dict(ACCOUNT, id=True)), "whoami/success-account.http")
    # null in the fixture: anything goes (check() validates the type).
    c.compare_fixture({"data": {"user": {"id": 1}, "account": ACCOUNT}},
                      "whoami/success-account.http")
    with pytest.raises(c.ContractError, match="type null"):
        c.compare_fixture(whoami_body(dict(ACCOUNT, email=None)), "whoami/success-account.http")


def test_compare_fixture_lists():
    c.compare_fixture({"data": [ACCOUNT, dict(ACCOUNT, id=2)]}, "listAccounts/success-user.http")
    c.compare_fixture({"data": []}, "listAccounts/success-user.http")
    with pytest.raises(c.ContractError, match=r"\$\.data\[1\]"):
        c.compare_fixture({"data": [ACCOUNT, {"id": 2}]}, "listAccounts/success-user.http")


def test_shape_diff_numbers():
    assert c.shape_diff(1, 1.5) == []
    assert c.shape_diff(1.5, 1) != []


# --------------------------------------------------------------- parse_http

def test_parse_http_crlf_and_headers():
    fx = c.load_fixture("getDomainsResearchStatus/success-available.http")
    assert fx.status == 200
    assert fx.headers["content-type"].startswith("application/json")
    assert fx.json()["data"]["availability"] == "available"


def test_parse_http_without_body():
    fx = c.load_fixture("method-not-allowed.http")
    assert fx.status == 405 and fx.reason == "Method Not Allowed"
    assert fx.headers["allow"] == "DELETE, GET, HEAD, PATCH, POST"
    assert not fx.has_json_body()


def test_parse_http_rejects_garbage():
    with pytest.raises(ValueError):
        c.parse_http("not http\n\n{}")


# --------------------------------------------------------------- other helpers

RFC6238_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize("at,code", [(59, "287082"), (1111111109, "081804"),
                                     (1111111111, "050471"), (1234567890, "005924"),
                                     (2000000000, "279037"), (20000000000, "353130")])
def test_totp_rfc6238_vectors(at, code):
    # RFC 6238 appendix B (SHA1), last 6 of the 8 digits.
    assert totp.totp(RFC6238_SECRET, at) == code


def test_wrong_totp_is_wrong():
    at = 1234567890
    wrong = totp.wrong_totp(RFC6238_SECRET, at)
    assert len(wrong) == 6 and wrong.isdigit()
    assert wrong not in {totp.totp(RFC6238_SECRET, at + 30 * i) for i in range(-3, 4)}


def test_totp_accepts_unpadded_lowercase_secret():
    assert totp.totp(RFC6238_SECRET.lower().rstrip("="), 59) == "287082"


def test_pkce_s256():
    # RFC 7636 appendix B.
    assert oauth.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    v, ch = oauth.pkce_pair()
    assert 43 <= len(v) <= 128 and ch == oauth.s256(v) and "=" not in ch


def test_hidden_fields():
    page = ('<html><form method="post" action="/oauth/authorize">'
            '<input type="hidden" name="csrf" value="t0k">'
            '<input type=HIDDEN name=state value="xyz">'
            '<input type="text" name="email"><input type="password" name="password">'
            '<button name="decision" value="approve">Allow</button></form></html>')
    assert oauth.hidden_fields(page) == {"csrf": "t0k", "state": "xyz"}
    assert len(oauth.parse_forms(page)) == 1


def test_redirect_params():
    r = c.fake_response("POST", "http://127.0.0.1:1/oauth/authorize", 302,
                        {"Location": "http://127.0.0.1:9/cb?code=abc&state=xyz"})
    assert oauth.redirect_params(r) == {"code": "abc", "state": "xyz"}
    r.headers["Location"] = "http://evil.example/cb?code=abc"
    with pytest.raises(AssertionError):
        oauth.redirect_params(r)


def test_sanitizer_report():
    assert server.sanitizer_report("ok\nall good\n") is None
    for line in ["==1==ERROR: AddressSanitizer: heap-use-after-free on address",
                 "src/x.c:3:5: runtime error: signed integer overflow",
                 "==1==ERROR: LeakSanitizer: detected memory leaks"]:
        assert server.sanitizer_report("before\n" + line + "\nafter") == line


def test_free_port_is_bindable():
    port = server.free_port(udp_too=True)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        t.bind(("127.0.0.1", port))
        u.bind(("127.0.0.1", port))


def test_binary_path_from_env(monkeypatch):
    monkeypatch.setenv("NAMEPLATE_BIN", "some/dir/nameplate")
    assert paths.nameplate_bin() == os.path.join(paths.REPO_ROOT, "some/dir/nameplate")
    monkeypatch.setenv("NAMEPLATE_BIN", "/abs/nameplate")
    assert paths.nameplate_bin() == "/abs/nameplate"
    monkeypatch.delenv("NAMEPLATE_BIN")
    assert paths.nameplate_bin() == os.path.join(paths.REPO_ROOT, "build-test", "nameplate")
    assert not server.binary_exists("/nonexistent/nameplate")


def test_contract_dir_from_env(monkeypatch):
    monkeypatch.setenv("NAMEPLATE_CONTRACT", "/tmp/somewhere")
    assert paths.openapi_path() == "/tmp/somewhere/content/v2/openapi.yml"
