"""Where things are: the repository, the binary under test, the API contract."""

import os

# tests/integration/npt/paths.py -> repository root is three levels up.
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def nameplate_bin():
    """Absolute path of the binary under test ($NAMEPLATE_BIN, default build-test/nameplate)."""
    path = os.environ.get("NAMEPLATE_BIN", "build-test/nameplate")
    return path if os.path.isabs(path) else os.path.join(REPO_ROOT, path)


def contract_dir():
    """The dnsimple reference folder ($NAMEPLATE_CONTRACT, default ../shared/reference/dnsimple)."""
    path = os.environ.get("NAMEPLATE_CONTRACT")
    if not path:
        path = os.path.join(REPO_ROOT, "..", "shared", "reference", "dnsimple")
    return os.path.abspath(path)


def openapi_path():
    return os.path.join(contract_dir(), "content", "v2", "openapi.yml")


def fixtures_dir():
    return os.path.join(contract_dir(), "fixtures", "v2", "api")
