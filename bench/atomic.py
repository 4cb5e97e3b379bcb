"""Writing a file so that readers see the old content or the new, never half of it: the one
helper every writer of results, reports, figures and checkpoints goes through."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (hidden: ``.NAME.XXXX.tmp``) to write; when the block
    ends, it is made readable like any new file and renamed onto ``path``. If the block fails,
    or is interrupted, the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; results are for reading
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Text, flushed to disk before the rename. Text that cannot be UTF-8 (a path holding a byte
    that is not) is written with backslash escapes."""
    with (
        atomic_path(path) as tmp,
        open(tmp, "w", encoding="utf-8", errors="backslashreplace", newline="") as f,
    ):
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
