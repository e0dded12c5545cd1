"""Password hashing with Argon2id (argon2-cffi), and passwords generated for people to type."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# Argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes): about 0.1 s a login.
# Tests swap in a cheaper hasher; each stored hash carries its own parameters, so both verify,
# and a hash made with other parameters is redone at its user's next login.
PARAMETERS = profiles.RFC_9106_LOW_MEMORY
hasher = PasswordHasher.from_parameters(PARAMETERS)

# A password of a known user's hash that nobody has: checking it for an unknown email costs as
# long as checking a real one, so the time a refusal takes does not tell which emails exist.
_NOBODY = None

# No look-alikes (0/O, 1/l/I): a generated password is read off a terminal and typed.
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_password(password: str) -> str:
    """Return the Argon2id hash of a password, with its salt and parameters."""
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a hash was made with other parameters than today's (rehash at the next login)."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_time(password: str) -> None:
    """Spend as long as a verification would, for a login whose email matched nobody."""
    global _NOBODY
    if _NOBODY is None:
        _NOBODY = hasher.hash(secrets.token_urlsafe(16))
    verify_password(_NOBODY, password)


def generate_password(length: int = 16) -> str:
    """Return a random password of ``length`` characters (about 94 bits at 16)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
