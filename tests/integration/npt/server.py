"""Run the real nameplate binary: bootstrap, serve on loopback, the admin CLI."""

import atexit
import json
import os
import signal
import socket
import subprocess
import threading
import time

import requests

from . import paths

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                     "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 30.0
HTTP_TIMEOUT = 10.0

# Rate limits high enough that no test but the rate-limit tests ever meets them.
DEFAULT_SERVE_ARGS = {"--rate-limit": "1000000", "--rate-limit-unauth": "1000000"}


class ServerError(AssertionError):
    """The server or the CLI misbehaved (crash, sanitizer report, bad exit code)."""


class CliError(ServerError):
    def __init__(self, args, rc, stdout, stderr):
        self.args_ = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        super().__init__("nameplate %s exited %d\nstdout: %s\nstderr: %s"
                         % (" ".join(args), rc, stdout[-2000:], stderr[-4000:]))


def binary_exists(path=None):
    path = path or paths.nameplate_bin()
    return os.path.isfile(path) and os.access(path, os.X_OK)


def sanitizer_report(text):
    """The first line of a sanitizer report in text, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKERS):
            return line
    return None


def free_port(udp_too=False):
    """A loopback port that is free now for TCP (and UDP when udp_too)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            if not udp_too:
                return port
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ServerError("no free loopback port found")


def stop_process(proc):
    """End a peer server we started (knotd, nsd, unbound): SIGTERM, then SIGKILL after 10 s.
    Always returns None, for `self.proc = stop_process(self.proc)`."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return None


def tail(path, lines=60):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return "(no log: %s)" % e


_LIVE = set()  # servers with a process, killed at exit if a test run is interrupted


@atexit.register
def _kill_leftovers():
    for s in list(_LIVE):
        s.kill()


class Server:
    """One nameplate data dir, and the `serve` process on it when started.

    s = Server(tmpdir, serve_args={"--rate-limit": "5"}, env={"X": "1"})
    s.bootstrap()  -> {"user": {...}, "account": {...}, "token": "..."}
    s.start(); s.get("/v2/whoami", token=s.token); s.cli("token", "revoke", "3")
    s.stop()       -> asserts exit 0 and no sanitizer report in the log
    s.kill()       -> SIGKILL, no checks (durability tests); s.start() again after
    """

    def __init__(self, workdir, binary=None, serve_args=None, extra_args=(), env=None):
        self.workdir = os.path.abspath(workdir)
        self.binary = binary or paths.nameplate_bin()
        self.data_dir = os.path.join(self.workdir, "data")
        self.serve_args = dict(DEFAULT_SERVE_ARGS)
        self.serve_args.update(serve_args or {})
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.log_path = None
        self.log_file = None
        self.api_port = None
        self.dns_port = None
        self.redirect_port = None
        self.starts = 0
        self.ready_response = None
        self.boot = None
        self._tls = threading.local()
        os.makedirs(self.data_dir, exist_ok=True)

    # ------------------------------------------------------------ identity

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.api_port

    @property
    def redirect_url(self):
        return "http://127.0.0.1:%d" % self.redirect_port

    @property
    def token(self):
        return self.boot["token"]

    @property
    def account(self):
        return self.boot["account"]

    @property
    def account_id(self):
        return self.boot["account"]["id"]

    @property
    def admin(self):
        return self.boot["user"]

    # ----------------------------------------------------------------- cli

    def _run(self, args, timeout=CLI_TIMEOUT):
        cmd = [self.binary] + list(args)
        try:
            p = subprocess.run(cmd, cwd=self.workdir, env=self.env, capture_output=True,
                               text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise ServerError("%s timed out after %ss\nstderr: %s"
                              % (" ".join(cmd), timeout, e.stderr)) from None
        report = sanitizer_report(p.stderr) or sanitizer_report(p.stdout)
        if report:
            raise CliError(args, p.returncode, p.stdout, "SANITIZER: %s\n%s" % (report, p.stderr))
        if p.returncode != 0:
            raise CliError(args, p.returncode, p.stdout, p.stderr)
        try:
            return json.loads(p.stdout)
        except ValueError:
            raise CliError(args, p.returncode, p.stdout,
                           "stdout is not ONE JSON object\n" + p.stderr) from None

    def cli(self, *args, timeout=CLI_TIMEOUT):
        """nameplate admin ARGS... --data DIR --json; returns the parsed JSON."""
        return self._run(["admin"] + [str(a) for a in args] + ["--data", self.data_dir, "--json"],
                         timeout=timeout)

    def bootstrap(self):
        self.boot = self._run(["admin", "bootstrap", "--data", self.data_dir, "--json"])
        for key in ("user", "account", "token"):
            if key not in self.boot:
                raise ServerError("bootstrap output lacks %r: %r" % (key, self.boot))
        return self.boot

    # Convenience wrappers over the admin CLI.

    def create_user(self, email, password=None, otp=False):
        """Create a user; returns the CLI's JSON plus "password"."""
        password = password or "pw-%s-%d" % (email.split("@")[0], time.monotonic_ns() % 10**9)
        pw_file = os.path.join(self.workdir, "pw-%s" % email.replace("@", "_"))
        fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        args = ["user", "create", "--email", email, "--password-file", pw_file]
        if otp:
            args.append("--otp")
        user = self.cli(*args)
        user["password"] = password
        return user

    def create_account(self, name, email, plan=None):
        args = ["account", "create", "--name", name, "--email", email]
        if plan:
            args += ["--plan", plan]
        return self.cli(*args)

    def add_member(self, account_id, email, role="admin", domains=(), zones=()):
        args = ["member", "add", "--account", account_id, "--user", email, "--role", role]
        if domains:
            args += ["--domains", ",".join(domains)]
        if zones:
            args += ["--zones", ",".join(zones)]
        return self.cli(*args)

    def create_token(self, account=None, user=None, name=None, scopes=()):
        if (account is None) == (user is None):
            raise ValueError("give exactly one of account= and user=")
        args = ["token", "create"]
        args += ["--account", account] if account is not None else ["--user", user]
        if name:
            args += ["--name", name]
        for s in scopes:
            args += ["--scope", s]
        return self.cli(*args)

    def revoke_token(self, token_id):
        return self.cli("token", "revoke", token_id)

    def create_oauth_app(self, name, redirect_uri, public=False):
        args = ["oauth-app", "create", "--name", name, "--redirect-uri", redirect_uri]
        if public:
            args.append("--public")
        return self.cli(*args)

    # ------------------------------------------------------------- process

    def _serve_cmd(self):
        cmd = [self.binary, "serve", "--data", self.data_dir,
               "--api", "127.0.0.1:%d" % self.api_port,
               "--dns", "127.0.0.1:%d" % self.dns_port,
               "--redirect", "127.0.0.1:%d" % self.redirect_port]
        for k, v in self.serve_args.items():
            if v is None:
                continue
            cmd += [k] if v is True else [k, str(v)]
        return cmd + self.extra_args

    def start(self, timeout=START_TIMEOUT):
        if self.proc is not None:
            raise ServerError("already running")
        last = None
        for _attempt in range(3):
            self.api_port = free_port()
            self.dns_port = free_port(udp_too=True)
            self.redirect_port = free_port()
            self.starts += 1
            self.log_path = os.path.join(self.workdir, "serve-%d.log" % self.starts)
            self.log_file = open(self.log_path, "wb")
            self.proc = subprocess.Popen(self._serve_cmd(), cwd=self.workdir, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=self.log_file,
                                         stderr=subprocess.STDOUT)
            _LIVE.add(self)
            try:
                self._wait_ready(timeout)
                return self
            except ServerError as e:
                last = e
                log = tail(self.log_path, 200)
                self._reap(signal.SIGKILL)
                # Retry only when somebody took our port between probe and bind.
                if "in use" not in log.lower():
                    raise
        raise last

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("nameplate serve exited with %d while starting\n%s"
                                  % (self.proc.returncode, tail(self.log_path)))
            try:
                self.ready_response = requests.get(self.url + "/v2/whoami", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise ServerError("nameplate serve did not answer GET /v2/whoami within %ss\n%s"
                          % (timeout, tail(self.log_path)))

    def _reap(self, sig, timeout=STOP_TIMEOUT):
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                rc = "timeout"
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None
        self.proc = None
        _LIVE.discard(self)
        if getattr(self._tls, "session", None) is not None:
            self._tls.session.close()
            self._tls.session = None
        return rc

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, check=True):
        """SIGTERM, wait; with check, assert exit 0 and a log free of sanitizer reports."""
        if self.proc is None:
            return None
        early = self.proc.poll()
        rc = self._reap(signal.SIGTERM)
        if not check:
            return rc
        log = tail(self.log_path, 100000)
        report = sanitizer_report(log)
        problems = []
        if early is not None:
            problems.append("the server had already exited (%s) before SIGTERM" % early)
        if rc == "timeout":
            problems.append("no exit within %ss of SIGTERM (killed)" % STOP_TIMEOUT)
        elif rc != 0:
            problems.append("exit code %s after SIGTERM, want 0" % rc)
        if report:
            problems.append("sanitizer report: %s" % report)
        if problems:
            raise ServerError("nameplate serve: %s\n--- %s (tail) ---\n%s"
                              % ("; ".join(problems), self.log_path, tail(self.log_path)))
        return rc

    def kill(self):
        """SIGKILL without any check (the log of a killed process proves nothing)."""
        return self._reap(signal.SIGKILL)

    def log_text(self):
        return tail(self.log_path, 100000) if self.log_path else ""

    # ---------------------------------------------------------------- http

    @property
    def session(self):
        """A requests.Session of the calling thread (sessions are not thread-safe)."""
        if getattr(self._tls, "session", None) is None:
            self._tls.session = requests.Session()
        return self._tls.session

    def request(self, method, path, token=None, auth=None, headers=None, **kw):
        """HTTP to the API; token= sends a Bearer token, auth=(email, password) Basic."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer %s" % token
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.session.request(method, self.url + path, headers=h, auth=auth, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)
