"""Scheduled DNSSEC key rollovers (issue 7; docs/dnssec.md, "Key rollovers").

A server with tiny rollover timers (a key lifetime of 20 s, a propagation delay of 2 s;
the zone's TTLs are 60 s, the smallest a record or the SOA/NS system records take, so one
rollover takes about 20 + 62 + 62 s) signs a zone and rolls its key by itself:

- ksk-zsk layout, the ZSK by pre-publication (RFC 7583 3.2.1). The zone, read by AXFR
  every 0.5 s, goes: DNSKEY {KSK, ZSK1} with www A signed by ZSK1 -> {KSK, ZSK1, ZSK2}
  still signed by ZSK1 -> signed by ZSK2 -> {KSK, ZSK2}. Meanwhile a validating resolver
  (unbound on loopback, the zone's DS from GET .../dnssec/ds as its trust anchor, a
  stub-zone pointing at the server) is asked for www A every 200 ms and must answer
  NOERROR with AD every time, across the whole rollover: its cache holds the DNSKEY
  RRset and signatures for their TTLs, which is what the timeline waits on.
- csk layout: the new CSK is published, then signs the zone while the old CSK keeps
  signing the DNSKEY RRset; the test plays the registry: once the DS extension lists the
  new key, it adds that DS to the domain's delegation signer records, and the old CSK
  goes after the propagation delay and the parent's DS TTL (2 + 2 s).

Each scenario runs once per module (a fixture records what was seen) and the tests assert
on the record, so the timeline and the validator are reported apart.
"""

import os
import shutil
import socket
import subprocess
import threading
import time

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone
import pytest
import requests

from npt import paths
from npt.server import Server, binary_exists, free_port, sanitizer_report, tail

LIFETIME = 20
PROPAGATION = 2
TTL = 60
# publish at LIFETIME, active Ipub = PROPAGATION + TTL later, removed Iret later again
ROLL_BOUND = LIFETIME + 2 * (PROPAGATION + TTL) + 60
UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"


def _server(tmp_path_factory, name, args):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    serve = {"--transfer-allow": "127.0.0.1", "--default-ttl": str(TTL),
             "--dnssec-propagation-delay": str(PROPAGATION)}
    serve.update(args)
    s = Server(tmp_path_factory.mktemp(name), binary=binary, serve_args=serve)
    s.bootstrap()
    s.start()
    return s


class Api:
    def __init__(self, server):
        self.s = server

    def __call__(self, method, path, status, **kw):
        r = self.s.request(method, "/v2/%s%s" % (self.s.account_id, path), token=self.s.token,
                           **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def signed_zone(self, zone):
        self("POST", "/domains", 201, json={"name": zone})
        self("POST", "/zones/%s/records" % zone, 201,
             json={"name": "www", "type": "A", "content": "192.0.2.80", "ttl": TTL})
        self("POST", "/domains/%s/dnssec" % zone, 201)

    def ds(self, zone):
        return self("GET", "/domains/%s/dnssec/ds" % zone, 200)["data"]


def axfr_state(port, zone):
    """(DNSKEY key tags, key tags of the RRSIGs over www A, serial) by AXFR."""
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", zone, port=port, lifetime=5))
    keys = z.get_rdataset("@", "DNSKEY")
    tags = frozenset(dns.dnssec.key_id(k) for k in keys) if keys else frozenset()
    sigs = z.get_rdataset("www", "RRSIG", covers="A")
    signers = frozenset(s.key_tag for s in sigs) if sigs else frozenset()
    soa = z.get_rdataset("@", "SOA")
    return tags, signers, soa[0].serial


class Watch:
    """AXFR the zone every 0.5 s: the distinct states seen, in order, with their times."""

    def __init__(self, port, zone):
        self.port, self.zone = port, zone
        self.states = []  # (t, dnskey tags, www A signer tags, serial)
        self.errors = []

    def poll(self):
        try:
            tags, signers, serial = axfr_state(self.port, self.zone)
        except Exception as e:  # a transfer that fails is a finding, not a crash
            self.errors.append(repr(e))
            return None
        if not self.states or self.states[-1][1:3] != (tags, signers):
            self.states.append((time.monotonic(), tags, signers, serial))
        return tags, signers

    def until(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.poll()
            if st is not None and cond(*st):
                return st
            time.sleep(0.5)
        raise AssertionError("%s: not within %d s; states seen: %s; errors: %s"
                             % (what, timeout, self.describe(), self.errors[-3:]))

    def describe(self):
        t0 = self.states[0][0] if self.states else 0
        return ["+%.1fs dnskey=%s signers=%s serial=%d" % (t - t0, sorted(k), sorted(s), n)
                for t, k, s, n in self.states]


class Unbound:
    """A validating resolver on loopback: trust anchor = the zone's DS, stub to the server."""

    def __init__(self, workdir, zone, ds_lines, server_port):
        self.port = free_port(udp_too=True)
        self.dir = str(workdir)
        conf = os.path.join(self.dir, "unbound.conf")
        anchors = "".join('    trust-anchor: "%s"\n' % d for d in ds_lines)
        with open(conf, "w") as f:
            f.write("""server:
    interface: 127.0.0.1
    port: %d
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "%s"
    pidfile: ""
    use-syslog: no
    logfile: "%s/unbound.log"
    verbosity: 1
    val-log-level: 2
    do-not-query-localhost: no
    module-config: "validator iterator"
    qname-minimisation: no
    prefetch: no
    prefetch-key: no
    aggressive-nsec: no
    harden-dnssec-stripped: yes
    val-permissive-mode: no
    local-zone: "test." nodefault
    domain-insecure: "."
%s
stub-zone:
    name: "%s"
    stub-addr: 127.0.0.1@%d
    stub-first: no
""" % (self.port, self.dir, self.dir, anchors, zone, server_port))
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                q = dns.message.make_query(".", "NS")
                dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
                return
            except (dns.exception.Timeout, OSError):
                time.sleep(0.1)
        raise AssertionError("unbound did not start: %s" % self.log())

    def log(self):
        return tail(os.path.join(self.dir, "unbound.log"), 40)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Asker(threading.Thread):
    """Ask the resolver for name/type every 200 ms; keep every answer's rcode and AD bit."""

    def __init__(self, port, name, rtype="A"):
        super().__init__(daemon=True)
        self.port, self.name, self.rtype = port, name, rtype
        self.answers = []  # (t, rcode text or exception, AD, answer count)
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            q = dns.message.make_query(self.name, self.rtype, want_dnssec=True)
            q.flags |= dns.flags.AD
            try:
                r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=2)
                n = sum(len(rr) for rr in r.answer if rr.rdtype == dns.rdatatype.A)
                self.answers.append((time.monotonic(), dns.rcode.to_text(r.rcode()),
                                     bool(r.flags & dns.flags.AD), n))
            except Exception as e:
                self.answers.append((time.monotonic(), repr(e), False, 0))
            self.halt.wait(0.2)

    def stop(self):
        self.halt.set()
        self.join(10)


def _stop(server):
    server.stop(check=True)


# ---------------------------------------------------------------------------- ZSK

ZSK_ZONE = "zsk-roll.test"


@pytest.fixture(scope="module")
def zsk_run(tmp_path_factory):
    """Run one whole ZSK rollover; return what AXFR and the resolver saw."""
    s = _server(tmp_path_factory, "zsk", {"--dnssec-key-layout": "ksk-zsk",
                                          "--dnssec-zsk-lifetime": str(LIFETIME)})
    api = Api(s)
    rec = {"server": s}
    unbound = asker = None
    try:
        api.signed_zone(ZSK_ZONE)
        w = Watch(s.dns_port, ZSK_ZONE)
        rec["watch"] = w
        tags, signers = w.until(lambda t, g: len(t) == 2 and len(g) == 1, 20, "zone signed")
        del w.states[:-1]  # the timeline starts at the signed zone
        ds = api.ds(ZSK_ZONE)
        rec["ds"] = ds
        unbound = Unbound(tmp_path_factory.mktemp("unbound-zsk"), ZSK_ZONE,
                          [d["ds"] for d in ds], s.dns_port)
        rec["unbound"] = unbound
        asker = Asker(unbound.port, "www.%s." % ZSK_ZONE)
        asker.start()
        rec["asker"] = asker
        (zsk1,) = signers
        ksk = (tags - {zsk1})
        rec.update(zsk1=zsk1, ksk=ksk)
        t0 = time.monotonic()
        # 1. a second ZSK is published; www A is still signed by the first alone
        tags, signers = w.until(lambda t, g: len(t) == 3, ROLL_BOUND, "new ZSK published")
        (zsk2,) = tags - ksk - {zsk1}
        rec.update(zsk2=zsk2, published_after=time.monotonic() - t0)
        # 2. www A signed by the new ZSK (and by it alone)
        w.until(lambda t, g: g == {zsk2}, ROLL_BOUND, "signed by the new ZSK")
        rec["active_after"] = time.monotonic() - t0
        # 3. the old ZSK removed
        w.until(lambda t, g: zsk1 not in t, ROLL_BOUND, "old ZSK removed")
        rec["removed_after"] = time.monotonic() - t0
        # a few more seconds of answers after the last change (cached data expires)
        time.sleep(5)
        rec["done"] = True
    except AssertionError as e:
        rec["failure"] = str(e)
    finally:
        if asker is not None:
            asker.stop()
        if unbound is not None:
            unbound.stop()
        rec["log"] = tail(s.log_path, 80)
        _stop(s)
    return rec


def test_zsk_rollover_timeline(zsk_run):
    """AXFR sees the pre-publication timeline, within the bound, in the right order."""
    assert "failure" not in zsk_run, zsk_run.get("failure", "") + "\n" + zsk_run["log"]
    states = zsk_run["watch"].states
    ksk, zsk1, zsk2 = zsk_run["ksk"], zsk_run["zsk1"], zsk_run["zsk2"]
    seen = [(set(k), set(g)) for _, k, g, _ in states]
    # the states, in order (a new rollover may begin right at the end: ignore what follows
    # the first state without zsk1)
    end = next(i for i, (k, _) in enumerate(seen) if zsk1 not in k)
    timeline = seen[:end + 1]
    assert timeline[0] == (ksk | {zsk1}, {zsk1}), zsk_run["watch"].describe()
    assert (ksk | {zsk1, zsk2}, {zsk1}) in timeline, zsk_run["watch"].describe()
    assert (ksk | {zsk1, zsk2}, {zsk2}) in timeline, zsk_run["watch"].describe()
    assert timeline[-1] == (ksk | {zsk2}, {zsk2}), zsk_run["watch"].describe()
    # never unsigned, never signed by a key that is not published
    for k, g in timeline:
        assert g and g <= k, zsk_run["watch"].describe()
    # the new key signed no earlier than Ipub after it was published
    t = {(frozenset(k), frozenset(g)): ts for ts, k, g, _ in states}
    pub = t[frozenset(ksk | {zsk1, zsk2}), frozenset({zsk1})]
    act = t[frozenset(ksk | {zsk1, zsk2}), frozenset({zsk2})]
    gone = t[frozenset(ksk | {zsk2}), frozenset({zsk2})]
    assert act - pub >= PROPAGATION + TTL - 1, zsk_run["watch"].describe()
    assert gone - act >= PROPAGATION + TTL - 1, zsk_run["watch"].describe()
    assert zsk_run["removed_after"] <= ROLL_BOUND
    # the serial went up with every transition
    serials = [n for _, _, _, n in states[:end + 1]]
    assert serials == sorted(serials) and len(set(serials)) == len(serials)
    assert "key rollover: publish" in zsk_run["log"]


def test_zsk_rollover_validating_resolver(zsk_run):
    """unbound, anchored at the zone's DS, validates every answer across the rollover."""
    assert "failure" not in zsk_run, zsk_run.get("failure", "")
    answers = zsk_run["asker"].answers
    assert len(answers) > 300, len(answers)
    bad = [a for a in answers if a[1] != "NOERROR" or not a[2] or a[3] != 1]
    assert not bad, ("%d of %d answers not NOERROR+AD with one A, first: %s\nunbound log:\n%s"
                     % (len(bad), len(answers), bad[:3], zsk_run["unbound"].log()))


# ---------------------------------------------------------------------------- CSK

CSK_ZONE = "csk-roll.test"


@pytest.fixture(scope="module")
def csk_run(tmp_path_factory):
    """Run one whole CSK rollover, the test acting as the registry for the DS."""
    s = _server(tmp_path_factory, "csk", {"--dnssec-key-layout": "csk",
                                          "--dnssec-csk-lifetime": str(LIFETIME),
                                          "--dnssec-parent-ds-ttl": "2"})
    api = Api(s)
    rec = {"server": s}
    try:
        api.signed_zone(CSK_ZONE)
        w = Watch(s.dns_port, CSK_ZONE)
        rec["watch"] = w
        tags, signers = w.until(lambda t, g: len(t) == 1 and len(g) == 1, 20, "zone signed")
        del w.states[:-1]
        (old,) = tags
        rec["old"] = old
        rec["ds_before"] = api.ds(CSK_ZONE)
        # the registry holds the first key's DS
        d = rec["ds_before"][0]
        api("POST", "/domains/%s/ds_records" % CSK_ZONE, 201,
            json={"algorithm": str(d["algorithm"]), "digest": d["digest"],
                  "digest_type": str(d["digest_type"]), "keytag": str(d["key_tag"])})
        tags, _ = w.until(lambda t, g: len(t) == 2, ROLL_BOUND, "new CSK published")
        (new,) = tags - {old}
        rec["new"] = new
        w.until(lambda t, g: g == {new}, ROLL_BOUND, "zone signed by the new CSK")
        # the old CSK stays while the parent has no DS for the new one
        time.sleep(2 * PROPAGATION + 4)
        rec["held"] = w.poll()
        rec["held_dnskey_sigs"] = dnskey_signers(s.dns_port, CSK_ZONE)
        ds = api.ds(CSK_ZONE)
        rec["ds_during"] = ds
        nd = [e for e in ds if e["key_tag"] == new]
        assert nd, "the DS extension does not list the new CSK: %s" % ds
        api("POST", "/domains/%s/ds_records" % CSK_ZONE, 201,
            json={"algorithm": str(nd[0]["algorithm"]), "digest": nd[0]["digest"],
                  "digest_type": str(nd[0]["digest_type"]), "keytag": str(nd[0]["key_tag"])})
        t_ds = time.monotonic()
        w.until(lambda t, g: t == {new}, 60, "old CSK removed")
        rec["removed_after_ds"] = time.monotonic() - t_ds
        rec["ds_after"] = api.ds(CSK_ZONE)
        rec["dnskey_sigs"] = dnskey_signers(s.dns_port, CSK_ZONE)
    except AssertionError as e:
        rec["failure"] = str(e)
    finally:
        rec["log"] = tail(s.log_path, 80)
        _stop(s)
    return rec


def dnskey_signers(port, zone):
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", zone, port=port, lifetime=5))
    sigs = z.get_rdataset("@", "RRSIG", covers="DNSKEY")
    return frozenset(s.key_tag for s in sigs) if sigs else frozenset()


def test_csk_rollover_timeline(csk_run):
    assert "failure" not in csk_run, csk_run.get("failure", "") + "\n" + csk_run["log"]
    old, new = csk_run["old"], csk_run["new"]
    seen = [(set(k), set(g)) for _, k, g, _ in csk_run["watch"].states]
    desc = csk_run["watch"].describe()
    assert seen[0] == ({old}, {old}), desc
    assert ({old, new}, {old}) in seen, desc
    assert ({old, new}, {new}) in seen, desc
    assert seen[-1] == ({new}, {new}), desc
    for k, g in seen:
        assert g and g <= k, desc
    # waiting for the parent: both keys published, the zone signed by the new one
    assert csk_run["held"] == (frozenset({old, new}), frozenset({new})), csk_run["held"]
    # ... and the DNSKEY RRset signed by both (RFC 7583 3.3.1: either DS validates it)
    assert csk_run["held_dnskey_sigs"] == {old, new}, csk_run["held_dnskey_sigs"]
    # the DS extension lists both keys during the rollover, the new one alone after
    assert {e["key_tag"] for e in csk_run["ds_during"]} == {old, new}
    assert [e["key_tag"] for e in csk_run["ds_after"]] == [new]
    assert csk_run["removed_after_ds"] <= PROPAGATION + 2 + 10
    assert csk_run["dnskey_sigs"] == {new}
    assert "key rollover: ds-seen" in csk_run["log"]
