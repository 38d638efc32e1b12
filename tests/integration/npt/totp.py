"""RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps), to log in as a 2FA user."""

import base64
import hashlib
import hmac
import struct
import time


def _decode_secret(secret_b32):
    s = secret_b32.strip().replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def hotp(key, counter, digits=6):
    """RFC 4226 HOTP of a raw key at a counter."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10 ** digits).zfill(digits)


def totp(secret_b32, at=None, digits=6, step=30):
    """The TOTP code of a base32 secret at unix time `at` (default now)."""
    at = time.time() if at is None else at
    return hotp(_decode_secret(secret_b32), int(at // step), digits)


def wrong_totp(secret_b32, at=None, spread=3):
    """A 6-digit code that is not valid within +-spread steps of `at`."""
    at = time.time() if at is None else at
    valid = {totp(secret_b32, at + i * 30) for i in range(-spread, spread + 1)}
    n = int(totp(secret_b32, at))
    while True:
        n = (n + 1) % 10 ** 6
        code = str(n).zfill(6)
        if code not in valid:
            return code
