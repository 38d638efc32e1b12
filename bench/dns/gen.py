#!/usr/bin/python3
"""bench/dns/gen.py -- the DNS benchmark's data sets and dnsperf query files.

Writes, under OUT/NAME/ (NAME = small or big):
  zones/<zone>.zone   the records of each zone, without SOA and apex NS: Nameplate's
                      import adds its own, and bench.py exports the imported zones back out
                      so that Knot DNS and NSD serve exactly what Nameplate serves;
  queries.txt         a dnsperf data file ("name type" lines), shuffled;
  mix.json            how many queries of each kind the file holds.

Data sets (deterministic: a fixed seed):
  small  ZONES zones (default 1,000) z0000.test ... of exactly 50 records each;
  big    one zone big.test of exactly RECORDS records (default 1,000,000).

Every zone holds each kind the benchmark asks for: A, AAAA, MX, TXT, CNAME (to an A name
in the zone), a wildcard (*.w / *.wild), a delegation with in-zone glue (sub / d<i>: two
NS, one of them with glue), empty non-terminals (ent / e<i>, which own nothing but have a
name below them), apex MX and TXT.

Query mix (the same weights for both data sets and every server):
  hit       40%  an existing name and one of its types (A, AAAA, MX, TXT; weighted as in
                 the zone)
  nxdomain  15%  a name that does not exist in a hosted zone
  nodata    10%  an existing name with a type it lacks, or an empty non-terminal
  wildcard  10%  a name synthesised from the wildcard (A)
  cname     10%  A at a CNAME name (the answer follows the chain inside the zone)
  referral  10%  a name at or below a delegation (A)
  unhosted   5%  a name in no hosted zone (REFUSED)
"""
import argparse
import json
import os
import random

MIX = [
    ("hit", 40),
    ("nxdomain", 15),
    ("nodata", 10),
    ("wildcard", 10),
    ("cname", 10),
    ("referral", 10),
    ("unhosted", 5),
]

SMALL_RECORDS = 50


def kind_of(i):
    """The type of the i-th filler name h<i>: 50% A, 20% AAAA, 10% TXT, 10% MX, 10% CNAME."""
    return ("A", "A", "A", "A", "A", "AAAA", "AAAA", "TXT", "MX", "CNAME")[i % 10]


def rdata(kind, i, zone):
    if kind == "A":
        return "A 10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
    if kind == "AAAA":
        return "AAAA 2001:db8:%x:%x::%x" % ((i >> 16) & 0xFFFF, (i >> 8) & 255, i & 255)
    if kind == "TXT":
        return 'TXT "v=spf1 ip4:10.%d.%d.0/24 include:_spf.example.net ~all" "site-verification=%08x"' % (
            (i >> 8) & 255, i & 255, (i * 2654435761) & 0xFFFFFFFF)
    if kind == "MX":
        return "MX %d mail.%s." % (10 + i % 3 * 10, zone)
    if kind == "CNAME":
        return "CNAME h%d.%s." % (i - 9, zone)  # i % 10 == 9: h<i-9> is an A name
    raise ValueError(kind)


class Pools:
    """What a zone offers each kind of query, as (name, type) or name generators."""

    def __init__(self):
        self.hit = []       # (owner, type)
        self.nodata = []    # (owner, type)
        self.cname = []     # owner
        self.wild = []      # wildcard parent (queries are <random>.<parent>)
        self.deleg = []     # delegation point
        self.nx_parent = [] # zone apex (queries are <random>.<apex>)


def small_zone(zone, idx, out, pools):
    lines = [
        "$ORIGIN %s." % zone,
        "$TTL 3600",
        "@ MX 10 mail.%s." % zone,
        '@ TXT "v=spf1 mx -all"',
        "mail A 192.0.2.%d" % (1 + idx % 250),
        "www A 192.0.2.%d" % (1 + (idx + 1) % 250),
        "www AAAA 2001:db8::%x" % (idx + 1),
        "alias CNAME www.%s." % zone,
        "*.w A 192.0.2.%d" % (1 + (idx + 2) % 250),
        "sub NS ns1.sub.%s." % zone,
        "sub NS ns.example.net.",
        "ns1.sub A 192.0.2.%d" % (1 + (idx + 3) % 250),
        "host.ent A 192.0.2.%d" % (1 + (idx + 4) % 250),
    ]
    fixed = len(lines) - 2
    for i in range(SMALL_RECORDS - fixed):
        lines.append("h%d %s" % (i, rdata(kind_of(i), i, zone)))
    out.write("\n".join(lines) + "\n")
    z = zone
    pools.hit += [(z, "MX"), (z, "TXT"), ("mail." + z, "A"), ("www." + z, "A"),
                  ("www." + z, "AAAA"), ("host.ent." + z, "A")]
    pools.nodata += [("ent." + z, "A"), ("www." + z, "TXT"), ("mail." + z, "AAAA"), (z, "A")]
    pools.cname.append("alias." + z)
    pools.wild.append("w." + z)
    pools.deleg.append("sub." + z)
    pools.nx_parent.append(z)
    for i in range(SMALL_RECORDS - fixed):
        k = kind_of(i)
        name = "h%d.%s" % (i, z)
        if k == "CNAME":
            pools.cname.append(name)
        else:
            pools.hit.append((name, k))
            pools.nodata.append((name, "AAAA" if k == "A" else "A"))


def big_zone(zone, records, delegations, ents, out, pools):
    z = zone
    head = [
        "$ORIGIN %s." % zone,
        "$TTL 3600",
        "@ MX 10 mail.%s." % zone,
        '@ TXT "v=spf1 mx -all"',
        "mail A 192.0.2.1",
        "www A 192.0.2.2",
        "www AAAA 2001:db8::2",
        "alias CNAME www.%s." % zone,
        "*.wild A 192.0.2.3",
    ]
    out.write("\n".join(head) + "\n")
    n = len(head) - 2
    pools.hit += [(z, "MX"), (z, "TXT"), ("mail." + z, "A"), ("www." + z, "A"), ("www." + z, "AAAA")]
    pools.nodata += [(z, "A"), ("www." + z, "TXT")]
    pools.cname.append("alias." + z)
    pools.wild.append("wild." + z)
    pools.nx_parent.append(z)
    buf = []
    for d in range(delegations):
        buf.append("d%d NS ns1.d%d.%s.\nd%d NS ns.example.net.\nns1.d%d A 198.51.%d.%d\n"
                   % (d, d, zone, d, d, (d >> 8) & 255, d & 255))
        pools.deleg.append("d%d.%s" % (d, z))
    n += 3 * delegations
    for e in range(ents):
        buf.append("x.e%d A 198.18.%d.%d\n" % (e, (e >> 8) & 255, e & 255))
        pools.hit.append(("x.e%d.%s" % (e, z), "A"))
        pools.nodata.append(("e%d.%s" % (e, z), "A"))
    n += ents
    out.write("".join(buf))
    filler = records - n
    if filler < 10:
        raise SystemExit("gen: --records too small for the big zone")
    buf = []
    for i in range(filler):
        k = kind_of(i)
        if k == "CNAME" and i < 9:
            k = "A"
        buf.append("h%d %s\n" % (i, rdata(k, i, zone)))
        name = "h%d.%s" % (i, z)
        if k == "CNAME":
            pools.cname.append(name)
        else:
            pools.hit.append((name, k))
            if i % 4 == 0:
                pools.nodata.append((name, "AAAA" if k == "A" else "A"))
        if len(buf) >= 100000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    return (filler - 1) // 10 * 10  # the last A name: the start-up probe


def queries(pools, count, rng, unhosted_zones):
    lines = []
    mix = {}
    total_w = sum(w for _, w in MIX)
    for kind, w in MIX:
        k = count * w // total_w
        mix[kind] = k
        for _ in range(k):
            r = rng.getrandbits(32)
            if kind == "hit":
                name, t = pools.hit[rng.randrange(len(pools.hit))]
            elif kind == "nodata":
                name, t = pools.nodata[rng.randrange(len(pools.nodata))]
            elif kind == "cname":
                name, t = pools.cname[rng.randrange(len(pools.cname))], "A"
            elif kind == "wildcard":
                name, t = "r%x.%s" % (r, pools.wild[rng.randrange(len(pools.wild))]), "A"
            elif kind == "referral":
                d = pools.deleg[rng.randrange(len(pools.deleg))]
                name, t = (d if r & 3 == 0 else "host%x.%s" % (r >> 2, d)), "A"
            elif kind == "nxdomain":
                name, t = "nx%x.%s" % (r, pools.nx_parent[rng.randrange(len(pools.nx_parent))]), "A"
            elif kind == "unhosted":
                name = "www%d.%s" % (r % 1000, unhosted_zones[r % len(unhosted_zones)])
                t = "A"
            lines.append("%s %s\n" % (name, t))
    rng.shuffle(lines)
    return lines, mix


def generate(out_dir, name, zones=1000, records=1_000_000, query_count=None, seed=4):
    """Write one data set; returns a dict describing it. Idempotent per (name, sizes)."""
    d = os.path.join(out_dir, name)
    zdir = os.path.join(d, "zones")
    meta_path = os.path.join(d, "dataset.json")
    want = {"name": name, "zones": zones if name == "small" else 1,
            "records_per_zone": SMALL_RECORDS if name == "small" else records, "seed": seed}
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if all(meta.get(k) == v for k, v in want.items()):
            return meta
    os.makedirs(zdir, exist_ok=True)
    rng = random.Random(seed)
    pools = Pools()
    zone_names = []
    if name == "small":
        for i in range(zones):
            zn = "z%04d.test" % i
            zone_names.append(zn)
            with open(os.path.join(zdir, zn + ".zone"), "w") as f:
                small_zone(zn, i, f, pools)
        probe = ("www.%s" % zone_names[-1], "A")
        qn = query_count or 500_000
    else:
        zn = "big.test"
        zone_names.append(zn)
        with open(os.path.join(zdir, zn + ".zone"), "w") as f:
            last = big_zone(zn, records, max(1, records // 1000), max(1, records // 100), f, pools)
        probe = ("h%d.%s" % (last, zn), "A")
        qn = query_count or 1_000_000
    unhosted = ["example.org", "unhosted.net", "z%04d.test" % (zones + 17), "nothere.test",
                "example.com"]
    lines, mix = queries(pools, qn, rng, unhosted)
    with open(os.path.join(d, "queries.txt"), "w") as f:
        f.writelines(lines)
    meta = dict(want, zone_names=zone_names, probe=probe, queries=len(lines), mix=mix,
                total_records=want["zones"] * want["records_per_zone"])
    with open(os.path.join(d, "mix.json"), "w") as f:
        json.dump(mix, f, indent=1)
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--set", choices=["small", "big", "both"], default="both")
    ap.add_argument("--zones", type=int, default=1000)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=None)
    a = ap.parse_args()
    for s in (["small", "big"] if a.set == "both" else [a.set]):
        m = generate(a.out, s, a.zones, a.records, a.queries)
        print(s, m["total_records"], "records,", m["queries"], "queries", m["mix"])


if __name__ == "__main__":
    main()
