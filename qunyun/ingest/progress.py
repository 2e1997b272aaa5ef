"""A progress bar for long imports on the terminal (tqdm, to stderr).

With a file whose read position can be seen (:mod:`qunyun.ingest.position`) the bar
counts bytes and shows percent, rate and ETA, with the records so far beside it;
otherwise it counts records with their rate.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType

from django.utils.translation import gettext as _
from tqdm import tqdm

from qunyun.ingest.position import ReadPosition

REFRESH_SECONDS = 0.2


class ProgressBar:
    def __init__(self, *, label: str, disabled: bool, source: Path | None = None) -> None:
        self.label = label
        self.disabled = disabled
        self.bar: tqdm | None = None
        self.position = ReadPosition(source) if source is not None else None
        self.refreshed = 0.0

    def __enter__(self) -> ProgressBar:
        size = self.position.size if self.position is not None else None
        if size:
            self.bar = tqdm(
                desc=self.label,
                total=size,
                unit="B",
                unit_scale=True,
                disable=self.disabled,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        else:
            self.bar = tqdm(
                desc=self.label,
                unit=" " + _("records"),
                disable=self.disabled,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            if exc_type is None and self.bar.total:
                self.bar.update(self.bar.total - self.bar.n)
            self.bar.close()

    def update(self, done: int) -> None:
        if self.bar is None:
            return
        if self.bar.total:
            position = self.position() if self.position is not None else None
            if position is not None and position > self.bar.n:
                self.bar.update(position - self.bar.n)
            self.bar.set_postfix_str(_("%(n)s records") % {"n": f"{done:,}"}, refresh=False)
            now = time.monotonic()
            if now - self.refreshed > REFRESH_SECONDS:  # the bytes may not have moved
                self.bar.refresh()
                self.refreshed = now
        else:
            self.bar.update(done - self.bar.n)
