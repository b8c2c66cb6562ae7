"""Files the book writes and reads back, verified: nothing is ever read silently wrong.

- :func:`sha256_of` hashes a file's bytes.
- :func:`write_json` / :func:`read_json`: a JSON object carrying the sha256 of its own
  content under :data:`DIGEST_KEY`. A flipped byte, a truncation or a hand edit raises
  :class:`CorruptFileError` naming the file and the fix; a missing file raises
  :class:`FileNotFoundError` naming how to produce it. Results, benchmarks and the
  build record use these two functions.
- :func:`atomic_write_bytes` writes through a temporary file and a rename, so that a
  process killed mid-write leaves the old file or none, never a torn one.
- :func:`file_lock` serialises processes that produce the same file (two builds
  training one model into one cache).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

DIGEST_KEY = "sha256"


class CorruptFileError(RuntimeError):
    """A file's bytes do not match its recorded sha256, or it cannot be parsed."""


def sha256_of(path: Path) -> str:
    """The sha256 of the file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_digest(obj: Any) -> str:
    """The sha256 of ``obj``'s canonical JSON (sorted keys, no whitespace). Python writes
    each float as its shortest round-trip repr, so the digest survives a read and rewrite."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a unique temporary file in the same folder and a
    rename: readers see the old file or the new one, never part of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _render(obj: dict) -> bytes:
    """The exact bytes :func:`write_json` writes for ``obj`` (digest included)."""
    return (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def write_json(path: Path, obj: dict) -> None:
    """Write a JSON object with the digest of its content under :data:`DIGEST_KEY`
    (atomically; NaN and infinity are refused: JSON has no such numbers)."""
    if not isinstance(obj, dict):
        raise TypeError(f"write_json writes a JSON object (dict), got {type(obj).__name__}")
    body = {k: v for k, v in obj.items() if k != DIGEST_KEY}
    atomic_write_bytes(Path(path), _render({**body, DIGEST_KEY: content_digest(body)}))


def read_json(path: Path, fix: str = "delete it and run what writes it again") -> dict:
    """Read a file written by :func:`write_json` and verify it: its content against its
    digest, and its bytes against the way :func:`write_json` writes that content (so even a
    flip in a float's 17th digit, which parses to the same number, is caught).

    ``fix`` completes the error message: how to produce the file again."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. Fix: {fix}.")
    raw = path.read_bytes()
    try:
        obj = json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorruptFileError(f"{path} is not valid JSON ({err}): it is truncated or corrupt. Fix: {fix}.") from err
    if not isinstance(obj, dict) or DIGEST_KEY not in obj:
        raise CorruptFileError(f"{path} has no {DIGEST_KEY!r} of its content, so it cannot be verified "
                               f"(written by hand or by an older version). Fix: {fix}.")
    if _render(obj) != raw:
        raise CorruptFileError(f"{path} is corrupt: its bytes are not those written for its content. Fix: {fix}.")
    recorded = obj.pop(DIGEST_KEY)
    if content_digest(obj) != recorded:
        raise CorruptFileError(f"{path} is corrupt: its content does not match its recorded sha256. Fix: {fix}.")
    return obj


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block.
    A second process waits until the first leaves its block; the operating system
    releases the lock of a killed process."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
