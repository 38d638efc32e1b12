"""List bodies written row by row (core/jsonw) against the single-object replies.

listZoneRecords, listZones and listDomains write their JSON straight from the store's
rows; getZoneRecord, getZone and getDomain give the same objects. Every list item must be
the same object as the get of its id, down to the bytes of its JSON text (same fields,
order and escaping), and every body must pass check() (openapi.yml) and parse as UTF-8
JSON. The records include TXT content with quotes, backslashes and non-ASCII text, which
the content rules turn into escaped presentation form.
"""

import json

import pytest

from npt import check
from test_records import api, srv  # noqa: F401 (fixtures: a server of this module's own)

pytestmark = pytest.mark.server


# (name, type, content, priority, regions): quoting, escapes and every optional field
RECORDS = [
    ("txt", "TXT", 'say "hi" back\\slash', None, None),
    ("txt2", "TXT", '"two" "strings with \\"quotes\\""', None, None),
    ("uni", "TXT", "ünïcödé 日本語 🎉", None, None),
    ("tab", "TXT", "tab\there", None, None),
    ("", "MX", "mx.example.com", 10, None),
    ("_sip._tcp", "SRV", "10 5060 sip.example.com", 20, None),
    ("www", "A", "192.0.2.1", None, ["SV1", "IAD"]),
    ("alias", "CNAME", "www.example.net", None, None),
    ("", "CAA", '0 issue "letsencrypt.org"', None, None),
    ("", "HINFO", '"ü" "x\\\\y"', None, None),
    ("go", "URL", "https://example.net/a?b=c&d=%C3%BC", None, None),
] + [("a%02d" % i, "A", "198.51.100.%d" % (i + 1), None, None) for i in range(30)]


def data_text(resp):
    """The raw JSON text of a {"data": X} body's X, as the server wrote it."""
    text = resp.content.decode("utf-8")
    assert text.startswith('{"data":') and text.endswith("}"), text[:80]
    return text[len('{"data":'):-1]


def item_texts(resp):
    """The raw JSON text of each item of a {"data": [...], "pagination": ...} body, cut
    where the parsed items say (no re-serialization: the bytes as sent)."""
    text = resp.content.decode("utf-8")
    body = json.loads(text)
    dec = json.JSONDecoder()
    pos = len('{"data":[')
    assert text.startswith('{"data":[')
    out, end = [], pos
    for i, item in enumerate(body["data"]):
        if i > 0:
            assert text[pos] == ","
            pos += 1
        value, end = dec.raw_decode(text, pos)
        assert value == item
        out.append(text[pos:end])
        pos = end
    assert text[end:].startswith('],"pagination":{"current_page":'), text[end:][:80]
    return out


def test_list_records_match_get_records(api):
    zone = api.new_zone("lists")
    for name, rtype, content, prio, regions in RECORDS:
        rec = {"name": name, "type": rtype, "content": content}
        if prio is not None:
            rec["priority"] = prio
        if regions is not None:
            rec["regions"] = regions
        api.create(zone, **rec)
    total = len(api.records(zone))
    assert total > len(RECORDS)  # the zone's SOA and NS records too
    seen = {}
    for per_page in (100, 7):
        page, pages = 1, 1
        while page <= pages:
            r = api.raw("GET", "/zones/%s/records?per_page=%d&page=%d" % (zone, per_page, page))
            body = check(r)
            assert r.status_code == 200
            assert r.headers["Content-Type"] == "application/json; charset=utf-8"
            assert int(r.headers["Content-Length"]) == len(r.content)
            pages = body["pagination"]["total_pages"]
            assert body["pagination"] == {"current_page": page, "per_page": per_page,
                                          "total_entries": total,
                                          "total_pages": -(-total // per_page)}
            for item, text in zip(body["data"], item_texts(r)):
                g = api.raw("GET", "/zones/%s/records/%d" % (zone, item["id"]))
                assert check(g)["data"] == item
                assert data_text(g) == text  # the same bytes: fields, order, escaping
                seen.setdefault(item["id"], item)
            page += 1
    assert len(seen) == total
    txt = {r["name"]: r["content"] for r in seen.values() if r["type"] == "TXT"}
    assert txt["txt"] == '"say \\"hi\\" back\\\\slash"'
    assert txt["uni"].startswith('"\\195\\188n')  # non-ASCII in presentation form
    www = next(r for r in seen.values() if r["name"] == "www")
    assert www["regions"] == ["SV1", "IAD"]
    mx = next(r for r in seen.values() if r["type"] == "MX")
    assert mx["priority"] == 10 and mx["parent_id"] is None and mx["system_record"] is False


def test_list_records_filters_and_empty_pages(api):
    zone = api.new_zone("filters")
    api.create(zone, name="one", type="TXT", content='quote " and \\ backslash')
    api.create(zone, name="one", type="A", content="192.0.2.1")
    api.create(zone, name="two", type="A", content="192.0.2.2")
    every = api.records(zone)
    apex = sum(1 for r in every if r["name"] == "")
    for query, count in (("type=TXT", 1), ("name=one", 2), ("name=one&type=a", 1),
                         ("name_like=ON", 2), ("name_like=o&type=A", 2), ("name=", apex),
                         ("name=@&type=SOA", 1), ("type=MX", 0), ("", len(every))):
        r = api.raw("GET", "/zones/%s/records?%s" % (zone, query))
        body = check(r)
        assert r.status_code == 200
        assert body["pagination"]["total_entries"] == count, (query, body["pagination"])
        assert len(body["data"]) == count, query
        for item, text in zip(body["data"], item_texts(r)):
            assert data_text(api.raw("GET", "/zones/%s/records/%d" % (zone, item["id"]))) == text
    # past the last page: no items, the same totals
    r = api.raw("GET", "/zones/%s/records?page=9" % zone)
    body = check(r)
    assert r.text.startswith('{"data":[],"pagination":{"current_page":9,')
    assert body["pagination"]["total_entries"] == len(every)


def test_list_zones_and_domains_match_get(api):
    names = [api.new_zone("lz") for _ in range(3)]
    for kind in ("zones", "domains"):
        r = api.raw("GET", "/%s?per_page=100&sort=id:desc" % kind)
        body = check(r)
        assert r.status_code == 200
        texts = item_texts(r)
        listed = {item["name"]: text for item, text in zip(body["data"], texts)}
        for name in names:
            g = api.raw("GET", "/%s/%s" % (kind, name))
            check(g)
            assert data_text(g) == listed[name], kind
        ids = [item["id"] for item in body["data"]]
        assert ids == sorted(ids, reverse=True)
