"""Signed zones checked by BIND's and ldns' tools (issue 7).

- `delv` (bind9-dnsutils) asks the server itself, with the zone's DNSKEY as its only
  trust anchor (`-a` file with `trust-anchors { "secure.test." static-key ...; }`,
  `+root=secure.test`): positive, NXDOMAIN, NODATA, wildcard, CNAME, ALIAS, URL and POOL
  answers are "fully validated"; names under the corrupt-signature hook
  (NAMEPLATE_TEST_BAD_RRSIG=bad, docs/dnssec.md) fail validation.
- `dnssec-verify -z` (bind9-utils) and `ldns-verify-zone` (ldnsutils) read the AXFR
  (transfer-allow 127.0.0.1/32) of every signed test zone: the differential test's zone
  files and pseudo.test (ALIAS, wildcard ALIAS, URL and POOL: the AXFR carries the A, AAAA
  and CNAME they answer with, signed at transfer time), each signed through the API.
  Neither may report an error. test_dnssec_answers.py's secure.test has one known fault
  in its AXFR (an ALIAS whose target has no AAAA, see the last test), and nothing else.
"""

import os
import shutil
import subprocess

import dns.query
import dns.rdatatype
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
        yield {"server": s, "anchor": str(anchor), "work": work}
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


def axfr_file(ctx, zone):
    """The zone by AXFR from the server, written as a master file; its path."""
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", zone + ".", port=ctx["server"].dns_port,
                                        lifetime=10, relativize=False), relativize=False)
    path = os.path.join(str(ctx["work"]), "%s.axfr" % zone)
    z.to_file(path, relativize=False)
    return path


SIGNED_ZONES = [PSEUDO] + ZONES


@pytest.mark.parametrize("zone", SIGNED_ZONES)
def test_dnssec_verify_accepts_axfr(signed_zones, zone):
    rc, out = run([DNSSEC_VERIFY, "-z", "-o", zone, axfr_file(signed_zones, zone)])
    assert rc == 0 and "Zone fully signed" in out, out


@pytest.mark.parametrize("zone", [ZONE] + SIGNED_ZONES)
def test_ldns_verify_zone_accepts_axfr(signed_zones, zone):
    rc, out = run([LDNS_VERIFY, axfr_file(signed_zones, zone)])
    assert rc == 0 and "Zone is verified and complete" in out, out


def test_dnssec_verify_on_secure_test_finds_only_the_narrow_alias(signed_zones):
    """secure.test's AXFR: its one known fault is alias4, an ALIAS whose target has A but
    no AAAA. The chain's NSEC3 for an ALIAS name lists A and AAAA (docs/dnssec.md); answers
    narrow it at query time, but the AXFR carries the chain's NSEC3 with AAAA in its bitmap
    and no AAAA RRset, which dnssec-verify rejects (ldns-verify-zone does not check
    bitmaps), and a secondary would serve a NODATA for alias4 AAAA whose proof fails.
    Every other name must verify (ALIAS, URL and POOL included). When the transfer
    narrows that NSEC3 too, this test fails: then move ZONE into SIGNED_ZONES."""
    rc, out = run([DNSSEC_VERIFY, "-z", "-o", ZONE, axfr_file(signed_zones, ZONE)])
    faults = [line for line in out.splitlines() if "secure.test" in line
              and ("No signatures" in line or "Bad NSEC3" in line or "bit map" in line)]
    assert rc != 0 and faults == ["Bad NSEC3 record for alias4.secure.test, bit map mismatch"], out
