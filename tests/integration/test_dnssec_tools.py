"""Signed zones checked by BIND's and ldns' tools (issue 7).

- `delv` (bind9-dnsutils) asks the server itself, with the zone's DNSKEY as its only
  trust anchor (`-a` file with `trust-anchors { "secure.test." static-key ...; }`,
  `+root=secure.test`): positive, NXDOMAIN, NODATA, wildcard, CNAME, ALIAS, URL and POOL
  answers are "fully validated"; names under the corrupt-signature hook
  (NAMEPLATE_TEST_BAD_RRSIG=bad, docs/dnssec.md) fail validation.
- `dnssec-verify -z` (bind9-utils) and `ldns-verify-zone` (ldnsutils) read the AXFR
  (transfer-allow 127.0.0.1/32) of every signed test zone: test_dnssec_answers.py's
  secure.test, the differential test's zone files and pseudo.test, each signed through
  the API. Neither may report an error. In secure.test and pseudo.test, ALIAS, wildcard
  ALIAS, URL and POOL names transfer as the A, AAAA and CNAME they answer with, signed at
  transfer time, and their NSEC3 RRs list just what the AXFR carries there (signed at
  transfer time too): ALIAS targets with A only (alias4), AAAA only (alias6) and neither
  (alias0: no NSEC3, the name is not in the transfer; aliasent: an empty non-terminal
  above sub.aliasent; a.b.gone: gone with the empty non-terminals above it), and a POOL
  beside a TXT (pool2: transfers without the CNAME).
- As a secondary would: the AXFR'd NSEC3 of those names, their bitmaps, and their RRSIGs
  checked with dnspython's `dns.dnssec.validate` against the zone's keys from the API.
"""

import os
import shutil
import subprocess

import dns.dnssec
import dns.name
import dns.query
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

from npt.dnsdiff import ZONES, ZONES_DIR
from test_dnssec_answers import ZONE, add_record, ask, make_signed_zone, wait_for

pytestmark = pytest.mark.server

PSEUDO = "pseudo.test"  # ALIAS, URL and POOL whose answers cover every type they list
PSEUDO_RECORDS = [
    ("www", "A", "192.0.2.80"), ("www", "AAAA", "2001:db8::80"),
    ("m1", "A", "192.0.2.31"), ("m2", "A", "192.0.2.32"),
    ("alias", "ALIAS", "www.pseudo.test"), ("*.walias", "ALIAS", "www.pseudo.test"),
    ("url", "URL", "https://example.net/"),
    ("pool", "POOL", "m1.pseudo.test"), ("pool", "POOL", "m2.pseudo.test"),
    # ALIAS targets with AAAA only and with neither address; a POOL beside a TXT
    ("v6", "AAAA", "2001:db8::6"), ("txt", "TXT", "no addresses"),
    ("alias6", "ALIAS", "v6.pseudo.test"), ("alias0", "ALIAS", "txt.pseudo.test"),
    ("aliasent", "ALIAS", "txt.pseudo.test"), ("sub.aliasent", "A", "192.0.2.7"),
    ("a.b.gone", "ALIAS", "txt.pseudo.test"),
    ("pool2", "POOL", "m1.pseudo.test"), ("pool2", "TXT", "beside a POOL"),
]
DELV = shutil.which("delv") or "/usr/bin/delv"
DNSSEC_VERIFY = shutil.which("dnssec-verify") or "/usr/bin/dnssec-verify"
LDNS_VERIFY = shutil.which("ldns-verify-zone") or "/usr/bin/ldns-verify-zone"
TOOL_TIMEOUT = 30


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


@pytest.fixture(scope="module")
def signed_zones(tmp_path_factory):
    """One server: secure.test (from test_dnssec_answers) and the differential zones, all
    signed; the hook corrupts RRSIGs of names with the label "bad" in answers."""
    for tool in (DELV, DNSSEC_VERIFY, LDNS_VERIFY):
        assert os.access(tool, os.X_OK), "%s missing: run scripts/setup" % tool
    from npt import paths
    from npt.server import Server, binary_exists
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    work = tmp_path_factory.mktemp("dnssec-tools")
    s = Server(work / "nameplate", binary=binary,
               serve_args={"--redirect-addresses": "127.0.0.1,::1",
                           "--transfer-allow": "127.0.0.1/32"},
               env={"NAMEPLATE_TEST_BAD_RRSIG": "bad"})
    s.bootstrap()
    for z in ZONES:
        s._run(["zone", "import", "--data", s.data_dir, "--account", str(s.account_id),
                "--zone", z, os.path.join(ZONES_DIR, z + ".zone"), "--json"])
    s.start()
    try:
        keys = make_signed_zone(s)
        r = s.post("/v2/%d/domains" % s.account_id, token=s.token, json={"name": PSEUDO})
        assert r.status_code == 201, r.text
        for name, rtype, content in PSEUDO_RECORDS:
            add_record(s, name, rtype, content, zone=PSEUDO)
        for z in ZONES + [PSEUDO]:
            r = s.post("/v2/%d/domains/%s/dnssec" % (s.account_id, z), token=s.token)
            assert r.status_code == 201, r.text
            assert wait_for(lambda: any(x.rdtype == dns.rdatatype.RRSIG
                                        for x in ask(s.dns_port, z, "SOA").answer), 10), z
        anchor = work / "anchors.conf"
        with open(anchor, "w") as f:
            f.write("trust-anchors {\n" + "".join(
                '    "%s." static-key %d %d %d "%s";\n' % (ZONE, k["flags"], k["protocol"],
                                                         k["algorithm"], k["public_key"])
                for k in keys) + "};\n")
        yield {"server": s, "anchor": str(anchor), "work": work, "keys": keys}
    finally:
        s.stop(check=True)


def delv(ctx, name, rdtype):
    return run([DELV, "@127.0.0.1", "-p", str(ctx["server"].dns_port), "-a", ctx["anchor"],
                "+root=%s" % ZONE, "+nortrace", "+nomtrace", name, rdtype])


DELV_CASES = [  # name (under ZONE), type, what delv must validate
    ("www", "A", "answer"), ("www", "AAAA", "answer"), ("", "DNSKEY", "answer"),
    ("", "SOA", "answer"),
    ("nx", "A", "nxdomain"),
    ("a.b.deep.ent", "A", "nxdomain"),       # below an existing name
    ("www", "TXT", "nodata"),
    ("ent", "A", "nodata"),                  # empty non-terminal
    ("x.wild", "A", "answer"),               # wildcard answer
    ("x.wild", "MX", "nodata"),              # wildcard NODATA
    ("cname", "A", "answer"),                # CNAME to an A
    ("withds", "DS", "answer"), ("insecure", "DS", "nodata"),
    ("alias", "A", "answer"), ("alias", "AAAA", "answer"), ("alias4", "AAAA", "nodata"),
    ("url", "A", "answer"), ("pool", "A", "answer"), ("pool", "TXT", "nodata"),
]
# delv's verdict lines: "; fully validated" for data, "; negative response, fully
# validated" then ";; resolution failed: ncache nxdomain|nxrrset" for a proven denial
NEGATIVE = {"nxdomain": "ncache nxdomain", "nodata": "ncache nxrrset"}


@pytest.mark.parametrize("name,rdtype,kind", DELV_CASES,
                         ids=["%s/%s" % (n or "@", t) for n, t, _ in DELV_CASES])
def test_delv_fully_validates(signed_zones, name, rdtype, kind):
    qname = "%s.%s" % (name, ZONE) if name else ZONE
    rc, out = delv(signed_zones, qname, rdtype)
    lines = out.splitlines()
    assert "validation failed" not in out.lower(), out
    if kind == "answer":
        assert rc == 0 and lines[0] == "; fully validated", out
        assert "resolution failed" not in out, out
    else:
        assert lines[0] == "; negative response, fully validated", out
        assert ";; resolution failed: %s" % NEGATIVE[kind] in lines, out


@pytest.mark.parametrize("name", ["www.bad", "alias.bad"])
def test_delv_rejects_corrupt_signatures(signed_zones, name):
    rc, out = delv(signed_zones, "%s.%s" % (name, ZONE), "A")
    low = out.lower()
    assert "fully validated" not in low and ("validation failed" in low
                                             or "resolution failed" in low), out


def axfr(ctx, zone):
    return dns.zone.from_xfr(dns.query.xfr("127.0.0.1", zone + ".",
                                           port=ctx["server"].dns_port, lifetime=10,
                                           relativize=False), relativize=False)


def axfr_file(ctx, zone):
    """The zone by AXFR from the server, written as a master file; its path."""
    z = axfr(ctx, zone)
    path = os.path.join(str(ctx["work"]), "%s.axfr" % zone)
    z.to_file(path, relativize=False)
    return path


SIGNED_ZONES = [ZONE, PSEUDO] + ZONES


@pytest.mark.parametrize("zone", SIGNED_ZONES)
def test_dnssec_verify_accepts_axfr(signed_zones, zone):
    rc, out = run([DNSSEC_VERIFY, "-z", "-o", zone, axfr_file(signed_zones, zone)])
    assert rc == 0 and "Zone fully signed" in out, out


@pytest.mark.parametrize("zone", SIGNED_ZONES)
def test_ldns_verify_zone_accepts_axfr(signed_zones, zone):
    rc, out = run([LDNS_VERIFY, axfr_file(signed_zones, zone)])
    assert rc == 0 and "Zone is verified and complete" in out, out


def nsec3_owner(zone, name):
    """The owner of name's NSEC3 (RFC 9276 parameters: SHA-1, no salt, no iterations)."""
    h = dns.dnssec.nsec3_hash(name, salt=None, iterations=0, algorithm=1)
    return dns.name.from_text("%s.%s." % (h.lower(), zone))


SECONDARY_CASES = [  # zone, name, the types its AXFR'd NSEC3 must list (None: no NSEC3)
    (ZONE, "alias4", {"A", "RRSIG"}),        # the target has A, no AAAA
    (ZONE, "alias", {"A", "AAAA", "RRSIG"}),
    (ZONE, "pool", {"CNAME", "RRSIG"}),
    (PSEUDO, "alias6", {"AAAA", "RRSIG"}),   # AAAA, no A
    (PSEUDO, "alias0", None),                # neither: not in the transfer
    (PSEUDO, "aliasent", set()),             # neither, a name below: empty non-terminal
    (PSEUDO, "a.b.gone", None), (PSEUDO, "b.gone", None), (PSEUDO, "gone", None),
    (PSEUDO, "pool2", {"TXT", "RRSIG"}),     # the POOL does not transfer beside a TXT
    (PSEUDO, "url", {"A", "AAAA", "RRSIG"}),
]


@pytest.mark.parametrize("zone,name,types", SECONDARY_CASES,
                         ids=["%s/%s" % (z, n) for z, n, _ in SECONDARY_CASES])
def test_axfr_nsec3_as_a_secondary_sees_it(signed_zones, zone, name, types):
    """What a secondary proves a NODATA with: the AXFR'd NSEC3 of an ALIAS/URL/POOL name
    lists exactly what the AXFR carries there, and its RRSIG validates under the zone's
    DNSKEY (the keys the API gives for the DS, for secure.test; the AXFR's for the
    other, itself validated)."""
    z = axfr(signed_zones, zone)
    owner = nsec3_owner(zone, "%s.%s." % (name, zone))
    node = z.get_node(owner)
    if types is None:
        assert node is None, "%s has an NSEC3 but no data in the AXFR" % name
        return
    nsec3 = z.find_rrset(owner, dns.rdatatype.NSEC3)
    listed = set(nsec3[0].to_text().split()[5:])
    assert listed == types, (name, nsec3.to_text())
    apex = dns.name.from_text(zone + ".")
    dnskey = z.find_rrset(apex, dns.rdatatype.DNSKEY)
    if zone == ZONE:
        dnskey = dns.rrset.from_text_list(apex, 3600, "IN", "DNSKEY", [
            "%d %d %d %s" % (k["flags"], k["protocol"], k["algorithm"], k["public_key"])
            for k in signed_zones["keys"]])
    else:
        dns.dnssec.validate(dnskey, z.find_rrset(apex, dns.rdatatype.RRSIG,
                                                 dns.rdatatype.DNSKEY), {apex: dnskey})
    sig = z.find_rrset(owner, dns.rdatatype.RRSIG, dns.rdatatype.NSEC3)
    dns.dnssec.validate(nsec3, sig, {apex: dnskey})  # raises ValidationFailure
