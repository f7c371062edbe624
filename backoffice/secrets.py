"""Credentials kept encrypted at rest (client secrets, token caches): Fernet, keyed by settings.

`FIELD_ENCRYPTION_KEY` holds one or more Fernet keys separated by commas: the first encrypts, all of
them decrypt, so a key can be rotated by putting the new one first. Left empty, a key is derived from
`SECRET_KEY`, which keeps development and tests working; production sets its own.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (the key changed, or the value was altered)."""


@cache
def _fernet(configured: str, secret_key: str) -> MultiFernet:
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    if not keys:
        derived = hashlib.sha256(("field-encryption:" + secret_key).encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY or "", settings.SECRET_KEY)


def secret_encrypt(text: str) -> str:
    """The text encrypted and authenticated, as an ASCII token safe to store anywhere."""
    return _current().encrypt(text.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The text of a token made by secret_encrypt."""
    try:
        return _current().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError) as error:
        raise SecretUnreadable("A stored secret could not be decrypted with the configured keys.") from error
