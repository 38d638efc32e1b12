"""Peers for the Secondary DNS tests: a scriptable fake primary, knotd and nsd as real
primaries, DNS helpers (ask, AXFR), and a Server that runs without the api role."""

import os
import shutil
import socket
import struct
import subprocess
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

from .server import Server, ServerError, free_port, tail

HOST = "127.0.0.1"
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
KNOTC = shutil.which("knotc") or "/usr/sbin/knotc"
NSD = shutil.which("nsd") or "/usr/sbin/nsd"


# ---------------------------------------------------------------- DNS helpers

def ask(port, qname, rdtype="A", timeout=1.0):
    """One UDP query; the answer or None on timeout."""
    q = dns.message.make_query(qname, rdtype)
    q.flags &= ~dns.flags.RD
    try:
        return dns.query.udp(q, HOST, port=port, timeout=timeout)
    except (dns.exception.Timeout, ConnectionError, OSError):
        return None


def answers(r):
    return sorted(rd.to_text() for rrset in (r.answer if r is not None else []) for rd in rrset)


def wait_for(pred, bound, step=0.1, what="condition"):
    """Call pred() until it is truthy, at most `bound` seconds; returns its value."""
    deadline = time.monotonic() + bound
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("%s not met within %ss (last: %r)" % (what, bound, last))


def axfr(port, zone, timeout=10.0):
    """The zone's RRs from an AXFR over TCP as a sorted list of text lines (the closing SOA
    dropped), or raise."""
    q = dns.message.make_query(zone, "AXFR")
    wire = q.to_wire()
    lines = []
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        soas = 0
        while soas < 2:
            hdr = _recv(s, 2)
            msg = dns.message.from_wire(_recv(s, struct.unpack("!H", hdr)[0]),
                                        one_rr_per_rrset=True)  # the closing SOA apart
            if msg.rcode() != dns.rcode.NOERROR:
                raise AssertionError("AXFR of %s: %s" % (zone, dns.rcode.to_text(msg.rcode())))
            for rrset in msg.answer:
                for rd in rrset:
                    if rrset.rdtype == dns.rdatatype.SOA:
                        soas += 1
                        if soas == 2:
                            break
                    lines.append("%s %d %s %s" % (rrset.name.to_text().lower(), rrset.ttl,
                                                  dns.rdatatype.to_text(rrset.rdtype),
                                                  rd.to_text().lower()))
    return sorted(lines)


def _recv(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def send_notify(port, zone, timeout=2.0):
    """A NOTIFY for zone over UDP; the answer."""
    m = dns.message.make_query(zone, "SOA")
    m.set_opcode(dns.opcode.NOTIFY)
    m.flags = dns.flags.AA | (m.flags & ~dns.flags.RD)
    return dns.query.udp(m, HOST, port=port, timeout=timeout)


# ---------------------------------------------------------------- a fake primary

def soa_rrset(zone, serial, refresh=1, retry=1, expire=600, minimum=60):
    return dns.rrset.from_text(zone, 300, "IN", "SOA", "ns1.%s admin.%s %d %d %d %d %d" % (
        zone, zone, serial, refresh, retry, expire, minimum))


class FakePrimary:
    """A TCP primary on loopback whose answer to any AXFR or IXFR the test scripts.

    mode: "good" (the whole zone, AXFR-style, in one message), "half" (the first half of
    the zone, then the connection closes), "stall" (reads the query, sends nothing),
    "outofzone" (the zone plus a record of another zone), "garbage" (a length and junk),
    "clash" (a CNAME beside an A: a zone nobody may serve), "down" (closes at once).
    """

    def __init__(self, zone, records, serial=1, **timers):
        self.zone = zone
        self.records = records      # list of (relative name, type, rdata text)
        self.serial = serial
        self.timers = timers
        self.mode = "good"
        self.queries = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()

    def _rrsets(self):
        out = []
        for name, rtype, data in self.records:
            owner = self.zone if name in ("", "@") else "%s.%s" % (name, self.zone)
            out.append(dns.rrset.from_text(owner, 300, "IN", rtype, data))
        return out

    def _run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(5)
        try:
            mode = self.mode
            if mode == "down":
                return
            n = struct.unpack("!H", _recv(conn, 2))[0]
            q = dns.message.from_wire(_recv(conn, n))
            self.queries += 1
            if mode == "stall":
                self.stopping.wait(30)
                return
            if mode == "garbage":
                conn.sendall(struct.pack("!H", 40) + os.urandom(40))
                return
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            soa = soa_rrset(self.zone, self.serial, **self.timers)
            body = self._rrsets()
            if mode == "outofzone":
                body.append(dns.rrset.from_text("evil.example.net.", 300, "IN", "A", "192.0.2.66"))
            if mode == "clash":
                body.append(dns.rrset.from_text("www." + self.zone, 300, "IN", "CNAME",
                                                "elsewhere.example.net."))
            if mode == "half":
                r.answer = [soa] + body[:max(1, len(body) // 2)]
            else:
                r.answer = [soa] + body + [soa]
            wire = r.to_wire()
            conn.sendall(struct.pack("!H", len(wire)) + wire)
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            conn.close()


# ---------------------------------------------------------------- knotd and nsd

class Knot:
    """knotd as a primary: one zone from a file, IXFR from its journal (zonefile-load:
    difference), NOTIFY to notify_port, transfers only with the TSIG key when given."""

    def __init__(self, workdir, zone, text, notify_port, key=None):
        self.dir = os.path.join(str(workdir), "knot")
        for d in ("run", "storage"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        self.zone = zone
        self.zone_file = os.path.join(self.dir, zone + "zone")
        self.notify_port = notify_port
        self.key = key              # (name, base64 secret), hmac-sha256
        self.log_path = os.path.join(self.dir, "knotd.log")
        self.proc = None
        self.port = None
        self.write_zone(text)

    def write_zone(self, text):
        with open(self.zone_file, "w") as f:
            f.write(text)

    def conf_path(self):
        return os.path.join(self.dir, "knot.conf")

    def write_conf(self):
        lines = ["server:", "    listen: %s@%d" % (HOST, self.port),
                 "    rundir: %s" % os.path.join(self.dir, "run"),
                 "control:", "    listen: %s" % os.path.join(self.dir, "run", "knot.sock"),
                 "log:", "  - target: stderr", "    any: info",
                 "database:", "    storage: %s" % os.path.join(self.dir, "storage")]
        if self.key:
            lines += ["key:", "  - id: %s" % self.key[0], "    algorithm: hmac-sha256",
                      "    secret: %s" % self.key[1]]
        lines += ["remote:", "  - id: nameplate", "    address: %s@%d" % (HOST, self.notify_port),
                  "acl:", "  - id: xfr", "    address: %s" % HOST, "    action: transfer"]
        if self.key:
            lines += ["    key: %s" % self.key[0]]
        lines += ["template:", "  - id: default", "    storage: %s" % self.dir,
                  "    zonefile-sync: -1", "    zonefile-load: difference",
                  "    journal-content: changes",
                  "zone:", "  - domain: %s" % self.zone, "    file: %s" % self.zone_file,
                  "    notify: nameplate", "    acl: xfr"]
        with open(self.conf_path(), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        for _ in range(3):
            self.port = free_port(udp_too=True)
            self.write_conf()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen([KNOTD, "-c", self.conf_path()], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
            log.close()
            try:
                wait_for(lambda: ask(self.port, self.zone, "SOA", 0.3), 10, what="knotd up")
                return
            except AssertionError:
                text = tail(self.log_path)
                self.stop()
                if "in use" not in text.lower():
                    raise AssertionError("knotd did not start\n%s" % text)
        raise AssertionError("knotd could not bind a port")

    def reload(self):
        subprocess.run([KNOTC, "-c", self.conf_path(), "zone-reload", self.zone],
                       check=True, capture_output=True, timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class Nsd:
    """nsd as a primary: one zone, NOTIFY to notify_port; SIGHUP reloads the zone file."""

    def __init__(self, workdir, zone, text, notify_port):
        self.dir = os.path.join(str(workdir), "nsd")
        os.makedirs(self.dir, exist_ok=True)
        self.zone = zone
        self.zone_file = os.path.join(self.dir, zone + "zone")
        self.notify_port = notify_port
        self.log_path = os.path.join(self.dir, "nsd.log")
        self.proc = None
        self.port = None
        with open(self.zone_file, "w") as f:
            f.write(text)

    def write_zone(self, text):
        with open(self.zone_file, "w") as f:
            f.write(text)

    def start(self):
        for _ in range(3):
            self.port = free_port(udp_too=True)
            conf = os.path.join(self.dir, "nsd.conf")
            with open(conf, "w") as f:
                f.write("\n".join([
                    "server:", "\tip-address: %s@%d" % (HOST, self.port), '\tusername: ""',
                    '\tchroot: ""', '\tzonesdir: "%s"' % self.dir,
                    '\tpidfile: "%s/nsd.pid"' % self.dir, '\tdatabase: ""',
                    '\txfrdfile: "%s/xfrd.state"' % self.dir,
                    '\tzonelistfile: "%s/zone.list"' % self.dir,
                    '\tlogfile: "%s"' % self.log_path, "\tverbosity: 2",
                    "remote-control:", "\tcontrol-enable: no",
                    "zone:", "\tname: %s" % self.zone, "\tzonefile: %s" % self.zone_file,
                    "\tprovide-xfr: 127.0.0.0/8 NOKEY",
                    "\tnotify: %s@%d NOKEY" % (HOST, self.notify_port)]) + "\n")
            self.proc = subprocess.Popen([NSD, "-d", "-c", conf], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            try:
                wait_for(lambda: ask(self.port, self.zone, "SOA", 0.3), 10, what="nsd up")
                return
            except AssertionError:
                text = tail(self.log_path)
                self.stop()
                if "in use" not in text.lower() and "already" not in text.lower():
                    raise AssertionError("nsd did not start\n%s" % text)
        raise AssertionError("nsd could not bind a port")

    def reload(self):
        self.proc.send_signal(1)  # SIGHUP: reread the zone file, NOTIFY the secondaries

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


# ---------------------------------------------------------------- a node without the api

class DnsNode(Server):
    """A nameplate serve without the api role (--roles dns,jobs): ready when its DNS port
    answers. dns_port may be fixed in advance (another node must know it)."""

    def __init__(self, *a, fixed_dns_port=None, **kw):
        super().__init__(*a, **kw)
        self.fixed_dns_port = fixed_dns_port

    def _serve_cmd(self):
        if self.fixed_dns_port:
            self.dns_port = self.fixed_dns_port
        return super()._serve_cmd()

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("nameplate serve exited with %d while starting\n%s"
                                  % (self.proc.returncode, tail(self.log_path)))
            if ask(self.dns_port, "ready.invalid.", "SOA", 0.2) is not None:
                return
            time.sleep(0.05)
        raise ServerError("nameplate serve (dns) did not answer within %ss\n%s"
                          % (timeout, tail(self.log_path)))
