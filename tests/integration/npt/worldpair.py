"""worldpair.py -- Nameplate and knotd serving one zonegen world, for the randomized
differential tests (test_dns_random_differential.py, test_dnssec_random_differential.py):
the pair of one seed, and the fixture's holder that keeps one pair running at a time."""

import pytest

from .server import Server, ServerError


class WorldPair:
    """Nameplate and knotd serving one seed's world; failure says why they do not. A
    subclass names its seeds' environment variable (SEEDS_VAR) and starts the servers in
    start(work, binary), setting self.knot and self.ctx."""

    SEEDS_VAR = None

    def __init__(self, seed, world, work, binary):
        self.seed = seed
        self.world = world
        self.failure = None
        self.knot = None
        self.server = Server(work / "nameplate", binary=binary)
        try:
            self.start(work, binary)
        except (ServerError, AssertionError, OSError) as e:
            self.failure = "the servers did not start: %s" % e

    def start(self, work, binary):
        raise NotImplementedError

    def stop(self):
        if self.knot is not None:
            self.knot.stop()
        self.server.stop(check=True)

    def reproduction(self):
        out = ["seed %d (%s=%d,)" % (self.seed, self.SEEDS_VAR, self.seed)]
        for origin, text in self.world.files.items():
            out.append("--- zone file %s (apex SOA and NS replaced by Nameplate's) ---\n%s"
                       % (origin, text))
        return "\n".join(out)


class Pairs:
    """One pair at a time, the current seed's (cases run grouped by seed): make(seed, work)
    makes a pair."""

    def __init__(self, make, tmp_path_factory, tag):
        self.make = make
        self.tmp = tmp_path_factory
        self.tag = tag
        self.pair = None

    def get(self, seed):
        if self.pair is not None and self.pair.seed == seed:
            return self.pair
        self.close()
        self.pair = self.make(seed, self.tmp.mktemp("%s-s%d" % (self.tag, seed)))
        return self.pair

    def close(self):
        pair, self.pair = self.pair, None
        if pair is not None:
            try:
                pair.stop()
            except ServerError as e:
                pytest.fail("seed %d: %s" % (pair.seed, e), pytrace=False)
