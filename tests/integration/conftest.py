"""pytest wiring: the `server` fixtures start the real binary on loopback.

Tests that need the binary get the `server` marker and are skipped, with the
reason, when $NAMEPLATE_BIN (default build-test/nameplate) does not exist.
Nothing else skips.
"""

import pytest

from npt import paths
from npt.server import Server, ServerError, binary_exists

SERVER_FIXTURES = {"server", "server_factory", "bare_server"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "server: needs the nameplate binary ($NAMEPLATE_BIN); skipped without it")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


def _require_binary():
    path = paths.nameplate_bin()
    if not binary_exists(path):
        pytest.skip("nameplate binary not built: %s does not exist or is not executable "
                    "(set NAMEPLATE_BIN, or run `make test`)" % path)
    return path


@pytest.fixture
def server_factory(tmp_path):
    """make(serve_args=None, extra_args=(), env=None, start=True) -> bootstrapped Server.

    Every server made here is stopped at teardown with SIGTERM; teardown fails
    (with the log tail) on a non-zero exit or a sanitizer report.
    """
    binary = _require_binary()
    made = []

    def make(serve_args=None, extra_args=(), env=None, start=True):
        s = Server(tmp_path / ("srv%d" % len(made)), binary=binary, serve_args=serve_args,
                   extra_args=extra_args, env=env)
        made.append(s)
        s.bootstrap()
        if start:
            s.start()
        return s

    yield make
    errors = []
    for s in made:
        try:
            s.stop(check=True)
        except ServerError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def server(server_factory):
    """A bootstrapped, running server with default settings."""
    return server_factory()


@pytest.fixture
def bare_server(server_factory):
    """A bootstrapped server that is not started yet."""
    return server_factory(start=False)
