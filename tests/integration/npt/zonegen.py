"""Random zones and queries for the randomized differential test against knotd
(test_dns_random_differential.py). Everything comes from one random.Random, so a seed
gives the same zone files and the same queries on every run.

make_world(rng) makes 2-4 zones (often one a hosted child of another, delegated from its
parent): data RRsets (A, AAAA, TXT, MX, SRV, CAA) with varied TTLs, some with different
TTLs per RR; CNAME chains (in the zone, into other hosted zones, to nothing, out of the
hosted zones, in loops, through wildcards, DNAMEs and delegations); DNAMEs (in the zone, to
another zone, out, and ones whose substitution overflows a name); delegations (glue below
the cut, glue missing, sibling and out-of-zone NS targets, occluded data, a wildcard below
the cut, DS); wildcards at several depths (with CNAME, big RRsets, blocked by existing names
and by empty non-terminals); long names; mixed case in owners and rdata; RRsets too big for
small EDNS sizes.

Only what `nameplate zone import` takes and knotd loads: the apex NS and SOA are written as
`@` lines (import keeps its own, npt.dnsdiff.knot_copy gives knotd the same); TTLs of 60 s
and more (the API's minimum); '*' only as a whole leftmost label (import refuses `a.*.b`);
no CNAME beside other data. And only what is defined: no names below a DNAME (RFC 6672
2.4), one DNAME per owner (import takes two, knotd refuses the zone), no NS or DNAME at a
wildcard (RFC 4592 4.2, 4.4), nothing but glue, address and text data below a zone cut. No
big MX RRsets: a knotd 3.2.6 UDP worker hangs on some MX answers near its size limit (their
additional records), and the rest of the seed's queries would time out.

make_queries(world, count, tag) asks for those names, names below them, wildcard matches
and misses, with random types, 0x20 case, EDNS sizes, DO and transports.
"""

import string

from .dnsdiff import Q

TTLS = (60, 120, 300, 600, 3600, 7200, 86400)
LABELS = ("www", "mail", "api", "dev", "cdn", "shop", "blog", "app", "img", "vpn", "a", "b",
          "c", "x", "host", "srv", "ns", "edge", "old", "new", "lab", "db", "_tcp", "_sip")
ZONE_LABELS = ("alpha", "bravo", "corp", "media", "north", "south", "kilo", "delta", "echo",
               "zulu", "oscar", "tango")
UNHOSTED = ("unhosted.invalid", "elsewhere.example", "far.away.invalid")
QTYPES = ("A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "DNAME", "DS", "ANY", "SRV", "CAA",
          "RRSIG", "PTR")
DATA_TYPES = ("A", "AAAA", "TXT", "MX", "SRV", "CAA")
CAA = ('0 issue "letsencrypt.org"', '0 issue "ca.example.net; account=42"',
       '128 issuewild ";"', '0 iodef "mailto:security@example.net"')
NAME_MAX = 255  # RFC 1035 2.3.4: octets on the wire


def wire_len(name):
    """Octets of an absolute name (no trailing dot) on the wire."""
    return sum(len(x) + 1 for x in name.split(".")) + 1


def parent(name):
    return name.split(".", 1)[1]


def is_below(name, top):
    """name is top or below it."""
    return name == top or name.endswith("." + top)


class Zone:
    def __init__(self, origin):
        self.origin = origin           # lowercase, no trailing dot
        self.rrsets = {}               # (owner, type) -> [ttl, [rdata, ...]]
        self.cuts = set()              # delegation points (not the apex)
        self.dnames = set()
        self.mixed_ttl = {}            # (owner, type) -> +60/-60: TTLs rising/falling per RR

    def types_at(self, owner):
        return {t for (o, t) in self.rrsets if o == owner}

    def owners(self):
        return {o for (o, _) in self.rrsets} | {self.origin}

    def names(self):
        """Owners and the empty non-terminals between them and the apex."""
        out = set()
        for o in self.owners():
            while o != self.origin and o not in out:
                out.add(o)
                o = parent(o)
        return out | {self.origin}

    def below_cut(self, name):
        return any(name != c and is_below(name, c) for c in self.cuts)


class World:
    """The zones of one seed, and what make_queries needs to know of them."""

    def __init__(self, rng):
        self.rng = rng
        self.zones = []
        self.files = {}  # origin -> zone file text, once made

    def zone_of(self, name):
        best = None
        for z in self.zones:
            if is_below(name, z.origin) and (best is None or len(z.origin) > len(best.origin)):
                best = z
        return best

    def mixed_ttls(self):
        """(owner, type) -> [(rdata texts, lowest TTL, TTL of the last RR in the file)] of
        the RRsets written with different TTLs (one per zone that has the owner: a parent's
        RRset below a hosted child's apex serves its additional records)."""
        out = {}
        for z in self.zones:
            for key in z.mixed_ttl:
                ttls = self.ttls_in_file(z, key)
                out.setdefault(key, []).append((set(z.rrsets[key][1]), min(ttls), ttls[-1]))
        return out

    def wildcards_of(self, name):
        """The wildcard owners that expand to name (RFC 4592 3.3.1) in any zone that holds
        it (a parent zone too: its additional records for names below a hosted child come
        from its own data); a wildcard owner asked for by its own name is its own."""
        out = set()
        for z in self.zones:
            names = z.names()
            if not is_below(name, z.origin):
                continue
            if name in names:
                if name.startswith("*.") and name in z.owners():
                    out.add(name)
                continue
            encloser = name
            while encloser not in names:
                encloser = parent(encloser)
            if "*." + encloser in z.owners():
                out.add("*." + encloser)
        return out

    # ---------------------------------------------------------------- adding RRs

    def can_add(self, z, owner, rtype):
        """Whether owner may get an RR of rtype (the rules of the module's docstring)."""
        if not is_below(owner, z.origin) or wire_len(owner) > NAME_MAX or \
                "*" in owner.split(".")[1:]:
            return False  # import takes '*' only as the whole leftmost label
        child = self.zone_of(owner)
        if child is not z and not (rtype in ("A", "AAAA") or
                                   (rtype in ("NS", "DS") and owner == child.origin)):
            return False  # at or below a hosted child's apex: its delegation and glue
        types = z.types_at(owner)
        if any(owner != d and is_below(owner, d) for d in z.dnames):
            return False
        if "CNAME" in types or (rtype == "CNAME" and types):
            return False
        below = z.below_cut(owner)
        if below and rtype not in ("A", "AAAA", "TXT"):
            return False
        wild = owner.startswith("*.")
        if rtype in ("NS", "DNAME"):
            if owner == z.origin or wild or below or "DNAME" in types \
                    or (rtype == "DNAME" and owner in z.cuts):
                return False
            if any(o != owner and is_below(o, owner) for o in z.owners()
                   if rtype == "DNAME" or {"CNAME", "DNAME"} & z.types_at(o)):
                return False
        if rtype == "CNAME" and (owner == z.origin or owner in z.cuts):
            return False
        if rtype == "DS" and owner not in z.cuts:
            return False
        return True

    def add(self, z, owner, rtype, rdata, ttl=None):
        if not self.can_add(z, owner, rtype):
            return False
        key = (owner, rtype)
        if key not in z.rrsets:
            z.rrsets[key] = [ttl or self.rng.choice(TTLS), []]
        if rdata not in z.rrsets[key][1]:
            z.rrsets[key][1].append(rdata)
        if rtype == "NS":
            z.cuts.add(owner)
        if rtype == "DNAME":
            z.dnames.add(owner)
        return True

    # ---------------------------------------------------------------- random pieces

    def label(self):
        r = self.rng.random()
        if r < 0.75:
            return self.rng.choice(LABELS)
        if r < 0.95:
            return "".join(self.rng.choice(string.ascii_lowercase + string.digits + "-")
                           for _ in range(self.rng.randint(1, 12))).strip("-") or "q"
        return "".join(self.rng.choice(string.ascii_lowercase)
                       for _ in range(self.rng.randint(40, 63)))

    def fresh(self, under, depth=None):
        depth = depth or self.rng.choice((1, 1, 1, 2, 2, 3))
        return ".".join([self.label() for _ in range(depth)] + [under])

    def any_name(self, z=None):
        """An existing name (owner or empty non-terminal) of z or any zone."""
        z = z or self.rng.choice(self.zones)
        return self.rng.choice(sorted(z.names()))

    def rdata(self, rtype, z):
        rng = self.rng
        if rtype == "A":
            return "%s.%d" % (rng.choice(("192.0.2", "198.51.100", "203.0.113")),
                              rng.randint(1, 254))
        if rtype == "AAAA":  # no 0 group: "2001:db8:0::1" is not the canonical text
            return "2001:db8:%x::%x" % (max(1, rng.randint(0, 0xffff)), rng.randint(1, 0xffff))
        if rtype == "TXT":
            return self.txt(rng.randint(1, 60))
        if rtype == "MX":
            if rng.random() < 0.05:
                return "0 ."  # RFC 7505 null MX
            return "%d %s" % (rng.choice((0, 5, 10, 20)), self.target(z))
        if rtype == "SRV":
            return "%d %d %d %s" % (rng.randint(0, 20), rng.randint(0, 100),
                                    rng.choice((25, 443, 5060, 5269)),
                                    "." if rng.random() < 0.05 else self.target(z))
        if rtype == "CAA":
            return rng.choice(CAA)
        raise ValueError(rtype)

    def txt(self, size):
        rng = self.rng
        alphabet = string.ascii_letters + string.digits + " =-_.:"
        strings = []
        while size > 0:
            n = min(size, rng.choice((size, 255, 100)))
            s = "".join(rng.choice(alphabet) for _ in range(n))
            if rng.random() < 0.1:
                s = s[:n // 2] + rng.choice(('\\"', "\\\\", ";", "\\195\\169", "(")) + s[n // 2:]
            strings.append('"%s"' % s)
            size -= n
        return " ".join(strings)

    def target(self, z):
        """A host name for MX/SRV/NS rdata: in z (existing or not), another zone, outside."""
        r = self.rng.random()
        if r < 0.5:
            return self.any_name(z)
        if r < 0.7:
            return self.fresh(z.origin, 1)
        if r < 0.85:
            return self.any_name()
        return "%s.%s" % (self.label(), self.rng.choice(UNHOSTED))

    # ---------------------------------------------------------------- zones

    def make_zones(self):
        rng = self.rng
        count = rng.randint(2, 4)
        labels = rng.sample(ZONE_LABELS, count)
        for i, lab in enumerate(labels):
            if i > 0 and rng.random() < 0.6:
                base = rng.choice(self.zones)
                origin = "%s.%s" % (rng.choice(LABELS[:12]), base.origin)
                if any(z.origin == origin for z in self.zones):
                    origin = "%s.%s" % (lab, base.origin)
            else:
                origin = "%s.test" % lab if rng.random() < 0.8 else "%s.%s.test" % (
                    rng.choice(LABELS[:12]), lab)
            self.zones.append(Zone(origin))
        for z in self.zones:
            self.fill_plain(z)
        for z in self.zones:
            up = self.zone_of(parent(z.origin)) if "." in z.origin else None
            if up is not None and rng.random() < 0.85:
                self.delegate(up, z.origin, child=z)
        for z in self.zones:
            for _ in range(rng.randint(1, 3)):
                self.make_delegation(z)
            for _ in range(rng.randint(1, 4)):
                self.make_wildcard(z)
            for _ in range(rng.randint(0, 2)):
                self.make_dname(z)
            for _ in range(rng.randint(2, 6)):
                self.make_chain(z)
            if rng.random() < 0.7:
                self.make_big(z)
            if rng.random() < 0.5:
                self.make_long(z)

    def fill_plain(self, z):
        rng = self.rng
        for t in rng.sample(DATA_TYPES, rng.randint(1, 4)):
            for _ in range(rng.randint(1, 3)):
                self.add(z, z.origin, t, self.rdata(t, z))
        for _ in range(rng.randint(5, 14)):
            owner = self.fresh(z.origin)
            for t in rng.sample(DATA_TYPES, rng.choice((1, 1, 2, 3))):
                for _ in range(rng.choice((1, 1, 2, 3))):
                    self.add(z, owner, t, self.rdata(t, z))
            if rng.random() < 0.1:
                self.mixed(z, owner)

    def mixed(self, z, owner):
        """An RRset whose RRs have different TTLs in the file (RFC 2181 5.2 forbids it):
        rising or falling, 60 s apart."""
        if self.add(z, owner, "A", self.rdata("A", z)) and \
                self.add(z, owner, "A", self.rdata("A", z)):
            if len(z.rrsets[(owner, "A")][1]) > 1:
                z.mixed_ttl[(owner, "A")] = 60 if self.rng.random() < 0.5 else -60

    def ttls_in_file(self, z, key):
        """The TTL of each RR of the RRset key, in the order the zone file has them."""
        ttl, rds = z.rrsets[key]
        step = z.mixed_ttl.get(key, 0)
        return [ttl + step * i + (60 * (len(rds) - 1) if step < 0 else 0)
                for i in range(len(rds))]

    def delegate(self, z, cut, child=None):
        rng = self.rng
        kinds = rng.sample(("glue", "glue", "noglue", "sibling", "outside", "hosted"),
                           rng.randint(1, 3))
        for kind in kinds:
            if kind in ("glue", "noglue"):
                ns = "%s.%s" % (rng.choice(("ns1", "ns2", "ns")), cut)
                if not self.add(z, cut, "NS", ns):
                    return
                if kind == "glue":
                    for t in rng.sample(("A", "AAAA", "A"), rng.randint(1, 2)):
                        self.add(z, ns, t, self.rdata(t, z))
                if child is not None and rng.random() < 0.5:
                    self.add(child, ns, "A", self.rdata("A", child))
            elif kind == "sibling":
                ns = self.any_name(z) if rng.random() < 0.5 else "ns.%s" % z.origin
                if not z.below_cut(ns) and ns != cut and self.add(z, cut, "NS", ns):
                    if not z.types_at(ns) & {"CNAME"} and rng.random() < 0.8:
                        self.add(z, ns, "A", self.rdata("A", z))
            elif kind == "outside":
                self.add(z, cut, "NS", "ns.%s" % rng.choice(UNHOSTED))
            else:
                other = rng.choice(self.zones)
                self.add(z, cut, "NS", "%s.%s" % (rng.choice(("ns", "dns")), other.origin))
        if cut in z.cuts:
            if rng.random() < 0.3:
                self.add(z, cut, "DS", "%d 13 2 %064X" % (rng.randint(1, 65535),
                                                         rng.getrandbits(256)))
            if rng.random() < 0.3:  # occluded data
                t = rng.choice(("A", "TXT"))
                self.add(z, self.fresh(cut, 1), t, self.rdata(t, z))
            if rng.random() < 0.2:
                self.add(z, "*." + cut, "A", self.rdata("A", z))

    def make_delegation(self, z):
        for _ in range(5):
            cut = self.fresh(z.origin, self.rng.choice((1, 1, 2)))
            if not z.types_at(cut) and self.can_add(z, cut, "NS"):
                self.delegate(z, cut)
                return

    def make_wildcard(self, z):
        rng = self.rng
        base = rng.choice((z.origin, self.any_name(z), self.fresh(z.origin, 1)))
        owner = "*." + base
        r = rng.random()
        if r < 0.25:
            self.add(z, owner, "CNAME", self.chain_target(z))
        elif r < 0.35:
            self.make_big(z, owner)
        else:
            for t in rng.sample(DATA_TYPES, rng.randint(1, 3)):
                self.add(z, owner, t, self.rdata(t, z))
        if rng.random() < 0.5:  # a name that blocks it, or an empty non-terminal that does
            self.add(z, self.fresh(base, rng.choice((1, 2))), "TXT", self.rdata("TXT", z))

    def make_dname(self, z):
        rng = self.rng
        owner = self.fresh(z.origin, rng.choice((1, 1, 2)))
        r = rng.random()
        if r < 0.35:
            target = self.any_name(z)
        elif r < 0.6:
            target = self.any_name(rng.choice(self.zones))
        elif r < 0.8:
            target = rng.choice(UNHOSTED)
        else:  # long: substitution overflows a long query name (YXDOMAIN, RFC 6672 2.2)
            other = rng.choice(self.zones).origin
            labels = []
            while wire_len(".".join(labels + [other])) < 180:
                labels.append("l" * rng.randint(40, 63))
            target = ".".join(labels + [other])
        if is_below(target, owner):
            return
        if self.add(z, owner, "DNAME", target):
            if rng.random() < 0.3:
                self.add(z, owner, "A", self.rdata("A", z))
            if rng.random() < 0.4 and self.zone_of(target) is not None:
                t = self.zone_of(target)
                self.add(t, self.fresh(target, 1), "A", self.rdata("A", t))

    def chain_target(self, z):
        """Where a CNAME points: anything a resolver could meet."""
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            return self.any_name(z)
        if r < 0.55:
            return self.any_name()
        if r < 0.65:
            return self.fresh(z.origin, 1)  # most likely nothing there
        if r < 0.75:
            return "%s.%s" % (self.label(), rng.choice(UNHOSTED))
        if r < 0.9:  # below a delegation, a DNAME or a wildcard, if there is one
            z2 = rng.choice(self.zones)
            tops = sorted(z2.cuts | z2.dnames | {o[2:] for o in z2.owners()
                                                  if o.startswith("*.")})
            if tops:
                return self.fresh(rng.choice(tops), 1)
        return self.any_name(z)

    def make_chain(self, z):
        rng = self.rng
        names = [self.fresh(z.origin) for _ in range(rng.randint(1, 4))]
        loop = rng.random() < 0.1
        for i, owner in enumerate(names):
            if i + 1 < len(names):
                target = names[i + 1]
            elif loop:
                target = rng.choice(names)
            else:
                target = self.chain_target(z)
            if not self.add(z, owner, "CNAME", target):
                return

    def make_big(self, z, owner=None):
        rng = self.rng
        owner = owner or self.fresh(z.origin, 1)
        if z.types_at(owner):
            return
        t = rng.choice(("TXT", "TXT", "A", "AAAA"))  # not MX: see the module's docstring
        ttl = rng.choice(TTLS)
        for _ in range(rng.randint(20, 90) if t != "TXT" else rng.randint(6, 40)):
            rd = self.txt(rng.randint(60, 250)) if t == "TXT" else self.rdata(t, z)
            if not self.add(z, owner, t, rd, ttl):
                return

    def make_long(self, z):
        rng = self.rng
        labels = []
        while True:
            lab = "".join(rng.choice(string.ascii_lowercase + string.digits)
                          for _ in range(rng.randint(20, 63)))
            if wire_len(".".join([lab] + labels + [z.origin])) > NAME_MAX - rng.randint(0, 8):
                break
            labels.insert(0, lab)
        if labels:
            name = ".".join(labels + [z.origin])
            t = rng.choice(("A", "TXT"))
            self.add(z, name, t, self.rdata(t, z))

    # ---------------------------------------------------------------- zone files

    def case(self, name, p=0.3):
        """name, with random letters uppercased (probability p that any is)."""
        if self.rng.random() >= p:
            return name
        return "".join(c.upper() if self.rng.random() < 0.5 else c for c in name)

    def owner_text(self, z, owner):
        if owner == z.origin:
            return self.rng.choice(("@", self.case(owner) + "."))
        if self.rng.random() < 0.6:
            return self.case(owner[:-len(z.origin) - 1])
        return self.case(owner) + "."

    def rdata_text(self, z, rtype, rd):
        """rd with its host name in mixed case, sometimes relative to the origin."""
        if rtype not in ("CNAME", "DNAME", "NS", "MX", "SRV"):
            return rd
        parts = rd.split(" ")
        host = parts[-1]
        if host != ".":
            if is_below(host, z.origin) and host != z.origin and self.rng.random() < 0.3:
                host = self.case(host[:-len(z.origin) - 1])
            else:
                host = self.case(host) + "."
        return " ".join(parts[:-1] + [host])

    def zone_file(self, z):
        rng = self.rng
        default = rng.choice(TTLS)
        lines = ["; generated by npt/zonegen.py",
                 "$ORIGIN %s." % self.case(z.origin, 0.2),
                 "$TTL %d" % default,
                 "@ IN SOA ns.gen.invalid. admin.gen.invalid. 1 3600 600 86400 %d"
                 % rng.choice((60, 300, 3600)),
                 "@ IN NS ns.gen.invalid."]
        keys = sorted(z.rrsets)
        rng.shuffle(keys)
        for key in keys:
            owner, rtype = key
            for rd, t in zip(z.rrsets[key][1], self.ttls_in_file(z, key)):
                ttl_text = "" if t == default and rng.random() < 0.5 else "%d " % t
                lines.append("%s %sIN %s %s" % (self.owner_text(z, owner), ttl_text, rtype,
                                                self.rdata_text(z, rtype, rd)))
        return "\n".join(lines) + "\n"


def seeds_from(spec, default):
    """A seed list from an environment variable's text: "N" (seeds 1..N), "A-B"
    (inclusive) or "a,b,c"; default when empty."""
    spec = spec.strip()
    if not spec:
        return list(default)
    if "," in spec:
        return [int(x) for x in spec.split(",") if x.strip()]
    if "-" in spec:
        a, b = spec.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return list(range(1, int(spec) + 1))


def make_world(rng):
    w = World(rng)
    w.make_zones()
    w.files = {z.origin: w.zone_file(z) for z in w.zones}
    return w


# ==================================================================== queries

def query_names(w):
    """(weight, name) rows: what a query may ask for."""
    rng = w.rng
    rows = []
    for z in w.zones:
        for n in sorted(z.names()):
            rows.append((3, n))
            rows.append((1, "%s.%s" % (w.label(), n)))
            if rng.random() < 0.2:
                rows.append((1, "%s.%s.%s" % (w.label(), w.label(), n)))
            if n.startswith("*."):
                rows.append((3, "%s.%s" % (w.label(), n[2:])))
                rows.append((1, "%s.%s.%s" % (w.label(), w.label(), n[2:])))
        for d in sorted(z.dnames):
            prefix = []
            while wire_len(".".join(prefix + [d])) < 200:
                prefix.append("p" * rng.randint(30, 63))
            rows.append((1, ".".join(prefix + [d])))
    rows.append((1, "www.%s" % rng.choice(UNHOSTED)))
    return [(wt, n) for wt, n in rows if wire_len(n) <= NAME_MAX]


def pick_type(w, name):
    z = w.zone_of(name)
    present = sorted(z.types_at(name)) if z else []
    if present and w.rng.random() < 0.5:
        return w.rng.choice(present)
    return w.rng.choice(QTYPES)


def make_queries(w, count, tag):
    """count queries (npt.dnsdiff.Q, one transport each) whose ids start with tag."""
    rng = w.rng
    rows = query_names(w)
    weights = [wt for wt, _ in rows]
    out = []
    for i in range(count):
        name = rng.choices(rows, weights)[0][1]
        qname = name + "."
        if rng.random() < 0.6:
            qname = "".join(c.upper() if rng.random() < 0.5 else c for c in qname)
        rdtype = pick_type(w, name)
        r = rng.random()
        kw = {}
        if r >= 0.25:
            kw = {"edns": 0, "payload": rng.choice((512, 512, 1232, 4096)),
                  "do": rng.random() < 0.25}
        transport = "tcp" if rng.random() < 0.25 else "udp"
        qid = "%s:%03d %s/%s/%s/%s" % (tag, i, qname, rdtype, transport,
                                       "noedns" if not kw else "%d%s" % (
                                           kw["payload"], "+do" if kw["do"] else ""))
        out.append(Q(qid, qname, rdtype, transports=(transport,), **kw))
    return out
