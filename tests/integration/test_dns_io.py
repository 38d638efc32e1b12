"""test_dns_io.py -- end-to-end tests of the dns role's network layer (src/dns/io/).

Runs `nameplate serve --roles dns` on an empty store (every query is REFUSED) on loopback
with random ports and talks to it over UDP and TCP: bursts, pipelining, partial and
byte-by-byte sends, big queued answers, idle timeouts, the client limit, IPv6 and
source addresses, ports in use, bad addresses, SIGTERM mid-message; DF on IPv4 answers and
the fallback to fragments on a link too small for them (in a network namespace).
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

import tempfile

import dns.edns
import dns.message
import dns.rcode
import pytest

from npt import paths
from npt.server import Server as StoreServer
from npt.server import sanitizer_report

BIN = paths.nameplate_bin()


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 and ::1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Server:
    def __init__(self, *settings, expect_ready=True):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="nameplate-dnsio-")
        args = [BIN, "serve", "--roles", "dns", "--data", self.data]
        listen = "127.0.0.1:%d" % self.port
        for s in settings:
            if s.startswith("dns="):
                listen = s[4:].replace("PORT", str(self.port))
                continue
            args += ["--set", s]
        args += ["--set", "dns=" + listen]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.log = ""
        self.expect_ready = expect_ready
        if expect_ready:
            deadline = time.time() + 10
            while "serve, ready" not in self.log:
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError("server died:\n" + self.log)
                self.log += line
                assert time.time() < deadline

    def stop(self):
        if self.expect_ready and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        self.log += out
        subprocess.run(["rm", "-rf", self.data], check=False)
        assert not sanitizer_report(self.log), self.log[-3000:]
        return self.proc.returncode


@pytest.fixture
def server():
    s = Server("dns-workers=2")
    yield s
    assert s.stop() == 0
    assert "dns, stopped" in s.log


def query_wire(name="example.com", qid=None, **kw):
    q = dns.message.make_query(name, "A", **kw)
    if qid is not None:
        q.id = qid
    return q, q.to_wire()


def udp_ask(host, port, wire, family=socket.AF_INET, timeout=2):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))  # a connected socket only takes replies from host
        s.send(wire)
        return s.recv(65535)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def tcp_read_msg(s):
    (size,) = struct.unpack("!H", recv_exact(s, 2))
    return dns.message.from_wire(recv_exact(s, size))


def tcp_connect(port, host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((host, port))
    return s


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def test_udp_refused(server):
    q, wire = query_wire(use_edns=0)
    r = dns.message.from_wire(udp_ask("127.0.0.1", server.port, wire))
    assert r.id == q.id and r.rcode() == dns.rcode.REFUSED
    assert r.question == q.question and r.edns == 0


def test_udp_runt_and_response_get_nothing(server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        s.connect(("127.0.0.1", server.port))
        s.send(b"\x00\x01\x02")
        q, wire = query_wire()
        s.send(bytes([wire[0], wire[1], wire[2] | 0x80]) + wire[3:])  # QR set
        with pytest.raises(socket.timeout):
            s.recv(512)
        s.send(wire)  # the socket still serves
        assert dns.message.from_wire(s.recv(512)).id == q.id


def test_udp_burst(server):
    """More than one batch at once: every query gets its answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.settimeout(2)
        s.connect(("127.0.0.1", server.port))
        ids = set()
        for i in range(500):
            _, wire = query_wire("n%d.example" % i, qid=i)
            s.send(wire)
            ids.add(i)
        got = set()
        while got != ids:
            got.add(dns.message.from_wire(s.recv(512)).id)


def test_udp_pause_after_a_small_batch():
    """dns-udp-coalesce: after answering a batch of fewer than 8 queries the worker waits
    that long before it receives again, so a query sent right after an answer is
    answered no sooner than the pause allows; a burst of queries (full batches) is all
    answered, none lost to the pauses. At 0 nothing waits: the pause is the difference."""
    def second_answer_delays(s, rounds=15):
        delays = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(2)
            c.connect(("127.0.0.1", s.port))
            for i in range(rounds):
                c.send(query_wire(qid=2 * i)[1])
                assert dns.message.from_wire(c.recv(512)).id == 2 * i
                t0 = time.monotonic()
                c.send(query_wire(qid=2 * i + 1)[1])
                assert dns.message.from_wire(c.recv(512)).id == 2 * i + 1
                delays.append(time.monotonic() - t0)
        return sorted(delays)[rounds // 2]

    fast = Server("dns-workers=1", "dns-udp-coalesce=0")
    try:
        unpaused = second_answer_delays(fast)
    finally:
        assert fast.stop() == 0
    slow = Server("dns-workers=1", "dns-udp-coalesce=1000")
    try:
        paused = second_answer_delays(slow)
        assert paused >= 0.0008, paused  # a 1 ms pause, less the client's turn
        assert paused - unpaused >= 0.0005, (paused, unpaused)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            c.settimeout(3)
            c.connect(("127.0.0.1", slow.port))
            for i in range(300):
                c.send(query_wire("n%d.example" % i, qid=i)[1])
            got = {dns.message.from_wire(c.recv(512)).id for _ in range(300)}
            assert got == set(range(300))
    finally:
        assert slow.stop() == 0


def test_tcp_pipelined_in_one_write(server):
    s = tcp_connect(server.port)
    qs = [query_wire("q%d.example" % i, qid=1000 + i) for i in range(200)]
    s.sendall(b"".join(frame(w) for _, w in qs))
    for q, _ in qs:  # answered in order
        r = tcp_read_msg(s)
        assert r.id == q.id and r.question == q.question
        assert r.rcode() == dns.rcode.REFUSED
    # and the connection stays open for more
    q, w = query_wire(qid=7)
    s.sendall(frame(w))
    assert tcp_read_msg(s).id == 7
    s.close()


def test_tcp_byte_by_byte(server):
    s = tcp_connect(server.port)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = b"".join(frame(query_wire(qid=i)[1]) for i in (1, 2))
    for b in data:
        s.send(bytes([b]))
        time.sleep(0.002)
    assert tcp_read_msg(s).id == 1
    assert tcp_read_msg(s).id == 2
    s.close()


def test_tcp_largest_message(server):
    """A 65535-byte query (EDNS padding) crosses the inline buffer and is answered."""
    q = dns.message.make_query("big.example", "A", use_edns=0)
    base = q.to_wire()  # the OPT record is last; its RDLENGTH the last two bytes
    pad = 65535 - len(base) - 4
    option = struct.pack("!HH", 12, pad) + b"\x00" * pad  # RFC 7830 padding
    wire = base[:-2] + struct.pack("!H", len(option)) + option
    assert len(wire) == 65535
    assert dns.message.from_wire(wire).id == q.id
    s = tcp_connect(server.port)
    s.sendall(frame(wire) + frame(query_wire(qid=9)[1]))
    r = tcp_read_msg(s)
    assert r.id == q.id and r.rcode() == dns.rcode.REFUSED
    assert tcp_read_msg(s).id == 9
    s.close()


def test_tcp_half_close_still_answered(server):
    s = tcp_connect(server.port)
    s.sendall(frame(query_wire(qid=42)[1]))
    s.shutdown(socket.SHUT_WR)
    assert tcp_read_msg(s).id == 42
    assert s.recv(10) == b""  # then the server closes
    s.close()


def test_tcp_slow_reader_backpressure(server):
    """More answers than the socket buffers of both ends hold (about 18 MB), sent before
    the client reads any: the server must keep what the kernel refuses (partial writes),
    stop reading meanwhile, and finish once the client reads."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # not smaller: see below
    s.connect(("127.0.0.1", server.port))
    # (A receive buffer far below the loopback MSS makes Linux drop segments and wait
    # for retransmission timers: slow for reasons that are not the server's.)
    count = 400000
    template = bytearray(frame(query_wire("slow.example", qid=0)[1]))
    parts = []
    for i in range(count):
        template[2:4] = struct.pack("!H", i % 65536)
        parts.append(bytes(template))
    blob = b"".join(parts)
    s.settimeout(30)
    import threading
    t = threading.Thread(target=s.sendall, args=(blob,))
    t.start()
    time.sleep(1.0)  # let the server fill both buffers and stall
    f = s.makefile("rb")
    for i in range(count):
        (size,) = struct.unpack("!H", f.read(2))
        answer = f.read(size)
        assert struct.unpack("!H", answer[:2])[0] == i % 65536
    t.join()
    s.close()


def test_ipv6_loopback():
    if not has_ipv6_loopback():
        s = Server("dns-workers=1", "dns=127.0.0.1:PORT,[::1]:PORT")
        assert s.stop() == 0
        assert "skipping listen address [::1]" in s.log
        pytest.skip("no ::1 here; the server skipped it with a warning, as it should")
    s = Server("dns-workers=1", "dns=127.0.0.1:PORT,[::1]:PORT")
    try:
        q, wire = query_wire()
        r = dns.message.from_wire(udp_ask("::1", s.port, wire, socket.AF_INET6))
        assert r.id == q.id and r.rcode() == dns.rcode.REFUSED
        t = tcp_connect(s.port, "::1", socket.AF_INET6)
        t.sendall(frame(wire))
        assert tcp_read_msg(t).id == q.id
        t.close()
    finally:
        assert s.stop() == 0


def test_wildcard_replies_from_the_queried_address():
    """Bound to 0.0.0.0: a query to 127.0.0.2 is answered from 127.0.0.2 (IP_PKTINFO);
    the connected client socket drops replies from any other source."""
    s = Server("dns-workers=1", "dns=0.0.0.0:PORT")
    try:
        for host in ("127.0.0.1", "127.0.0.2", "127.1.2.3"):
            q, wire = query_wire()
            r = dns.message.from_wire(udp_ask(host, s.port, wire))
            assert r.id == q.id
    finally:
        assert s.stop() == 0
    if has_ipv6_loopback():
        s = Server("dns-workers=1", "dns=[::]:PORT")
        try:
            q, wire = query_wire()
            r = dns.message.from_wire(udp_ask("::1", s.port, wire, socket.AF_INET6))
            assert r.id == q.id
        finally:
            assert s.stop() == 0


def test_tcp_idle_timeout():
    s = Server("dns-workers=1", "dns-tcp-idle-timeout=1")
    try:
        c = tcp_connect(s.port)
        c.sendall(frame(query_wire(qid=5)[1]))
        assert tcp_read_msg(c).id == 5
        t0 = time.time()
        assert c.recv(10) == b""  # closed by the server
        assert 0.5 < time.time() - t0 < 3
        c.close()
    finally:
        assert s.stop() == 0


def test_tcp_max_clients_closes_least_recently_active():
    s = Server("dns-workers=1", "dns-tcp-max-clients=3")
    try:
        conns = []
        for i in range(3):
            c = tcp_connect(s.port)
            c.sendall(frame(query_wire(qid=i)[1]))
            assert tcp_read_msg(c).id == i
            conns.append(c)
            time.sleep(0.05)
        # touch the first one: now the second is the least recently active
        conns[0].sendall(frame(query_wire(qid=10)[1]))
        assert tcp_read_msg(conns[0]).id == 10
        time.sleep(0.05)
        new = tcp_connect(s.port)
        new.sendall(frame(query_wire(qid=99)[1]))
        assert tcp_read_msg(new).id == 99
        assert conns[1].recv(10) == b""
        for c in (conns[0], conns[2]):
            c.sendall(frame(query_wire(qid=3)[1]))
            assert tcp_read_msg(c).id == 3
        for c in conns + [new]:
            c.close()
    finally:
        assert s.stop() == 0


def test_port_in_use_fails_naming_the_address():
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    try:
        s = Server("dns=127.0.0.1:%d" % port, expect_ready=False)
        assert s.stop() != 0
        assert "cannot bind udp 127.0.0.1:%d (Address already in use)" % port in s.log
    finally:
        holder.close()
    # a second server on a port that the first serves (both with SO_REUSEPORT) must not
    # share it silently
    first = Server("dns-workers=1")
    try:
        second = Server("dns=127.0.0.1:%d" % first.port, expect_ready=False)
        assert second.stop() != 0
        assert "Address already in use" in second.log
    finally:
        assert first.stop() == 0


def test_bad_listen_address():
    for bad in ("localhost:53", "127.0.0.1", "::1:53", "[::1]", "1.2.3.4:99999"):
        s = Server("dns=" + bad, expect_ready=False)
        assert s.stop() != 0
        assert "bad listen address" in s.log


def test_sigterm_with_open_connections():
    s = Server("dns-workers=2")
    c = tcp_connect(s.port)
    c.sendall(b"\x00\x20abc")  # half a message, left hanging
    time.sleep(0.1)
    t0 = time.time()
    assert s.stop() == 0
    assert time.time() - t0 < 2
    assert "dns, stopped" in s.log
    c.close()


# Runs inside a fresh network namespace (unshare -n) whose loopback carries 1280 bytes: a
# dns role with --dns-udp-payload 4096, a packet socket on lo to read the IP header of its
# answers, and two queries. Prints one JSON line.
NETNS_SCRIPT = r"""
import json, socket, struct, subprocess, sys, time
import dns.message, dns.rdatatype
binary, data = sys.argv[1], sys.argv[2]
subprocess.run(["ip", "link", "set", "lo", "mtu", "1280", "up"], check=True)
srv = subprocess.Popen([binary, "serve", "--roles", "dns", "--data", data,
                        "--dns", "127.0.0.1:5300", "--dns-workers", "1",
                        "--dns-udp-payload", "4096"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
log = ""
while "serve, ready" not in log:
    line = srv.stdout.readline()
    if not line:
        break
    log += line
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
cap.settimeout(2)
def ask(name, rdtype):
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=4096)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(3)
    c.sendto(q.to_wire(), ("127.0.0.1", 5300))
    try:
        return dns.message.from_wire(c.recv(65535))
    except socket.timeout:
        return None
    finally:
        c.close()
def answer_ip_flags():
    # the first IPv4 datagram from port 5300 seen on lo: (DF, MF) of its header
    deadline = time.time() + 2
    while time.time() < deadline:
        frame = cap.recv(65535)
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] == 17 and struct.unpack("!H", ip[ihl:ihl + 2])[0] == 5300:
            frag = struct.unpack("!H", ip[6:8])[0]
            return bool(frag & 0x4000), bool(frag & 0x2000)
    return None
small = ask("www.mtu.test.", "A")
small_flags = answer_ip_flags()
big = ask("big.mtu.test.", "TXT")
srv.terminate()
out, _ = srv.communicate(timeout=10)
print(json.dumps({
    "small": small is not None and len(small.answer) == 1,
    "small_df": small_flags and small_flags[0],
    "big_txt": 0 if big is None else sum(len(t) for rrset in big.answer for rd in rrset
                                         for t in rd.strings),
    "big_tc": big is not None and bool(big.flags & 0x200),
    "log": log + out,
}))
"""


def test_ipv4_answers_carry_df_and_big_ones_fall_back_to_fragments(tmp_path):
    """RFC 9715 3.1: IPv4 answers leave with DF set. An answer bigger than the link's MTU
    (here a 1280-byte loopback in a network namespace of its own, with dns-udp-payload
    4096) cannot: the socket goes back to fragmenting, says so in the log, and the answer
    still arrives whole."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root, unshare and ip for a network namespace")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no network namespaces here: %s" % probe.stderr.decode().strip())
    zone = tmp_path / "mtu.test.zone"
    texts = " ".join('"%s"' % (chr(ord("a") + i) * 250) for i in range(12))
    zone.write_text("$ORIGIN mtu.test.\n$TTL 300\nwww IN A 192.0.2.1\n"
                    "big IN TXT %s\n" % texts)
    store = StoreServer(tmp_path / "store", binary=BIN)
    store.bootstrap()
    store._run(["zone", "import", "--data", store.data_dir, "--account",
                str(store.account_id), "--zone", "mtu.test", str(zone), "--json"])
    p = subprocess.run(["unshare", "-n", sys.executable, "-c", NETNS_SCRIPT, BIN,
                        store.data_dir], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["small"], r["log"]
    assert r["small_df"] is True, "a 1232-byte-or-less IPv4 answer without DF"
    assert r["big_txt"] == 12 * 250 and not r["big_tc"], r["log"]
    assert "bigger than the interface MTU" in r["log"]
    assert sanitizer_report(r["log"]) is None, r["log"]
