"""How far this process has read into an export file, for progress bars with an ETA.

Parsers open their files themselves and stream them; rather than thread a counter through
every parser, we ask the kernel: on Linux ``/proc/self/fdinfo/<fd>`` holds the read
position of each open file. Elsewhere (or for a folder, or before the file is open) the
position is unknown and progress falls back to counting records.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC_FD = Path("/proc/self/fd")


class ReadPosition:
    """The read offset of ``path`` in this process, or None when it cannot be known."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.size = path.stat().st_size if path.is_file() else None
        self._fd: int | None = None

    def __call__(self) -> int | None:
        if self.size is None or not PROC_FD.is_dir():
            return None
        if self._fd is None or not self._still_ours(self._fd):
            self._fd = self._find()
            if self._fd is None:
                return None
        try:
            with open(f"/proc/self/fdinfo/{self._fd}") as info:
                for line in info:
                    if line.startswith("pos:"):
                        return min(int(line.split()[1]), self.size)
        except (OSError, ValueError):
            self._fd = None
        return None

    def _still_ours(self, fd: int) -> bool:
        try:
            return Path(os.readlink(PROC_FD / str(fd))) == self.path
        except OSError:
            return False

    def _find(self) -> int | None:
        try:
            names = os.listdir(PROC_FD)
        except OSError:
            return None
        for name in names:
            if name.isdigit() and self._still_ours(int(name)):
                return int(name)
        return None
