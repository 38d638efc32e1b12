"""The /v2 API of a test server, as one token of one account sees it; every answer's body
is checked against the contract (npt.check). Test files subclass it with their helpers."""

from . import check


class Api:
    def __init__(self, server, token=None, account=None):
        self.s = server
        self.token = server.token if token is None else token
        self.account = server.account_id if account is None else account

    def call(self, method, path, **kw):
        """(response, checked body) of /v2/{account}{path}."""
        r = self.s.request(method, "/v2/%s%s" % (self.account, path), token=self.token, **kw)
        return r, check(r)

    def ok(self, method, path, status=200, **kw):
        """The checked body of an answer that must have this status."""
        r, body = self.call(method, path, **kw)
        assert r.status_code == status, (method, path, r.status_code, body)
        return body
