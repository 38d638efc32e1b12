"""The official dnsimple npm client (tests/clients) against a running server."""

import os
import shutil
import subprocess

from npt import paths

CLIENTS_DIR = os.path.join(paths.REPO_ROOT, "tests", "clients")
NPM_CI_TIMEOUT = 180
NODE_TEST_TIMEOUT = 120


def ensure_node_modules():
    npm = shutil.which("npm")
    assert npm, "npm is not installed (Debian: apt-get install npm)"
    if os.path.isdir(os.path.join(CLIENTS_DIR, "node_modules", "dnsimple")):
        return
    p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENTS_DIR,
                       capture_output=True, text=True, timeout=NPM_CI_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "npm ci failed:\n%s\n%s" % (p.stdout[-3000:], p.stderr[-3000:])


def test_official_node_client(server):
    ensure_node_modules()
    node = shutil.which("node")
    assert node, "node is not installed"
    env = dict(os.environ, NAMEPLATE_URL=server.url, NAMEPLATE_TOKEN=server.token,
               NAMEPLATE_ACCOUNT_ID=str(server.account_id))
    p = subprocess.run([node, "--test", CLIENTS_DIR], cwd=paths.REPO_ROOT, env=env,
                       capture_output=True, text=True, timeout=NODE_TEST_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "node --test failed (%d):\n%s\n%s" % (
        p.returncode, p.stdout[-6000:], p.stderr[-3000:])
    assert "# fail 0" in p.stdout and "# pass 0" not in p.stdout, p.stdout[-3000:]
