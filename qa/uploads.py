"""Uploaded articles on disk: whose they are, how much one may keep, and when they go.

An upload belongs to an owner: a browser, known by the random id its page
keeps (``new_owner``), or ``None`` for the shared uploads (Python's
``Engine.add_article`` and the app's uploads from before they were private).
Each owner's files live in its own folder (``qa.folders.upload_folder``); the
same name replaces only the owner's own file. The limits are settings
(``max_article_bytes`` a file, ``max_upload_files`` and ``max_upload_bytes``
an owner, ``max_uploads_total_bytes`` for all uploads together) and each
refusal says which one. Files neither uploaded again nor cited in an answer
for ``upload_days`` are removed by ``remove_unused``. Leaves out: indexing
(the engine), the per-browser engines and the upload queue (``qa.browsers``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Iterable

from embeddings.files import atomic_write, cache_lock, sweep

from .articles import human_size
from .config import Settings
from .corpus import Corpus
from .errors import ArticleError
from .folders import BROWSERS, UPLOAD_LEFTOVERS, store_folder, upload_files, upload_folder
from .stores import forget_owner

log = logging.getLogger(__name__)

# A browser's id: what new_owner makes. Checked strictly, as it names a folder
# and comes from the page.
_OWNER = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A cited upload's "last used" time is moved at most this often (one utime per hour, not per answer).
_TOUCH_EVERY_S = 3600
SECRET_FILE = "browser-secret"


def new_owner() -> str:
    """A fresh browser id: 144 random bits, so one browser cannot guess another's."""
    return secrets.token_urlsafe(18)


def valid_owner(value: object) -> str | None:
    """``value`` if it is a well-formed browser id, else None."""
    return value if isinstance(value, str) and _OWNER.fullmatch(value) else None


def safe_name(name: object) -> str:
    """A plain file name from an upload's name: no folders, no hidden files.

    >>> safe_name("../../etc/pass wd.txt"), safe_name(".hidden.md")
    ('pass wd.txt', 'hidden.md')
    """
    base = Path(str(name)).name.strip()
    base = re.sub(r"[^\w.\- ]+", "_", base).lstrip(".")
    if not base:
        raise ArticleError("the uploaded file has no usable name")
    return base


def _sizes(files: Iterable[Path]) -> dict[Path, int]:
    sizes = {}
    for path in files:
        try:
            sizes[path] = path.stat().st_size
        except OSError:
            continue
    return sizes


def all_upload_files(settings: Settings) -> list[Path]:
    """Every uploaded file of this store: the shared ones and every browser's."""
    files = upload_files(upload_folder(settings))
    browsers = store_folder(settings) / BROWSERS
    if browsers.is_dir():
        for owner in sorted(p for p in browsers.iterdir() if p.is_dir()):
            files += upload_files(owner / "uploads")
    return files


def check_room(settings: Settings, owner: str | None, name: str, size: int) -> None:
    """Refuse an upload that would pass a limit, saying which; a file replacing its namesake counts once."""
    target = upload_folder(settings, owner) / name
    mine = {p: s for p, s in _sizes(upload_files(upload_folder(settings, owner))).items() if p != target}
    whose = "this browser's" if owner else "the shared"
    if len(mine) + 1 > settings.max_upload_files:
        raise ArticleError(f"{name}: {whose} uploads already hold {len(mine)} files, the limit is "
                           f"{settings.max_upload_files}; uploads not used for {settings.upload_days} days are removed")
    total = sum(mine.values()) + size
    if total > settings.max_upload_bytes:
        raise ArticleError(f"{name}: {whose} uploads would hold {human_size(total)}, the limit is "
                           f"{human_size(settings.max_upload_bytes)}")
    everyone = sum(s for p, s in _sizes(all_upload_files(settings)).items() if p != target) + size
    if everyone > settings.max_uploads_total_bytes:
        raise ArticleError(f"{name}: this server's uploads would hold {human_size(everyone)}, the limit for all "
                           f"uploads together is {human_size(settings.max_uploads_total_bytes)}; try again later")


def write_upload(settings: Settings, owner: str | None, name: str, data: bytes) -> bytes | None:
    """Store an upload atomically (the caller holds the owner's lock); returns the bytes it replaced."""
    folder = upload_folder(settings, owner)
    folder.mkdir(parents=True, exist_ok=True)
    sweep(folder, UPLOAD_LEFTOVERS)
    target = folder / name
    previous = target.read_bytes() if target.is_file() else None
    atomic_write(target, lambda tmp: Path(tmp).write_bytes(data))
    return previous


def undo_upload(settings: Settings, owner: str | None, name: str, previous: bytes | None) -> None:
    """Put back what ``write_upload`` replaced (or remove the new file)."""
    target = upload_folder(settings, owner) / name
    if previous is None:
        target.unlink(missing_ok=True)
    else:
        atomic_write(target, lambda tmp: Path(tmp).write_bytes(previous))


def mark_used(corpus: Corpus, names: Iterable[str]) -> None:
    """Count the uploads among ``names`` (articles cited in an answer) as used now."""
    now = time.time()
    uploaded = {a.name for a in corpus.articles if a.uploaded}
    for name in set(names) & uploaded:
        path = corpus.files.get(name)
        try:
            if path is not None and now - path.stat().st_mtime > _TOUCH_EVERY_S:
                os.utime(path)
        except OSError:
            continue


def remove_unused(settings: Settings, now: float | None = None) -> list[Path]:
    """Remove uploads unused for ``upload_days`` (and a browser's folder once it has none); returns them.

    Each owner's folder is swept while holding its lock; a folder busy with an
    upload is left for the next sweep.
    """
    cutoff = (time.time() if now is None else now) - settings.upload_days * 86400
    removed: list[Path] = []
    owners: list[str | None] = [None]
    browsers = store_folder(settings) / BROWSERS
    if browsers.is_dir():
        owners += sorted(p.name for p in browsers.iterdir() if p.is_dir() and valid_owner(p.name))
    for owner in owners:
        with cache_lock(store_folder(settings, owner), blocking=False) as held:
            if not held:
                continue
            folder = upload_folder(settings, owner)
            sweep(folder, UPLOAD_LEFTOVERS)
            for path, _ in _sizes(upload_files(folder)).items():
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed.append(path)
                except OSError:
                    continue
            if owner is not None and not upload_files(folder):
                forget_owner(settings, owner)
                shutil.rmtree(store_folder(settings, owner), ignore_errors=True)  # its private store too
    if removed:
        log.info("removed %d upload(s) unused for %d days", len(removed), settings.upload_days)
    return removed


def browser_token(settings: Settings, owner: str) -> str:
    """What a browser keeps for ``owner``: the id and the server's signature of it (HMAC-SHA256 with the key in
    the cache, ``browser_secret``, which is never sent anywhere). Only a token the server made opens uploads."""
    return f"{owner}.{_signature(settings, owner)}"


def token_owner(settings: Settings, token: object) -> str | None:
    """The browser id a token stands for when this server signed it; None for anything else (a bare or forged
    id, another server's token, a token from before the key changed: they own nothing and get a fresh id)."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    owner, _, signature = token.rpartition(".")
    if valid_owner(owner) is None or not hmac.compare_digest(signature, _signature(settings, owner)):
        return None
    return owner


def _signature(settings: Settings, owner: str) -> str:
    digest = hmac.new(browser_secret(settings).encode(), owner.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def browser_secret(settings: Settings) -> str:
    """The server's key that signs browser ids (``browser_token``), kept in the cache (mode 600) so ids survive
    a restart. Deleting the file revokes every browser's token at once."""
    path = Path(settings.cache_dir) / SECRET_FILE
    try:
        secret = path.read_text().strip()
        if len(secret) >= 16:
            return secret
    except OSError:
        pass
    secret = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
    except OSError as exc:  # a read-only cache: ids last until the app restarts
        log.warning("cannot keep the browser key in %s (%s)", path, exc.strerror or exc)
    return secret
