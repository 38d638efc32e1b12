"""Nameplate integration-test helpers.

contract: check(resp), compare_fixture(body, name), load_fixture(name)
server:   Server (bootstrap, start, stop, kill, cli, get/post), free_port
totp:     totp(secret), wrong_totp(secret)
oauth:    authorize(...), redirect_params(resp), exchange(...), pkce_pair()
dnsdiff:  the differential tests' pieces (queries as bytes, Answer, Knotd, load_zones,
          tolerance_index/unexplained/tolerated_problems)
"""

from .contract import ContractError, check, compare_fixture, fake_response, load_fixture
from .server import CliError, Server, ServerError, binary_exists

__all__ = ["ContractError", "check", "compare_fixture", "fake_response",
           "load_fixture", "CliError", "Server", "ServerError", "binary_exists"]
