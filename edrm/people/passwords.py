"""Password hashing (argon2), with a bounded number of hashes computed at once per process.

Each argon2 hash takes 64 MiB and tens of milliseconds with the default parameters, so a burst
of sign-ins (or guesses) must queue for a slot instead of exhausting memory and CPU.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_SLOTS = 2
#: The stored hash of an account that has no password (it can never sign in with one).
NO_PASSWORD = ""

_hasher = PasswordHasher()
_dummy_hash = ""
_slots = threading.BoundedSemaphore(DEFAULT_SLOTS)
_slot_count = DEFAULT_SLOTS
_slots_lock = threading.Lock()


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2 parameters (the test suite uses the cheapest profile)."""
    global _hasher, _dummy_hash
    _hasher = hasher
    _dummy_hash = ""


def use_hash_slots(count: int) -> None:
    """How many hashes this process computes at once (the `password_hash_slots` setting)."""
    global _slots, _slot_count
    if count < 1:
        raise ValueError("at least one password hash slot is needed")
    with _slots_lock:
        if count != _slot_count:
            _slots, _slot_count = threading.BoundedSemaphore(count), count


@contextmanager
def _slot() -> Iterator[None]:
    slots = _slots  # the semaphore in force when the wait began
    with slots:
        yield


def hash_password(password: str) -> str:
    with _slot():
        return _hasher.hash(password)


def verify_password(hash_: str, password: str) -> bool:
    """True if `password` matches `hash_` (one hash computed, in a slot). An account with no
    password (`NO_PASSWORD`: a service account) matches nothing, in the same time."""
    if hash_ == NO_PASSWORD:
        verify_unknown(password)
        return False
    with _slot():
        try:
            return _hasher.verify(hash_, password)
        except (VerificationError, InvalidHashError):
            return False


def verify_unknown(password: str) -> None:
    """Spend the same time as `verify_password` when there is no account to check against,
    so the answer does not tell whether the account exists."""
    verify_password(_unknown_user_hash(), password)


def needs_rehash(hash_: str) -> bool:
    return _hasher.check_needs_rehash(hash_)


def _unknown_user_hash() -> str:
    global _dummy_hash
    if not _dummy_hash:
        _dummy_hash = hash_password("edrm-no-such-user")
    return _dummy_hash
