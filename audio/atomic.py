"""Writing outputs so that a failure or an interruption never leaves them half old, half new.

Each file is written to a temporary file beside its target (`staged`); then all of
them replace their targets together (`commit_all`): with Ctrl-C held back until the
last rename, and the previous files put back if any rename fails.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from .errors import NO_SPACE, OutputError
from .hooks import moment


def reason(exc: OSError) -> str:
    """A user's reading of an OS error."""
    return NO_SPACE if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))


def check_writable(target: Path) -> None:
    """Refuse a target the user made read-only (renaming over it would work, even as root)."""
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot be checked ({reason(exc)})", target) from None
    if not mode & 0o222:
        raise OutputError("is read-only; make it writable (chmod u+w) or choose another --out", target)


def write_file(target: Path, data: bytes) -> None:
    """Write a cache file whole or not at all: a temporary file beside it, then a rename.

    Its folder is made if missing; an OSError is the caller's to report.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        moment(f"writing {target.suffix}")  # a test's stopping point: killed with the file half made
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, removed unless committed."""
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write beside it ({reason(exc)})", target) from None
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold Ctrl-C back until the block is done; it is taken (as KeyboardInterrupt) after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def commit_all(pairs: list[tuple[Path, Path]]) -> None:
    """Move every (temporary, target) into place, all or none."""
    backups: list[tuple[Path, Path | None]] = []
    done: list[Path] = []
    with _sigint_held():
        try:
            for tmp, target in pairs:
                os.chmod(tmp, 0o644)
                backup = None
                if target.exists():
                    backup = target.with_name(f".{target.name}.previous")
                    backup.unlink(missing_ok=True)
                    try:
                        os.link(target, backup)
                    except OSError:
                        shutil.copy2(target, backup)
                backups.append((target, backup))
            for tmp, target in pairs:
                os.replace(tmp, target)
                done.append(target)
        except OSError as exc:
            for target, backup in backups:
                if target in done:
                    if backup is not None:
                        os.replace(backup, target)
                    else:
                        target.unlink(missing_ok=True)
            failed = pairs[len(done)][1] if len(done) < len(pairs) else pairs[-1][1]
            raise OutputError(
                f"cannot replace the previous file ({reason(exc)}); nothing was changed",
                failed,
            ) from None
        finally:
            for _, backup in backups:
                if backup is not None:
                    backup.unlink(missing_ok=True)
