"""A run's append-only store (``store.jsonl``) and the lock that keeps one run per folder.

Every finished measurement is one JSON line, appended with a single ``write`` and flushed to disk
(``fsync``) before the run goes on, so that a crash at any moment (SIGKILL, power loss) leaves
every finished row readable; at most the line being written is lost, and the next writer cuts
that unfinished tail off before it appends. Appending costs the same whatever the number of rows
already written: nothing is read or rewritten. results.json, the CSVs and report.md are views
rendered from the store (:mod:`bench.results`).

Lines, in order:

- ``{"segbench_store": 2, "session": {run header}, "plan": [cell keys], "shard": "I/N"}``: the
  first line; a resumed run appends a ``{"session": ..., "plan": ...}`` line of its own;
- ``{"table": "efficiency", "key": CELL, "row": {...}}``: one row; for a key measured twice
  (``--force``, or a failed cell measured again) the latest line wins.

The lock is an advisory ``flock`` on ``.lock`` in the folder, held for the whole run; the kernel
drops it when the process ends, however it ends, so a crashed run never blocks the next one.
"""

from __future__ import annotations

import errno
import json
import math
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bench.errors import BadInput

STORE_NAME = "store.jsonl"
LOCK_NAME = ".lock"
STORE_VERSION = 2


def clean(value: Any) -> Any:
    """JSON has no NaN or infinity: a value that is not a finite number is 'not measured'."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# the lock


class FolderLock:
    """Exclusive use of a run folder by one process (``with FolderLock(dir): ...``)."""

    def __init__(self, folder: str | Path, option: str = "--out"):
        self.folder = Path(folder)
        self.option = option  # the option that names the folder, for the message
        self.fd: int | None = None

    def acquire(self) -> FolderLock:
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                os.close(fd)
                raise
            holder = _read_holder(fd)
            os.close(fd)
            raise BadInput(
                f"{self.folder} is in use by another run ({holder}): expected a "
                f"folder that no other run is writing; wait for that run to end, "
                f"or choose another {self.option}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            ).encode(),
        )
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {info['pid']} on {info['host']}, since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that holds its lock"


# --------------------------------------------------------------------------------------------
# writing


class StoreWriter:
    """Appends lines to a folder's store; the caller holds the folder's lock."""

    def __init__(self, folder: str | Path, sync: bool = True):
        self.path = Path(folder) / STORE_NAME
        self.sync = sync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _cut_unfinished_tail(self.path)
        self.fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _open_fd(self) -> int:
        assert self.fd is not None, f"{self.path}: the store writer is used after close()"
        return self.fd

    @property
    def is_new(self) -> bool:
        return os.fstat(self._open_fd()).st_size == 0

    def begin(self, session: dict, plan: list[str], shard: str | None = None) -> None:
        """The first line of a new store, or a resumed session's line."""
        line: dict = {"session": session, "plan": plan, "shard": shard}
        if self.is_new:
            line = {"segbench_store": STORE_VERSION, **line}
        self._append(line)

    def add(self, table: str, key: str, row: dict) -> None:
        self._append({"table": table, "key": key, "row": row})

    def _append(self, entry: dict) -> None:
        data = (json.dumps(clean(entry), ensure_ascii=True, separators=(",", ":")) + "\n").encode(
            "ascii"
        )
        fd = self._open_fd()
        view = memoryview(data)
        while view:  # one write for a regular file; a loop in case the kernel writes less
            view = view[os.write(fd, view) :]
        if self.sync:
            os.fsync(fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _cut_unfinished_tail(path: Path) -> None:
    """Drop a last line that a killed writer left without its newline (an unfinished row)."""
    if not path.exists():
        return
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "rb+") as f:
        f.seek(max(0, size - 1))
        if f.read(1) == b"\n":
            return
        start = max(0, size - (1 << 20))
        while True:  # the last newline, read backwards in blocks
            f.seek(start)
            block = f.read(size - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                f.truncate(start + cut + 1)
                break
            if start == 0:
                f.truncate(0)
                break
            start = max(0, start - (1 << 20))
        f.flush()
        os.fsync(f.fileno())


# --------------------------------------------------------------------------------------------
# reading


@dataclass
class StoreContents:
    sessions: list[dict] = field(default_factory=list)  # run headers, first = the run's
    plan: list[str] = field(default_factory=list)  # union of the sessions' planned cells
    tables: dict[str, dict[str, dict]] = field(default_factory=dict)  # table -> key -> row

    @property
    def run(self) -> dict:
        return self.sessions[0] if self.sessions else {}

    def rows(self, table: str) -> list[dict]:
        return list(self.tables.get(table, {}).values())

    def keys(self) -> set[str]:
        return {k for rows in self.tables.values() for k in rows}


def read_store(path: str | Path) -> StoreContents:
    """Every finished line of a store (a folder or its store.jsonl). An unfinished last line (a
    writer killed mid-line) is ignored; any other line that does not parse is BadInput."""
    path = Path(path)
    if path.is_dir():
        path = path / STORE_NAME
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}: expected a run's {STORE_NAME}"
        ) from None
    lines = data.split(b"\n")
    if lines and lines[-1] != b"":  # no newline yet: the write was cut short
        lines = lines[:-1]
    out = StoreContents()
    plan: dict[str, None] = {}
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            raise BadInput(
                f"{path}, line {number}, is not JSON: expected a store written by "
                f"`python -m bench run`"
            ) from None
        if number == 1 and (not isinstance(entry, dict) or "segbench_store" not in entry):
            raise BadInput(
                f"{path} is not a segbench store: expected its first line to be a "
                f"segbench_store header"
            )
        if not isinstance(entry, dict):
            raise BadInput(f"{path}, line {number}, is not an object: expected a store line")
        if number == 1 and entry["segbench_store"] > STORE_VERSION:
            raise BadInput(
                f"{path} was written by a newer segbench (store version "
                f"{entry['segbench_store']}): expected version {STORE_VERSION} or "
                f"older; upgrade segbench to read it"
            )
        if "session" in entry:
            out.sessions.append(entry["session"] or {})
            plan.update(dict.fromkeys(entry.get("plan") or []))
        elif "table" in entry and isinstance(entry.get("row"), dict):
            key = cast(str, entry.get("key"))  # StoreWriter.add writes a str key on every row line
            out.tables.setdefault(entry["table"], {})[key] = entry["row"]
        else:
            raise BadInput(f"{path}, line {number}: expected a session or a row line")
    out.plan = list(plan)
    return out
