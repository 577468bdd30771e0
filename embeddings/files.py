"""Files in the cache folder: written whole or not at all, one writer at a time, leftovers swept.

``atomic_write`` writes through a temporary name in the same folder and
renames it over the target, returning the digest of exactly the bytes it
wrote (so a manifest vouches for what this writer wrote, not for whatever
another writer left there since). ``cache_lock`` is an inter-process lock
(``filelock``: an OS lock, released by the kernel when its holder dies, so a
killed build never blocks the next start) around building and publishing a
store or an ONNX export; it is re-entrant within a thread and exclusive
between threads and processes. ``sweep`` removes what a killed writer left
behind; call it only while holding the lock of the folder it sweeps.
Leaves out: network file systems without working locks (filelock falls back
to a soft lock there).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import filelock
import orjson
import xxhash

log = logging.getLogger(__name__)

# How often a waiting process re-tries the lock, and says once that it waits.
_POLL_S = 0.5


# What a file record vouches with: XXH3-128, which reads ~10 GB/s against SHA-256's ~1.5 GB/s here
# (a 100k-passage cached start reads 600 MB: 0.06 s against 0.4 s). Records that say "sha256" are
# checked with it.
DIGEST = "xxh3_128"
_DIGESTS = {DIGEST: xxhash.xxh3_128, "sha256": hashlib.sha256}


def file_digest(path: Path | str, algorithm: str = DIGEST) -> str:
    """Hex digest of a file, read in blocks."""
    digest = _DIGESTS[algorithm]()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_matches(path: Path | str, record: dict) -> bool:
    """Whether a file has the digest its record (``{DIGEST: ...}``, or an older ``{"sha256": ...}``) gives."""
    for algorithm in _DIGESTS:
        if algorithm in record:
            return file_digest(path, algorithm) == record[algorithm]
    return False


def read_json(path: Path | str):
    """A JSON file's content (orjson: a third of the time of ``json`` on a 100k-passage store's records)."""
    with open(path, "rb") as fh:
        return orjson.loads(fh.read())


def atomic_write(path: Path, write: Callable[[str], None]) -> str:
    """Write through ``write(temp_path)`` then rename over ``path``: never half a file.

    Returns the digest (``DIGEST``) of the bytes written. The temporary file is named
    ``.<name>.<random>.tmp`` so ``sweep`` can find it if the writer is killed.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        digest = file_digest(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def lock_path(folder: Path) -> Path:
    """The lock file guarding ``folder``: a hidden sibling, so a folder blocked by a file can still be locked."""
    folder = Path(folder)
    return folder.parent / f".{folder.name}.lock"


@contextlib.contextmanager
def cache_lock(folder: Path, waiting: Callable[[], None] | None = None, blocking: bool = True) -> Iterator[bool]:
    """Hold the inter-process lock of ``folder`` for the block; yields whether it is held.

    Waits as long as another holder works (a build can take minutes), calling
    ``waiting()`` once when it has to wait; with ``blocking=False`` it yields
    False at once instead. Where the lock file cannot be made (a read-only
    cache) the block runs unlocked: nothing can be written there either.
    """
    lock = _acquire(lock_path(folder), waiting, blocking)
    if lock is None:
        log.debug("%s not locked (busy, or the lock cannot be made)", folder)
    try:
        yield lock is not None
    finally:
        if lock is not None:
            lock.release()


def _acquire(path: Path, waiting: Callable[[], None] | None, blocking: bool) -> filelock.BaseFileLock | None:
    """The held lock at ``path``, waiting for it if ``blocking``; None when not held."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(path), is_singleton=True)
        try:
            lock.acquire(timeout=0)
            return lock
        except filelock.Timeout:
            if not blocking:
                return None
        if waiting:
            waiting()
        log.info("waiting for another process to finish with %s", path)
        while True:
            try:
                lock.acquire(timeout=_POLL_S)
                return lock
            except filelock.Timeout:
                continue
    except OSError:
        return None


def sweep(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Remove files and folders in ``folder`` matching ``patterns`` (leftovers of a killed writer); returns them.

    Only safe while holding ``folder``'s lock: a live writer's temporary file matches too.
    """
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for pattern in patterns:
        for path in folder.glob(pattern):
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
    if removed:
        log.info("removed %d leftover file(s) of an interrupted write in %s", len(removed), folder)
    return removed
