"""How far an import has read into its export file, for progress bars with an ETA.

Parsers open their files themselves and stream them, often in a forked read-ahead
process; rather than thread a counter through every parser, we ask the kernel: on Linux
``/proc/<pid>/fdinfo/<fd>`` holds the read position of each open file, for this process
and for its parser processes. Elsewhere (or for a folder, or before the file is open) the
position is unknown and progress falls back to counting records.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


class ReadPosition:
    """The read offset of ``path`` in this process or its parser processes, or None."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.size = path.stat().st_size if path.is_file() else None
        self._found: tuple[int, int] | None = None  # (pid, fd)

    def __call__(self) -> int | None:
        if self.size is None or not (PROC / "self").is_dir():
            return None
        if self._found is None or not self._still_ours(*self._found):
            self._found = self._find()
            if self._found is None:
                return None
        pid, fd = self._found
        try:
            with open(PROC / str(pid) / "fdinfo" / str(fd)) as info:
                for line in info:
                    if line.startswith("pos:"):
                        return min(int(line.split()[1]), self.size)
        except (OSError, ValueError):
            self._found = None
        return None

    def _still_ours(self, pid: int, fd: int) -> bool:
        try:
            return Path(os.readlink(PROC / str(pid) / "fd" / str(fd))) == self.path
        except OSError:
            return False

    def _find(self) -> tuple[int, int] | None:
        from qunyun.ingest.read_ahead import RUNNING_PARSERS

        for pid in [os.getpid(), *sorted(RUNNING_PARSERS)]:
            try:
                names = os.listdir(PROC / str(pid) / "fd")
            except OSError:
                continue
            for name in names:
                if name.isdigit() and self._still_ours(pid, int(name)):
                    return pid, int(name)
        return None
