"""The API contract: openapi.yml and the recorded .http fixtures.

check(resp) is THE validation every test runs on every /v2 response: the
status code must be one the operation lists (or its `default`, or one of the
generic statuses any endpoint may answer), the JSON body must validate against
that response's schema, and the headers we promise must be there.

compare_fixture(body, "whoami/success-account.http") checks that a body has
the same keys, recursively, and the same JSON types as a recorded response.
"""

import copy
import datetime
import functools
import json
import os
import re
import urllib.parse

import jsonschema
import requests
import yaml

from . import paths

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Statuses that any endpoint may answer although few operations list them:
# 400 (malformed JSON, bad query parameters), 401 (authentication), 403
# (scoped tokens), 404 (unknown id, another account), 405 (wrong method), 413
# (body too large), 429 (rate limit). Their body is the generic error of
# v2.md ("Errors"): {"message": string}, for 400 optionally with "errors".
# A 405 may also come with an empty body, as in
# fixtures/v2/api/method-not-allowed.http.
GENERIC_ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
GENERIC_STATUSES = {
    400: {"$ref": "#/components/responses/400/content/application~1json/schema"},
    401: GENERIC_ERROR_SCHEMA,
    403: GENERIC_ERROR_SCHEMA,
    404: GENERIC_ERROR_SCHEMA,
    405: GENERIC_ERROR_SCHEMA,
    413: GENERIC_ERROR_SCHEMA,
    429: GENERIC_ERROR_SCHEMA,
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

# Fixture folders whose name is not the operationId in openapi.yml.
FIXTURE_DIR_TO_OPERATION = {
    "accounts": "listAccounts",
    "appliedServices": "listDomainAppliedServices",
    "applyService": "applyServiceToDomain",
    "applyTemplate": "applyTemplateToDomain",
    "createDelegationSignerRecord": "createDomainDelegationSignerRecord",
    "deleteDelegationSignerRecord": "deleteDomainDelegationSignerRecord",
    "disableDnssec": "disableDomainDnssec",
    "dnsAnalytics": "queryDnsAnalytics",
    "enableDnssec": "enableDomainDnssec",
    "getDelegationSignerRecord": "getDomainDelegationSignerRecord",
    "getDnssec": "getDomainDnssec",
    "initiatePush": "initiateDomainPush",
    "listDelegationSignerRecords": "listDomainDelegationSignerRecords",
    "oauthAccessToken": "oauthToken",
    "renewDomain": "domainRenew",
    "restoreDomain": "domainRestore",
    "unapplyService": "unapplyServiceFromDomain",
}


# Where openapi.yml and the recorded fixtures disagree, DESIGN.md says the
# server gives the type the fixture shows. check() validates against the spec
# with these patches applied; each one names the fixtures that show the
# fixture's form, and test_contract_selftest.py proves that every patch is
# needed by them. Contract.load(raw=True) gives the unpatched spec.
# (JSON pointer into openapi.yml, replacement or function(spec) -> replacement,
#  fixtures, why)
def _nullable(type_name):
    return {"type": [type_name, "null"]}


_REF_400 = "#/components/responses/400/content/application~1json/schema"
_RESEARCH = "/paths/~1{account}~1domains~1research~1status/get/responses"

SPEC_OVERRIDES = [
    ("/components/responses/400/content/application~1json/schema",
     {"type": "object", "required": ["message"],
      "properties": {"message": {"type": "string"},
                     "errors": {"type": "object", "additionalProperties": {
                         "anyOf": [{"type": "array", "items": {"type": "string"}},
                                   {"type": "string"}]}}}},
     ["validation-error.http", "createContact/error-validation-errors.http",
      "createDelegationSignerRecord/validation-error.http",
      "transferDomain/error-missing-authcode.http",
      "registerDomain/error-extended-attributes.http",
      "getDomainPrices/failure.http", "transferDomain/error-indnsimple.http"],
     "v2.md and the fixtures: `errors` is optional and maps a field to a list of "
     "messages (once a plain string); the spec requires it and makes each value an "
     "object {field, errors}"),
    ("/components/schemas/DelegationSigner/properties/public_key", _nullable("string"),
     ["createDelegationSignerRecord/created.http", "getDelegationSignerRecord/success.http",
      "listDelegationSignerRecords/success.http"], "fixtures have null"),
    ("/components/schemas/RegistrantChange/properties/irt_lock_lifted_by",
     {"$ref": "#/components/schemas/NullableDate"},
     ["createRegistrantChange/success.http", "getRegistrantChange/success.http",
      "listRegistrantChanges/success.http", "deleteRegistrantChange/success_async.http"],
     "fixtures have null"),
    ("/components/schemas/DomainTransfer/properties/status_description", _nullable("string"),
     ["cancelDomainTransfer/success.http"], "fixture has null"),
    ("/components/schemas/Certificate/properties/csr", _nullable("string"),
     ["issueLetsencryptCertificate/success.http",
      "issueRenewalLetsencryptCertificate/success.http"], "fixtures have null"),
    ("/components/schemas/Certificate/properties/expires_at",
     {"$ref": "#/components/schemas/NullableDateTime"},
     ["issueLetsencryptCertificate/success.http",
      "issueRenewalLetsencryptCertificate/success.http"], "fixtures have null"),
    ("/components/schemas/Certificate/properties/expires_on",
     {"$ref": "#/components/schemas/NullableDate"},
     ["issueLetsencryptCertificate/success.http",
      "issueRenewalLetsencryptCertificate/success.http"], "fixtures have null"),
    ("/components/schemas/Domain/properties/expires_on",
     {"$ref": "#/components/schemas/NullableDate"},
     ["createDomain/created.http", "listDomains/success.http"],
     "fixtures have null (a hosted, unregistered domain)"),
    ("/components/schemas/WhoisPrivacy/properties/enabled", _nullable("boolean"),
     ["enableWhoisPrivacy/created.http"], "fixture has null"),
    ("/components/schemas/WhoisPrivacy/properties/expires_on",
     {"$ref": "#/components/schemas/NullableDate"},
     ["enableWhoisPrivacy/created.http"], "fixture has null"),
    ("/components/schemas/Push/properties/contact_id", _nullable("integer"),
     ["initiatePush/success.http", "listPushes/success.http"], "fixtures have null"),
    ("/components/schemas/ServiceSetting/properties/example", _nullable("string"),
     ["appliedServices/success.http"], "fixture has null"),
    ("/components/schemas/TemplateRecord/properties/priority", _nullable("integer"),
     ["createTemplateRecord/created.http", "getTemplateRecord/success.http"],
     "fixtures have an integer (as ZoneRecord.priority); the spec says string"),
    ("/components/schemas/TLD/properties/name_server_min", {"type": "string"},
     ["getTld/success.http", "listTlds/success.http"],
     "fixtures have a string (\"2\"); the spec says integer"),
    ("/components/schemas/TLD/properties/name_server_max", {"type": "string"},
     ["getTld/success.http", "listTlds/success.http"],
     "fixtures have a string (\"13\"); the spec says integer"),
    ("/paths/~1{account}~1dns_analytics/get/responses/200/content/application~1json"
     "/schema/properties/data/properties/rows/items",
     {"type": "array", "items": {"type": ["string", "integer"]}},
     ["dnsAnalytics/success.http"],
     "each row is an array of cells; the spec makes each row a single cell"),
    (_RESEARCH + "/400",
     lambda spec: {"description": "Invalid request, or a domain that cannot be researched",
                   "content": {"application/json": {"schema": {"anyOf": [
                       {"$ref": _REF_400},
                       pointer_get(spec, _RESEARCH + "/200/content/application~1json/schema"),
                   ]}}}},
     ["getDomainsResearchStatus/error-validation.http"],
     "the fixture's 400 has the 200 shape (data with availability and errors)"),
]


class ContractError(AssertionError):
    """A response breaks the contract."""


# ----------------------------------------------------------------- formats

_DATE_TIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value):
    if not isinstance(value, str):
        return True
    if not _DATE_TIME_RE.match(value):
        raise ValueError("not an RFC 3339 date-time: %r" % value)
    datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value):
    if not isinstance(value, str):
        return True
    if not _DATE_RE.match(value):
        raise ValueError("not a YYYY-MM-DD date: %r" % value)
    datetime.date.fromisoformat(value)
    return True


@FORMAT_CHECKER.checks("email")
def _is_email(value):
    return not isinstance(value, str) or "@" in value


def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def pointer_get(doc, pointer):
    node = doc
    for token in pointer.lstrip("/").split("/"):
        token = _unescape(token)
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def pointer_set(doc, pointer, value):
    tokens = [_unescape(t) for t in pointer.lstrip("/").split("/")]
    parent = pointer_get(doc, "/" + "/".join(t.replace("~", "~0").replace("/", "~1")
                                                 for t in tokens[:-1])) if len(tokens) > 1 else doc
    if tokens[-1] not in parent:
        raise KeyError("override target %s does not exist in openapi.yml" % pointer)
    parent[tokens[-1]] = value


def apply_overrides(spec, overrides):
    """A deep copy of spec with the overrides applied."""
    spec = copy.deepcopy(spec)
    for pointer, value, _fixtures, _why in overrides:
        pointer_set(spec, pointer, value(spec) if callable(value) else copy.deepcopy(value))
    return spec



# -------------------------------------------------------------------- spec

class Operation:
    def __init__(self, contract, method, template, op):
        self.contract = contract
        self.method = method.upper()
        self.template = template
        self.id = op.get("operationId")
        self.responses = op.get("responses", {})
        self.segments = [s for s in template.split("/") if s]

    def __repr__(self):
        return "<Operation %s %s %s>" % (self.id, self.method, self.template)

    def match(self, path):
        """Score of `path` (without /v2) against the template, None if no match."""
        segs = [s for s in path.split("/") if s]
        if len(segs) != len(self.segments):
            return None
        score = []
        for tmpl, seg in zip(self.segments, segs):
            if tmpl.startswith("{") and tmpl.endswith("}"):
                score.append(0)
            elif tmpl == urllib.parse.unquote(seg):
                score.append(1)
            else:
                return None
        return tuple(score)

    def response_for(self, status):
        """(key, response object with $refs resolved) for a status, or (None, None)."""
        for key in (str(status), "%dXX" % (status // 100), "default"):
            if key in self.responses:
                return key, self.contract.deref(self.responses[key])
        return None, None


class Contract:
    def __init__(self, spec):
        self.spec = spec
        self.resolver = jsonschema.RefResolver.from_schema(spec)
        self.operations = []
        self.by_id = {}
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if method in HTTP_METHODS:
                    o = Operation(self, method, template, op)
                    self.operations.append(o)
                    self.by_id[o.id] = o

    @classmethod
    def load(cls, path=None, raw=False, overrides=None):
        """openapi.yml with SPEC_OVERRIDES applied (raw=True: as published)."""
        spec = _read_yaml(os.path.abspath(path or paths.openapi_path()))
        if raw:
            return cls(copy.deepcopy(spec))
        return cls(apply_overrides(spec, SPEC_OVERRIDES if overrides is None else overrides))

    def deref(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            seen += 1
            if seen > 20:
                raise ContractError("$ref loop at %r" % node["$ref"])
            _, node = self.resolver.resolve(node["$ref"])
        return node

    def operation(self, operation_id):
        try:
            return self.by_id[operation_id]
        except KeyError:
            raise ContractError("no operation %r in openapi.yml" % operation_id) from None

    def find(self, method, path):
        """The operation for an HTTP method and a path (with or without /v2)."""
        path = strip_v2(path)
        best, best_score = None, None
        for op in self.operations:
            if op.method != method.upper():
                continue
            score = op.match(path)
            if score is not None and (best_score is None or score > best_score):
                best, best_score = op, score
        return best

    def methods_for(self, path):
        path = strip_v2(path)
        return sorted({op.method for op in self.operations if op.match(path) is not None})

    def validator(self, schema):
        return jsonschema.Draft202012Validator(
            schema, resolver=self.resolver, format_checker=FORMAT_CHECKER)

    def validate(self, instance, schema, what="body"):
        errors = sorted(self.validator(schema).iter_errors(instance),
                        key=lambda e: list(e.absolute_path))
        if errors:
            lines = []
            for e in errors[:10]:
                where = "/".join(str(p) for p in e.absolute_path) or "(root)"
                lines.append("  at %s: %s" % (where, e.message[:300]))
                for sub in (e.context or [])[:6]:
                    subwhere = "/".join(str(p) for p in sub.absolute_path) or "(root)"
                    lines.append("    - alternative at %s: %s" % (subwhere, sub.message[:200]))
            raise ContractError("%s does not match its schema:\n%s" % (what, "\n".join(lines)))

    def response_schema(self, operation, status):
        """The JSON schema for a status of an operation (an Operation, an id or None).

        Returns (schema or None, source). schema None means "no JSON body is
        described"; raises ContractError when the status is not allowed at all.
        """
        op = operation
        if isinstance(op, str):
            op = self.operation(op)
        if op is not None:
            key, resp = op.response_for(status)
            if resp is not None:
                content = resp.get("content") or {}
                media = content.get("application/json")
                if media is None and content:
                    media = next(iter(content.values()))
                schema = (media or {}).get("schema")
                if schema is None and status >= 400:
                    # A listed error without a schema (e.g. 412) is still
                    # a generic error per v2.md: {"message": ...}.
                    schema = GENERIC_ERROR_SCHEMA
                return schema, "%s responses[%s]" % (op.id, key)
        if status in GENERIC_STATUSES:
            return GENERIC_STATUSES[status], "generic %d" % status
        if op is None:
            raise ContractError("status %d on a path/method that openapi.yml does not have"
                                % status)
        raise ContractError("status %d is not listed for %s (listed: %s) and it has no default"
                            % (status, op.id, ", ".join(sorted(op.responses))))

    def validate_body(self, operation, status, body):
        """Validate a parsed JSON body for (operation, status)."""
        schema, source = self.response_schema(operation, status)
        if schema is not None:
            self.validate(body, schema, "body of %d (%s)" % (status, source))

    # ------------------------------------------------------------- check()

    def check(self, resp, operation_id=None, headers=True):
        """Validate a requests.Response against the contract; returns the parsed body.

        The operation is found by method and path unless operation_id is
        given. headers=False skips the header checks (only for responses that
        do not come from the API, never for /v2).
        """
        method = resp.request.method
        path = urllib.parse.urlsplit(resp.request.url).path
        status = resp.status_code
        where = "%s %s -> %d" % (method, path, status)
        op = self.operation(operation_id) if operation_id else self.find(method, path)
        if op is not None and operation_id is None and not path.startswith("/v2/"):
            raise ContractError("%s: API paths start with /v2" % where)

        try:
            if headers:
                check_headers(resp)
            raw = resp.content or b""
            if status == 204 or method == "HEAD" or status == 304:
                if raw:
                    raise ContractError("a %d response must have no body, got %r"
                                        % (status, raw[:200]))
                self.response_schema(op, status)  # the status must still be allowed
                return None
            if not raw:
                if status == 405:
                    self.response_schema(op, status)
                    return None
                raise ContractError("empty body")
            ctype = resp.headers.get("Content-Type", "")
            if normalize_content_type(ctype) != JSON_CONTENT_TYPE:
                raise ContractError("Content-Type is %r, want %r" % (ctype, JSON_CONTENT_TYPE))
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise ContractError("body is not JSON (%s): %r" % (e, raw[:200])) from None
            self.validate_body(op, status, body)
            return body
        except ContractError as e:
            raise ContractError("%s (%s): %s\nbody: %s" % (
                where, op.id if op else "no operation", e, (resp.content or b"")[:500])) from None


def strip_v2(path):
    path = urllib.parse.urlsplit(path).path or path
    if path == "/v2":
        return "/"
    if path.startswith("/v2/"):
        return path[3:]
    return path


def normalize_content_type(value):
    parts = [p.strip() for p in value.split(";") if p.strip()]
    if not parts:
        return ""
    return "; ".join([parts[0].lower()] + [p.replace(" ", "").lower() for p in parts[1:]])


def check_headers(resp):
    """The headers every API response carries: rate limit and request id."""
    missing = [h for h in RATE_LIMIT_HEADERS + ("X-Request-Id",) if h not in resp.headers]
    if missing:
        raise ContractError("missing headers: %s (have: %s)"
                            % (", ".join(missing), ", ".join(resp.headers)))
    for h in RATE_LIMIT_HEADERS:
        value = resp.headers[h]
        if not re.fullmatch(r"\d+", value.strip()):
            raise ContractError("%s is not a non-negative integer: %r" % (h, value))
    if not resp.headers["X-Request-Id"].strip():
        raise ContractError("X-Request-Id is empty")


@functools.lru_cache(maxsize=4)
def _read_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.lru_cache(maxsize=4)
def _load(path):
    return Contract.load(path)


def contract():
    """The contract, loaded once per process."""
    return _load(paths.openapi_path())


def check(resp, operation_id=None, headers=True):
    """Validate `resp` against openapi.yml (see Contract.check); returns the body."""
    return contract().check(resp, operation_id=operation_id, headers=headers)


# ---------------------------------------------------------------- fixtures

class HttpFixture:
    """A recorded response: status, headers (lower-case names), raw body."""

    def __init__(self, name, status, reason, headers, text):
        self.name = name
        self.status = status
        self.reason = reason
        self.headers = headers
        self.text = text

    def json(self):
        return json.loads(self.text)

    def has_json_body(self):
        if not self.text.strip():
            return False
        try:
            self.json()
        except ValueError:
            return False
        return True

    def __repr__(self):
        return "<HttpFixture %s %d>" % (self.name, self.status)


def parse_http(text, name="<text>"):
    """Parse a .http fixture: status line, headers, blank line, body."""
    text = text.replace("\r\n", "\n")
    head, sep, body = text.partition("\n\n")
    if not sep:
        head, body = text.rstrip("\n"), ""
    lines = head.split("\n")
    m = re.match(r"^HTTP/\d(?:\.\d)?\s+(\d{3})\s*(.*)$", lines[0])
    if not m:
        raise ValueError("%s: bad status line %r" % (name, lines[0]))
    headers = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        k, colon, v = line.partition(":")
        if not colon:
            raise ValueError("%s: bad header line %r" % (name, line))
        headers[k.strip().lower()] = v.strip()
    return HttpFixture(name, int(m.group(1)), m.group(2).strip(), headers, body.strip())


def load_fixture(name):
    """load_fixture("whoami/success-account.http") -> HttpFixture."""
    path = os.path.join(paths.fixtures_dir(), name)
    with open(path, encoding="utf-8") as f:
        return parse_http(f.read(), name)


def all_fixtures():
    """Every .http file under fixtures/v2/api, as names relative to it, sorted."""
    root = paths.fixtures_dir()
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            if f.endswith(".http"):
                out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(out)


def fixture_operation(name):
    """The operationId a fixture belongs to, from its folder; None for top-level files."""
    folder = os.path.dirname(name)
    if not folder:
        return None
    return FIXTURE_DIR_TO_OPERATION.get(folder, folder)


def _json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def shape_diff(actual, expected, path="$", extra_keys=()):
    """Differences in keys and JSON types between two JSON values (list of strings).

    null in `expected` matches anything (check() has already validated the
    type against the schema). A float in `expected` also accepts an integer.
    Arrays: every element of `actual` is compared with the first element of
    `expected`. extra_keys: key names `actual` may have beyond `expected`.
    """
    if expected is None:
        return []
    te, ta = _json_type(expected), _json_type(actual)
    if te != ta and not (te == "number" and ta == "integer"):
        return ["%s: type %s, fixture has %s" % (path, ta, te)]
    diffs = []
    if te == "object":
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected) - set(extra_keys))
        if missing:
            diffs.append("%s: missing keys %s" % (path, missing))
        if extra:
            diffs.append("%s: keys not in the fixture %s" % (path, extra))
        for k in expected:
            if k in actual:
                diffs += shape_diff(actual[k], expected[k], "%s.%s" % (path, k), extra_keys)
    elif te == "array" and expected:
        for i, item in enumerate(actual):
            diffs += shape_diff(item, expected[0], "%s[%d]" % (path, i), extra_keys)
    return diffs


def compare_fixture(body, fixture_name, extra_keys=()):
    """Assert `body` has the keys and JSON types of the fixture's body; returns the fixture."""
    fx = load_fixture(fixture_name)
    diffs = shape_diff(body, fx.json(), extra_keys=extra_keys)
    if diffs:
        raise ContractError("body differs in shape from %s:\n  %s\nbody: %s" % (
            fixture_name, "\n  ".join(diffs), json.dumps(body)[:500]))
    return fx


def fake_response(method, url, status, headers=None, body=b""):
    """A requests.Response built by hand (for raw-socket exchanges and self-tests)."""
    resp = requests.Response()
    resp.status_code = status
    resp.headers = requests.structures.CaseInsensitiveDict(headers or {})
    resp._content = body if isinstance(body, bytes) else body.encode("utf-8")
    resp.url = url
    resp.request = requests.Request(method, url).prepare()
    return resp
