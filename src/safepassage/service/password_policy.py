"""The password policy of NIST SP 800-63B (section 3.1.1.2 of revision 4; 5.1.1.2 of revision 3).

A password is accepted when it is 8 to 200 characters long and is not:

- on the shipped list of common and breached passwords (``data/common-passwords.txt``; its source is
  noted in its header), compared without regard to case;
- repetitive or sequential (``aaaaaaaa``, ``12345678``, ``abcdefgh``, ``abababab``);
- the user name, the service name or the deployment name, or built around one of them.

There are no composition rules (no "one digit and one symbol") and no periodic expiry, as the
guideline asks. The same policy applies to the first admin's password (``SAFEPASSAGE_ADMIN_PASSWORD``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from itertools import pairwise

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "password_problem"]

MIN_LENGTH = 8
MAX_LENGTH = 200


@cache
def _blocklist() -> frozenset[str]:
    text = resources.files("safepassage.service").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _repetitive_or_sequential(password: str) -> bool:
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in pairwise(password)}
    return steps <= {1} or steps <= {-1}


def password_problem(password: str, *, username: str = "", context: tuple[str, ...] = ("safepassage",)) -> str | None:
    """Why ``password`` is refused (a sentence for the user), or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    lowered = password.lower()
    if lowered in _blocklist():
        return "is on the list of common or breached passwords: choose another (a few unrelated words make a good one)"
    if _repetitive_or_sequential(password):
        return "is repetitive or sequential: choose a less predictable password"
    for word in (username, *context):
        word = word.lower().strip()
        if len(word) >= 3 and word in lowered and len(lowered) - len(word) < MIN_LENGTH:
            return f"is built around {'the user name' if word == username.lower().strip() else repr(word)}: choose one that is not"
    return None
