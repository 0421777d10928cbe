"""Secrets that must resist offline guessing: the supervisor PIN and the IC's passphrase.

Both are stretched with scrypt (N=2**16, r=8, p=1: 64 MiB of memory and about 0.2 s a guess on the kiosk
laptop), with a 16-byte random salt per secret.  A stolen database file therefore costs an attacker 0.2 s
of one core and 64 MiB per guess: a 6-digit PIN about 55 core-hours for all of them, a passphrase of four
random words far beyond reach.  The stored form names its parameters, so they can be raised later without
breaking secrets already set.

``seal``/``unseal`` encrypt with a derived key (AES-256-GCM, a fresh 96-bit nonce per seal).  Each sealed
value is bound to what it belongs to (associated data, e.g. the check-in's id), so sealed values cannot be
swapped between rows without the swap being detected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
NONCE_BYTES = 12
_MAXMEM = 256 * 1024 * 1024  # above the 64 MiB scrypt needs at these parameters


@dataclass(frozen=True)
class KdfParams:
    """Salt and cost of one derivation; stored beside what it protects."""

    salt: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def fresh(cls) -> KdfParams:
        return cls(os.urandom(SALT_BYTES))

    def encode(self) -> str:
        return f"scrypt${self.n}${self.r}${self.p}${base64.b64encode(self.salt).decode()}"

    @classmethod
    def decode(cls, text: str) -> KdfParams:
        name, n, r, p, salt = text.split("$")
        if name != "scrypt":
            raise ValueError(f"unknown key derivation {name!r}")
        return cls(base64.b64decode(salt), int(n), int(r), int(p))


def derive_key(secret: str, params: KdfParams) -> bytes:
    """A 32-byte key from ``secret``: slow on purpose (see the module note)."""
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=params.salt, n=params.n, r=params.r, p=params.p, maxmem=_MAXMEM, dklen=KEY_BYTES
    )


def hash_secret(secret: str) -> str:
    """The stored form of a PIN or passphrase: parameters, salt and scrypt digest; never the secret."""
    params = KdfParams.fresh()
    return f"{params.encode()}${base64.b64encode(derive_key(secret, params)).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from (constant-time comparison)."""
    encoded, _, digest = stored.rpartition("$")
    return hmac.compare_digest(derive_key(secret, KdfParams.decode(encoded)), base64.b64decode(digest))


class SealBroken(ValueError):
    """A sealed value that does not open: the wrong key, altered bytes, or a value moved from elsewhere."""


def seal(key: bytes, plaintext: bytes, bound_to: bytes) -> bytes:
    """``plaintext`` encrypted and authenticated under ``key``: nonce + ciphertext + tag."""
    from cryptography.hazmat.primitives.ciphers.aead import (
        AESGCM,  # here: a scan need not load it
    )

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, bound_to)


def unseal(key: bytes, sealed: bytes, bound_to: bytes) -> bytes:
    """The plaintext of ``seal(key, plaintext, bound_to)``; ``SealBroken`` for anything else."""
    if len(sealed) < NONCE_BYTES + 16:
        raise SealBroken("sealed value too short")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], bound_to)
    except InvalidTag:
        raise SealBroken("wrong key, or the sealed value was altered or moved") from None
