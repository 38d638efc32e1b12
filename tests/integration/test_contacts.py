"""Contacts: listContacts, createContact, getContact, updateContact, deleteContact.

Every response goes through check() (the contract); bodies are compared with the
recorded fixtures' shapes and with values counted here. Domains that use a contact
are inserted straight into the SQLite file while the server runs (the domains API
is not part of this feature).
"""

import contextlib
import json
import os
import sqlite3
import time

import pytest

from npt import check, compare_fixture, load_fixture

# The createContact example of content/v2/contacts.md.
VALID = {
    "label": "Default",
    "first_name": "First",
    "last_name": "User",
    "job_title": "CEO",
    "organization_name": "Awesome Company",
    "email": "first@example.com",
    "phone": "+18001234567",
    "fax": "+18011234567",
    "address1": "Italian Street, 10",
    "city": "Roma",
    "state_province": "RM",
    "postal_code": "00100",
    "country": "IT",
}
TEXT_FIELDS = ("label", "first_name", "last_name", "job_title", "organization_name", "email",
               "phone", "fax", "address1", "address2", "city", "state_province",
               "postal_code", "country")
IN_USE = {"message": "The contact cannot be deleted because it's currently in use"}


def base(server, account=None):
    return "/v2/%d/contacts" % (server.account_id if account is None else account)


def call(server, method, path, token=None, **kw):
    """One request; returns (response, body checked against the contract)."""
    r = server.request(method, path, token=server.token if token is None else token, **kw)
    return r, check(r)


def create(server, token=None, account=None, **fields):
    body = dict(VALID)
    body.update(fields)
    r, data = call(server, "POST", base(server, account), token=token, json=body)
    assert r.status_code == 201, data
    return data["data"]


def list_all(server, token=None, account=None, query=""):
    r, body = call(server, "GET", base(server, account) + "?per_page=100" + query, token=token)
    assert r.status_code == 200, body
    return body["data"]


@contextlib.contextmanager
def db(server):
    """The server's SQLite file, opened beside the running server."""
    conn = sqlite3.connect(os.path.join(server.data_dir, "nameplate.db"), timeout=10)
    conn.execute("PRAGMA foreign_keys=ON")
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def add_domain(server, name, registrant_id, account=None):
    now = int(time.time())
    with db(server) as conn:
        cur = conn.execute(
            "INSERT INTO domains (account_id, registrant_id, name, unicode_name, state,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'registered', ?, ?)",
            (server.account_id if account is None else account, registrant_id, name, name,
             now, now))
        return cur.lastrowid


def expect_errors(r, body, errors):
    assert r.status_code == 400, body
    assert body["message"] == "Validation failed"
    assert body["errors"] == errors


# ------------------------------------------------------------------ create/get

def test_create_and_get(server):
    r, body = call(server, "POST", base(server), json=VALID)
    assert r.status_code == 201, body
    compare_fixture(body, "createContact/created.http")
    c = body["data"]
    assert isinstance(c["id"], int) and c["id"] > 0
    assert c["account_id"] == server.account_id
    for k, v in VALID.items():
        assert c[k] == v, k
    assert c["address2"] == ""
    assert c["created_at"] == c["updated_at"]

    r, got = call(server, "GET", "%s/%d" % (base(server), c["id"]))
    assert r.status_code == 200
    compare_fixture(got, "getContact/success.http")
    assert got["data"] == c


def test_create_fixture_values(server):
    """The fixture's contact, sent as its own body, comes back field for field."""
    fx = load_fixture("getContact/success.http").json()["data"]
    sent = {k: fx[k] for k in TEXT_FIELDS}
    c = create(server, **sent)
    for k in TEXT_FIELDS:
        assert c[k] == fx[k], k


def test_create_normalizes(server):
    c = create(server, phone="+1 (800) 123-4567", fax="+1.8011234567", country="it",
               city="  Roma  ", address2=None, label=None)
    assert c["phone"] == "+18001234567"
    assert c["fax"] == "+18011234567"
    assert c["country"] == "IT"
    assert c["city"] == "Roma"
    assert c["address2"] == "" and c["label"] == ""
    # A national number cannot be made international reliably: kept as given.
    c = create(server, phone="(06) 1234-5678", fax=None)
    assert c["phone"] == "(06) 1234-5678" and c["fax"] == ""


def test_create_ignores_unknown_and_readonly_fields(server):
    c = create(server, id=999999, account_id=424242, created_at="2000-01-01T00:00:00Z",
               bogus={"nested": [1, 2]})
    assert c["id"] != 999999
    assert c["account_id"] == server.account_id
    assert c["created_at"] != "2000-01-01T00:00:00Z"
    assert "bogus" not in c


def test_create_optional_fields_may_be_absent(server):
    body = {k: v for k, v in VALID.items()
            if k not in ("label", "fax", "organization_name", "job_title")}
    r, data = call(server, "POST", base(server), json=body)
    assert r.status_code == 201, data
    c = data["data"]
    assert (c["label"], c["fax"], c["organization_name"], c["job_title"]) == ("", "", "", "")


# ------------------------------------------------------------------ validation

def test_validation_every_required_field(server):
    """An empty body: exactly the errors of the recorded fixture."""
    fx = load_fixture("createContact/error-validation-errors.http")
    for body in ({}, None):
        kw = {"json": body} if body is not None else {"data": ""}
        r, got = call(server, "POST", base(server), **kw)
        assert r.status_code == fx.status == 400
        assert got == fx.json()
    assert list_all(server) == []


BAD_FIELDS = [
    ({"first_name": ""}, {"first_name": ["can't be blank"]}),
    ({"last_name": "   "}, {"last_name": ["can't be blank"]}),
    ({"address1": None}, {"address1": ["can't be blank"]}),
    ({"city": ""}, {"city": ["can't be blank"]}),
    ({"state_province": ""}, {"state_province": ["can't be blank"]}),
    ({"postal_code": ""}, {"postal_code": ["can't be blank"]}),
    ({"country": ""}, {"country": ["can't be blank"]}),
    ({"country": "XX"}, {"country": ["is not a valid country"]}),
    ({"country": "ITA"}, {"country": ["is the wrong length (should be 2 characters)",
                                      "is not a valid country"]}),
    ({"phone": ""}, {"phone": ["can't be blank", "is probably not a phone number"]}),
    ({"phone": "call me maybe"}, {"phone": ["is probably not a phone number"]}),
    ({"phone": "123"}, {"phone": ["is probably not a phone number"]}),
    ({"phone": "+0123456789"}, {"phone": ["is probably not a phone number"]}),
    ({"phone": "+1234567890123456"}, {"phone": ["is probably not a phone number"]}),
    ({"fax": "12"}, {"fax": ["is probably not a fax number"]}),
    ({"email": ""}, {"email": ["can't be blank", "is an invalid email address"]}),
    ({"email": "first@"}, {"email": ["is an invalid email address"]}),
    ({"email": "first.example.com"}, {"email": ["is an invalid email address"]}),
    ({"job_title": ""}, {"job_title": ["can't be blank"]}),  # organization_name is set
    ({"postal_code": 100}, {"postal_code": ["must be a string"]}),
    ({"label": ["x"]}, {"label": ["must be a string"]}),
    ({"city": "x" * 256}, {"city": ["is too long (maximum is 255 characters)"]}),
    ({"address2": "a\nb"}, {"address2": ["contains control characters"]}),
]


@pytest.mark.parametrize("fields,errors", BAD_FIELDS,
                         ids=["%s=%r" % next(iter(f.items())) for f, _ in BAD_FIELDS])
def test_validation_per_field(server, fields, errors):
    body = dict(VALID)
    body.update(fields)
    r, got = call(server, "POST", base(server), json=body)
    expect_errors(r, got, errors)
    assert list_all(server) == []


def test_validation_lists_every_bad_field(server):
    body = dict(VALID, country="XYZ", phone="nope", email="nope", first_name="", fax="1",
                postal_code=7)
    r, got = call(server, "POST", base(server), json=body)
    expect_errors(r, got, {
        "country": ["is the wrong length (should be 2 characters)", "is not a valid country"],
        "phone": ["is probably not a phone number"],
        "fax": ["is probably not a fax number"],
        "email": ["is an invalid email address"],
        "first_name": ["can't be blank"],
        "postal_code": ["must be a string"],
    })


@pytest.mark.parametrize("data", ["[1, 2]", "\"text\"", "42", "{\"first_name\": ", "nul"])
def test_non_object_or_malformed_body(server, data):
    r, got = call(server, "POST", base(server), data=data,
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 400, got
    assert got["message"]
    assert list_all(server) == []


# ------------------------------------------------------------------ list

def test_list_shape(server):
    assert list_all(server) == []
    a = create(server)
    b = create(server, label="", first_name="Second", job_title="", organization_name="",
               email="second@example.com", phone="+18881234567", fax="",
               address1="French Street", address2="c/o Someone", city="Paris",
               state_province="XY", postal_code="00200", country="FR")
    r, body = call(server, "GET", base(server))
    assert r.status_code == 200
    compare_fixture(body, "listContacts/success.http")
    assert body["data"] == [a, b]
    assert body["pagination"] == {"current_page": 1, "per_page": 30, "total_entries": 2,
                                  "total_pages": 1}


def test_pagination(server):
    made = [create(server, label="c%02d" % i)["id"] for i in range(7)]
    seen = []
    for page, want in ((1, 3), (2, 3), (3, 1)):
        r, body = call(server, "GET", base(server) + "?per_page=3&page=%d" % page)
        assert r.status_code == 200
        assert len(body["data"]) == want
        assert body["pagination"] == {"current_page": page, "per_page": 3,
                                      "total_entries": 7, "total_pages": 3}
        seen += [c["id"] for c in body["data"]]
    assert seen == sorted(made)
    r, body = call(server, "GET", base(server) + "?per_page=3&page=4")
    assert r.status_code == 200 and body["data"] == []
    assert body["pagination"]["total_entries"] == 7
    for bad in ("page=0", "per_page=-1", "page=x"):
        r, body = call(server, "GET", base(server) + "?" + bad)
        assert r.status_code == 400, body


SORT_ROWS = [("beta", "d@example.com"), ("Alpha", "b@example.com"), ("", "C@example.com"),
             ("alpha", "a@example.com"), ("gamma", "e@example.com"), ("beta", "f@example.com")]


def expected_order(contacts, spec):
    """Ids in the order `sort=spec` must give: text fields ignore case, ties by id asc."""
    rows = sorted(contacts, key=lambda c: c["id"])
    for part in reversed(spec.split(",")):
        field, _, order = part.partition(":")
        key = (lambda c, f=field: c[f]) if field == "id" else \
            (lambda c, f=field: c[f].lower())
        rows = sorted(rows, key=key, reverse=(order == "desc"))
    return [c["id"] for c in rows]


@pytest.mark.parametrize("spec", ["id:asc", "id:desc", "label:asc", "label:desc", "email:asc",
                                  "email:desc", "label:asc,id:desc", "label:desc,email:asc",
                                  "label"])
def test_sorting(server, spec):
    made = [create(server, label=label, email=email) for label, email in SORT_ROWS]
    want = expected_order(made, spec)
    got = [c["id"] for c in list_all(server, query="&sort=" + spec)]
    assert got == want
    # Page by page, the same order.
    paged = []
    for page in (1, 2, 3):
        r, body = call(server, "GET", base(server) + "?per_page=2&page=%d&sort=%s"
                       % (page, spec))
        assert r.status_code == 200
        paged += [c["id"] for c in body["data"]]
    assert paged == want


def test_default_order_is_id(server):
    made = [create(server, label=label, email=email) for label, email in SORT_ROWS]
    assert [c["id"] for c in list_all(server)] == sorted(c["id"] for c in made)


@pytest.mark.parametrize("spec", ["first_name:asc", "label:up", "id:asc,bogus"])
def test_sorting_rejects(server, spec):
    r, body = call(server, "GET", base(server) + "?sort=" + spec)
    assert r.status_code == 400, body
    assert body["message"]


# ------------------------------------------------------------------ update

def patch(server, cid, body, token=None, account=None):
    return call(server, "PATCH", "%s/%d" % (base(server, account), cid), token=token, json=body)


def test_update_only_sent_fields(server):
    c = create(server)
    time.sleep(1.1)  # updated_at has a resolution of one second
    r, body = patch(server, c["id"], {"label": "Office", "phone": "+39 06 1234 5678"})
    assert r.status_code == 200, body
    compare_fixture(body, "updateContact/success.http")
    u = body["data"]
    assert u["label"] == "Office" and u["phone"] == "+390612345678"
    for k in c:
        if k not in ("label", "phone", "updated_at"):
            assert u[k] == c[k], k
    assert u["updated_at"] > c["updated_at"]
    r, got = call(server, "GET", "%s/%d" % (base(server), c["id"]))
    assert got["data"] == u


def test_update_empty_body_changes_nothing(server):
    c = create(server)
    r, body = patch(server, c["id"], {})
    assert r.status_code == 200, body
    assert {k: v for k, v in body["data"].items() if k != "updated_at"} == \
        {k: v for k, v in c.items() if k != "updated_at"}


def test_update_clears_optional_fields(server):
    c = create(server)
    r, body = patch(server, c["id"], {"fax": None, "organization_name": "", "job_title": ""})
    assert r.status_code == 200, body
    assert body["data"]["fax"] == "" and body["data"]["organization_name"] == ""


@pytest.mark.parametrize("fields,errors", [
    ({"country": "XYZ"}, {"country": ["is the wrong length (should be 2 characters)",
                                      "is not a valid country"]}),
    ({"phone": ""}, {"phone": ["can't be blank", "is probably not a phone number"]}),
    ({"email": None}, {"email": ["can't be blank", "is an invalid email address"]}),
    ({"job_title": ""}, {"job_title": ["can't be blank"]}),
    ({"first_name": 5, "city": ""}, {"first_name": ["must be a string"],
                                     "city": ["can't be blank"]}),
])
def test_update_validates_merged_record(server, fields, errors):
    c = create(server)
    r, body = patch(server, c["id"], fields)
    expect_errors(r, body, errors)
    r, got = call(server, "GET", "%s/%d" % (base(server), c["id"]))
    assert got["data"] == c


# ------------------------------------------------------------------ delete

def test_delete(server):
    a = create(server)
    b = create(server, label="keep")
    r = server.delete("%s/%d" % (base(server), a["id"]), token=server.token)
    assert check(r) is None
    assert r.status_code == 204 and r.content == b""
    r, body = call(server, "GET", "%s/%d" % (base(server), a["id"]))
    assert r.status_code == 404
    assert body == {"message": "Contact `%d` not found" % a["id"]}
    assert list_all(server) == [b]
    r, body = call(server, "DELETE", "%s/%d" % (base(server), a["id"]))
    assert r.status_code == 404, body


def test_delete_in_use(server):
    c = create(server)
    domain_id = add_domain(server, "example.com", c["id"])
    r, body = call(server, "DELETE", "%s/%d" % (base(server), c["id"]))
    assert r.status_code == 400, body
    fx = load_fixture("deleteContact/error-contact-in-use.http")
    assert body["message"] == fx.json()["message"] == IN_USE["message"]
    assert body.get("errors", {}) == {}
    r, got = call(server, "GET", "%s/%d" % (base(server), c["id"]))
    assert r.status_code == 200 and got["data"] == c
    # Once no domain uses it, it goes.
    with db(server) as conn:
        conn.execute("DELETE FROM domains WHERE id = ?", (domain_id,))
    r = server.delete("%s/%d" % (base(server), c["id"]), token=server.token)
    check(r)
    assert r.status_code == 204


# ------------------------------------------------------------------ not found, isolation

@pytest.mark.parametrize("ident", ["0", "999999", "abc", "-1", "1.5", "99999999999999999999"])
def test_not_found(server, ident):
    path = "%s/%s" % (base(server), ident)
    for method, kw in (("GET", {}), ("PATCH", {"json": {"label": "x"}}), ("DELETE", {})):
        r, body = call(server, method, path, **kw)
        assert r.status_code == 404, (method, body)
        assert body == {"message": "Contact `%s` not found" % ident}


def test_not_found_fixture_text(server):
    fx = load_fixture("notfound-contact.http")
    r, body = call(server, "GET", base(server) + "/0")
    assert r.status_code == fx.status
    assert body == fx.json()


def test_other_accounts_contact_is_404(server):
    other = server.create_account("Other", "other@example.com")
    tok = server.create_token(account=other["id"])["token"]
    theirs = create(server, token=tok, account=other["id"], label="theirs")
    assert theirs["account_id"] == other["id"]
    mine = create(server, label="mine")
    path = "%s/%d" % (base(server), theirs["id"])
    for method, kw in (("GET", {}), ("PATCH", {"json": {"label": "stolen"}}), ("DELETE", {})):
        r, body = call(server, method, path, **kw)
        assert r.status_code == 404, (method, body)
        assert body == {"message": "Contact `%d` not found" % theirs["id"]}
    # Their account's path with our token is 404 as a whole.
    r, body = call(server, "GET", base(server, other["id"]))
    assert r.status_code == 404, body
    r, body = call(server, "GET", "%s/%d" % (base(server, other["id"]), theirs["id"]))
    assert r.status_code == 404, body
    # Each list holds only its own account's contact, unchanged.
    assert list_all(server) == [mine]
    assert list_all(server, token=tok, account=other["id"]) == [theirs]


# ------------------------------------------------------------------ failures change nothing

def test_failed_requests_change_nothing(server):
    other = server.create_account("Other", "other@example.com")
    tok = server.create_token(account=other["id"])["token"]
    theirs = create(server, token=tok, account=other["id"])
    kept = create(server)
    used = create(server, label="used")
    add_domain(server, "used.example", used["id"])
    before = list_all(server)
    before_theirs = list_all(server, token=tok, account=other["id"])

    failures = [
        ("POST", base(server), {"json": dict(VALID, country="XX")}, 400),
        ("POST", base(server), {"json": dict(VALID, email="x", phone="")}, 400),
        ("POST", base(server), {"data": "[]", "headers": {"Content-Type": "application/json"}},
         400),
        ("PATCH", "%s/%d" % (base(server), kept["id"]),
         {"json": {"label": "changed", "country": "ZZ"}}, 400),
        ("PATCH", "%s/%d" % (base(server), kept["id"]),
         {"json": {"label": "changed", "postal_code": 1}}, 400),
        ("PATCH", "%s/%d" % (base(server), theirs["id"]), {"json": {"label": "x"}}, 404),
        ("DELETE", "%s/%d" % (base(server), theirs["id"]), {}, 404),
        ("DELETE", "%s/%d" % (base(server), used["id"]), {}, 400),
    ]
    for method, path, kw, status in failures:
        r, body = call(server, method, path, **kw)
        assert r.status_code == status, (method, path, body)
    assert list_all(server) == before
    assert list_all(server, token=tok, account=other["id"]) == before_theirs


# ------------------------------------------------------------------ roles and scopes

def test_roles(server):
    for email, role, status in (("admin@example.com", "admin", 200),
                                ("dm@example.com", "domain-manager", 403),
                                ("zo@example.com", "zone-operator", 403)):
        server.create_user(email)
        server.add_member(server.account_id, email, role, domains=("example.com",)
                          if role == "domain-manager" else (),
                          zones=("example.com",) if role == "zone-operator" else ())
        tok = server.create_token(user=email)["token"]
        r, body = call(server, "GET", base(server), token=tok)
        assert r.status_code == status, (role, body)
        r, body = call(server, "POST", base(server), token=tok, json=VALID)
        assert r.status_code == (201 if status == 200 else 403), (role, body)


def test_scopes(server):
    c = create(server)
    read = server.create_token(account=server.account_id, scopes=["contacts:*:read"])["token"]
    write = server.create_token(account=server.account_id,
                                scopes=["contacts:*:write"])["token"]
    zones = server.create_token(account=server.account_id, scopes=["zones:*:write"])["token"]
    item = "%s/%d" % (base(server), c["id"])
    r, _ = call(server, "GET", item, token=read)
    assert r.status_code == 200
    r, body = call(server, "PATCH", item, token=read, json={"label": "x"})
    assert r.status_code == 403
    assert body["message"] == "Permission Denied. Required Scope: contacts:*:write"
    r, body = call(server, "PATCH", item, token=write, json={"label": "x"})
    assert r.status_code == 200 and body["data"]["label"] == "x"
    r, body = call(server, "GET", base(server), token=zones)
    assert r.status_code == 403, body
    r, body = call(server, "DELETE", item, token=zones)
    assert r.status_code == 403, body
    assert json.dumps(list_all(server)) and len(list_all(server)) == 1
