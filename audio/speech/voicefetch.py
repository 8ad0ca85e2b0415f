"""`podcast voices install NAME`: a Piper voice fetched from the public voices collection, checked, kept.

The collection (`$PODCAST_VOICES_URL`, by default Piper's own on Hugging Face) lists
every voice in `voices.json`, with each file's path, size and MD5 digest. The model and
its config are downloaded beside their targets, checked against that list, and renamed
into the user's voice folder only when both are whole: an interrupted or damaged
download leaves nothing behind. This is the only command that uses the network; a
render never does.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..atomic import staged
from ..errors import EngineError, OutputError
from .engines import closest

DEFAULT_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main"
"""Where Piper's voices are published."""
TIMEOUT = 30.0
"""Seconds to wait for the server to answer, or for the next bytes of a download (not for the whole of it);
`$PODCAST_VOICES_TIMEOUT` sets another."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a voice in the collection."""

    path: str
    """Its path under the collection's address."""
    size: int
    """Its size in bytes."""
    md5: str
    """Its MD5 digest, as the collection lists it."""


def voices_url() -> str:
    """The collection's address: `$PODCAST_VOICES_URL`, else Piper's."""
    return os.environ.get("PODCAST_VOICES_URL", DEFAULT_URL).rstrip("/")


def _open(url: str):
    try:
        return urllib.request.urlopen(url, timeout=_timeout())  # noqa: S310 - an address the user chose
    except urllib.error.HTTPError as exc:
        raise EngineError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EngineError(f"cannot reach {url} ({reason}); set $PODCAST_VOICES_URL to use another copy") from None


def _timeout() -> float:
    try:
        return max(0.1, float(os.environ.get("PODCAST_VOICES_TIMEOUT", TIMEOUT)))
    except ValueError:
        return TIMEOUT


def catalogue(base: str) -> dict:
    """The collection's list of voices (`voices.json`)."""
    url = f"{base}/voices.json"
    with _open(url) as response:
        try:
            listed = json.load(response)
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            raise EngineError(f"{url} is not a list of voices ({exc})") from None
    if not isinstance(listed, dict):
        raise EngineError(f"{url} is not a list of voices")
    return listed


def voice_files(listed: dict, name: str) -> tuple[RemoteFile, RemoteFile]:
    """The model and config files of voice `name` in the collection's list."""
    entry = listed.get(name)
    if not isinstance(entry, dict):
        raise EngineError(f"no voice {name!r} in the collection{closest(name, list(listed))}")
    found = {}
    files = entry.get("files")
    for path, info in (files.items() if isinstance(files, dict) else ()):
        size, md5 = (info.get("size_bytes"), info.get("md5_digest")) if isinstance(info, dict) else (None, None)
        for suffix in (".onnx", ".onnx.json"):
            if path.endswith(suffix) and isinstance(size, int) and not isinstance(size, bool) and isinstance(md5, str):
                found[suffix] = RemoteFile(path, size, md5)
    if set(found) != {".onnx", ".onnx.json"}:
        raise EngineError(f"the collection lists no model and config for {name!r}")
    return found[".onnx"], found[".onnx.json"]


def install_voice(
    name: str, folder: Path, base: str | None = None, force: bool = False,
    stage: Callable[[str, int], Callable[[int], None]] | None = None,
) -> list[Path]:
    """Fetch voice `name` into `folder`; the files written (none if it was there, whole, and not `force`).
    `stage(label, total)` starts a progress stage counted in bytes."""
    base = (base or voices_url()).rstrip("/")
    model, config = voice_files(catalogue(base), name)
    targets = [(model, folder / f"{name}.onnx"), (config, folder / f"{name}.onnx.json")]
    if not force and all(_whole(target, remote) for remote, target in targets):
        return []
    progress = stage(f"Fetching {name}", model.size + config.size) if stage else None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the voice folder ({exc.strerror})", folder) from None
    # the config first, the model last: a model is found by its file, and its config must be there by then
    with staged(targets[1][1]) as config_tmp, staged(targets[0][1]) as model_tmp:
        for (remote, target), tmp in zip(targets, (model_tmp, config_tmp)):
            _download(f"{base}/{remote.path}", tmp, remote, progress)
        try:
            os.replace(config_tmp, targets[1][1])
            os.replace(model_tmp, targets[0][1])
        except OSError as exc:
            raise OutputError(f"cannot install the voice ({exc.strerror})", folder) from None
    return [target for _, target in targets]


def _download(url: str, tmp: Path, remote: RemoteFile, progress: Callable[[int], None] | None) -> None:
    digest, size = hashlib.md5(usedforsecurity=False), 0
    with _open(url) as response:
        try:
            out = open(tmp, "wb")
        except OSError as exc:
            raise OutputError(f"cannot write the voice ({exc.strerror})", tmp.parent) from None
        with out:
            while True:
                try:
                    block = response.read(1 << 20)
                except (OSError, http.client.HTTPException) as exc:  # a stalled or dropped connection
                    raise EngineError(f"{url}: the download stopped ({exc or type(exc).__name__}); "
                                      "nothing was installed") from None  # fmt: skip
                if not block or size + len(block) > remote.size:
                    break
                digest.update(block)
                try:
                    out.write(block)
                except OSError as exc:
                    raise OutputError(f"cannot write the voice ({exc.strerror})", tmp.parent) from None
                size += len(block)
                if progress:
                    progress(len(block))
    if size != remote.size or digest.hexdigest() != remote.md5:
        what = f"{size} bytes, not {remote.size}" if size != remote.size else "its checksum does not match"
        raise EngineError(f"{url}: the download is damaged ({what}); nothing was installed")


def _whole(target: Path, remote: RemoteFile) -> bool:
    """True if `target` is there with the size and digest the collection lists."""
    try:
        if target.stat().st_size != remote.size:
            return False
        with open(target, "rb") as f:
            return hashlib.file_digest(f, lambda: hashlib.md5(usedforsecurity=False)).hexdigest() == remote.md5
    except OSError:
        return False
