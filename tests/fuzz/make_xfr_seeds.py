#!/usr/bin/python3
"""make_xfr_seeds.py -- write the seed corpus of fuzz_xfr (tests/fuzz/corpus/xfr/).

Each seed: flags (bit 0 IXFR), the IXFR query's serial (4 bytes), then a TCP stream of
2-byte lengths and messages answering a query with ID 0x1234 for example.com.
Run: /usr/bin/python3 tests/fuzz/make_xfr_seeds.py
"""
import os
import struct

import dns.flags
import dns.message
import dns.rrset

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "xfr")
ZONE = "example.com."


def soa(serial):
    return dns.rrset.from_text(ZONE, 300, "IN", "SOA",
                               "ns1.example.com. admin.example.com. %d 3600 600 86400 60" % serial)


def rr(name, rtype, *data):
    return dns.rrset.from_text(name, 300, "IN", rtype, *data)


def message(qtype, rrsets, question=True, rcode=0):
    m = dns.message.make_query(ZONE, qtype)
    m.id = 0x1234
    r = dns.message.make_response(m)
    if not question:
        r.question = []
    r.set_rcode(rcode)
    r.answer = list(rrsets)
    return r.to_wire()


def stream(*wires):
    return b"".join(struct.pack("!H", len(w)) + w for w in wires)


def seed(name, flags, serial, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([flags]) + struct.pack("!I", serial) + data)


ZONE_DATA = [rr(ZONE, "NS", "ns1.example.com."), rr("ns1." + ZONE, "A", "192.0.2.1"),
             rr("www." + ZONE, "AAAA", "2001:db8::1"), rr(ZONE, "MX", "10 mx.example.net."),
             rr("txt." + ZONE, "TXT", '"a" "b"'), rr("sub." + ZONE, "NS", "ns.sub.example.com."),
             rr("ns.sub." + ZONE, "A", "192.0.2.53")]


def main():
    os.makedirs(OUT, exist_ok=True)
    # AXFR in one message, and over three (later ones without a question)
    seed("axfr-one", 0, 0, stream(message("AXFR", [soa(5)] + ZONE_DATA + [soa(5)])))
    seed("axfr-three", 0, 0, stream(message("AXFR", [soa(5)] + ZONE_DATA[:3]),
                                    message("AXFR", ZONE_DATA[3:], question=False),
                                    message("AXFR", [soa(5)], question=False)))
    # AXFR cut short, a different closing SOA, out-of-zone data, an error RCODE
    seed("axfr-cut", 0, 0, stream(message("AXFR", [soa(5)] + ZONE_DATA))[:-7])
    seed("axfr-bad-close", 0, 0, stream(message("AXFR", [soa(5)] + ZONE_DATA + [soa(6)])))
    seed("axfr-out-of-zone", 0, 0, stream(message("AXFR", [soa(5), rr("evil.example.net.", "A",
                                                                      "192.0.2.9"), soa(5)])))
    seed("axfr-refused", 0, 0, stream(message("AXFR", [], rcode=5)))
    # IXFR: up to date, incremental with two deltas, AXFR-style, lone newer SOA
    seed("ixfr-current", 1, 5, stream(message("IXFR", [soa(5)])))
    seed("ixfr-deltas", 1, 3, stream(message("IXFR", [
        soa(5), soa(3), rr("www." + ZONE, "AAAA", "2001:db8::1"), soa(4),
        rr("www." + ZONE, "AAAA", "2001:db8::2"), soa(4), soa(5),
        rr("new." + ZONE, "A", "192.0.2.7"), soa(5)])))
    seed("ixfr-deltas-split", 1, 3, stream(
        message("IXFR", [soa(5), soa(3), rr("www." + ZONE, "AAAA", "2001:db8::1")]),
        message("IXFR", [soa(4), rr("www." + ZONE, "AAAA", "2001:db8::2"), soa(4)],
                question=False),
        message("IXFR", [soa(5), rr("new." + ZONE, "A", "192.0.2.7"), soa(5)],
                question=False)))
    seed("ixfr-axfr-style", 1, 3, stream(message("IXFR", [soa(5)] + ZONE_DATA + [soa(5)])))
    seed("ixfr-lone-soa", 1, 3, stream(message("IXFR", [soa(5)])))
    seed("ixfr-broken-chain", 1, 3, stream(message("IXFR", [
        soa(5), soa(3), soa(4), soa(6), soa(5), soa(5)])))


if __name__ == "__main__":
    main()
