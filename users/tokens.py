"""Personal API tokens: how a raw token looks, and how it is hashed for storage and lookup."""

import hashlib
import secrets

# bandit B105 takes this for a password: it is the public, recognisable start of every token.
TOKEN_PREFIX = "edt_"  # nosec B105
VISIBLE_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6


def new_raw_token() -> str:
    """A fresh secret: a recognisable prefix (secret scanners and people can tell what it is) and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(raw_token: str) -> str:
    # The secret has 256 bits of entropy, so a plain fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw_token.encode()).hexdigest()


def visible_prefix(raw_token: str) -> str:
    return raw_token[:VISIBLE_PREFIX_LENGTH]
