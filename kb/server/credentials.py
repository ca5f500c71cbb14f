"""The agents' credentials: a users file of scrypt password hashes, and the session secret.

The users file (`.kb/users`, or `kb serve --users FILE`) has one line per agent,
`name:scrypt$N$r$p$salt$hash` (base64), written by `kb serve --add-user NAME` with 0600
permissions. The session secret is `KB_SESSION_SECRET`, or 32 random bytes kept in
`.kb/session.key` (0600), made on first use and shared by every worker and restart.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kb.core.errors import KBError, UsageError

if TYPE_CHECKING:
    from kb.core.settings import Settings

log = logging.getLogger(__name__)
SECRET_ENV = "KB_SESSION_SECRET"  # overrides .kb/session.key (at least 32 characters)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")  # a user name: letters, digits, ._@+-
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # longer ones are refused before hashing
MAX_FILE = 1024 * 1024  # the users file is read up to this size
# scrypt's cost: 2**14 x 8 x 1 is about 16 MiB and 50 ms per check; the most a stored line may ask
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_N, MAX_R, MAX_P = 2**20, 32, 16
MAXMEM = 256 * 1024 * 1024
_DUMMY = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$" + "A" * 22 + "$" + "A" * 43


def check_name(name: str) -> str:
    """`name` when it is a valid user name, else a UsageError saying what one looks like."""
    if not NAME.fullmatch(name):
        raise UsageError(
            "user name: expected 1-64 letters, digits or . _ @ + - (starting with a letter "
            "or digit)"
        )
    return name


def hash_password(password: str) -> str:
    """The stored form of `password`: scrypt with a fresh salt."""
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"password: expected at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"password: expected at most {MAX_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; with `stored` None, the same work and False."""
    ok = stored is not None
    parsed = _parse(stored if stored is not None else _DUMMY)
    if parsed is None or len(password) > MAX_PASSWORD:
        parsed, ok = _parse(_DUMMY), False
    assert parsed is not None
    n, r, p, salt, want = parsed
    got = _scrypt(password, salt, n, r, p, len(want))
    return hmac.compare_digest(got, want) and ok


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int = 32) -> bytes:
    data = password.encode("utf-8", "surrogatepass")
    return hashlib.scrypt(data, salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=size)


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(x.isdigit() for x in parts[1:4]):
        return None
    n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
    if not (1 < n <= MAX_N and n & (n - 1) == 0 and 0 < r <= MAX_R and 0 < p <= MAX_P):
        return None
    try:
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except (binascii.Error, ValueError):
        return None
    return (n, r, p, salt, key) if salt and 16 <= len(key) <= 64 else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def version_of(stored: str) -> str:
    """A short digest of a stored hash: sessions carry it, so a new password ends old sessions."""
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()[:16]


# -- the users file --------------------------------------------------------------------------------
def read_users(path: Path) -> dict[str, str]:
    """Name -> stored hash from a users file; {} when there is none. Bad lines are skipped."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KBError(f"{path}: cannot read the users file ({exc.strerror})") from None
    if len(raw) > MAX_FILE:
        raise KBError(f"{path}: the users file is larger than {MAX_FILE // 1024} KB")
    users: dict[str, str] = {}
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not NAME.fullmatch(name) or _parse(stored) is None:
            log.warning("%s:%d: not 'name:scrypt$...'; line skipped", path, n)  # never the line
            continue
        users[name] = stored
    return users


def write_users(path: Path, users: dict[str, str]) -> None:
    """Replace the users file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{name}:{stored}\n" for name, stored in sorted(users.items()))
    head = "# kb serve --internal: agents' names and scrypt hashes (kb serve --add-user NAME)\n"
    _write_private(path, (head + body).encode("utf-8"))


def add_user(path: Path, name: str, password: str) -> bool:
    """Add `name` with `password` (or change the password); True when the user is new."""
    check_name(name)
    stored = hash_password(password)
    users = read_users(path)
    new = name not in users
    users[name] = stored
    write_users(path, users)
    return new


def remove_user(path: Path, name: str) -> bool:
    """Remove `name` from the users file (their sessions end with it); False when not there."""
    users = read_users(path)
    if users.pop(name, None) is None:
        return False
    write_users(path, users)
    return True


@dataclass
class Users:
    """The users file as last read; read again whenever it changed on disk."""

    path: Path
    _seen: tuple[int, int, int] | None = None
    _users: dict[str, str] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        """The stored hash of `name`, or None."""
        return self.current().get(name)

    def current(self) -> dict[str, str]:
        """Every user, from the file as it is now."""
        try:
            st = self.path.stat()
            seen: tuple[int, int, int] | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            seen = None
        with self._lock:
            if self._users is None or seen != self._seen:
                try:
                    self._users = read_users(self.path) if seen is not None else {}
                except KBError as exc:
                    log.warning("%s; nobody can sign in with a password", exc)
                    self._users = {}
                self._seen = seen
            return self._users


# -- the session secret ----------------------------------------------------------------------------
def session_secret(settings: Settings) -> bytes:
    """The key that signs session cookies: KB_SESSION_SECRET, else `.kb/session.key` (made once)."""
    given = os.environ.get(SECRET_ENV, "").strip()
    if given:
        if len(given) < 32:
            raise UsageError(f"{SECRET_ENV}: expected at least 32 characters")
        return given.encode("utf-8")
    path = settings.layout.session_key
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise KBError(f"{path}: cannot read the session secret ({exc.strerror})") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        _write_file(tmp, secrets.token_hex(32).encode("ascii"))
        with contextlib.suppress(FileExistsError):  # another worker may have made it first
            os.link(tmp, path)  # whole or not at all
        return _read_key(path)
    except OSError as exc:
        raise KBError(f"{path}: cannot write the session secret ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _read_key(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & 0o077:
        log.warning("%s was readable by others; made private (0600)", path)
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise KBError(f"{path}: the session secret is too short; delete the file to make a new one")
    return key


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        _write_file(tmp, data)
        os.replace(tmp, path)
    except OSError as exc:
        raise KBError(f"{path}: cannot write ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that was there already
