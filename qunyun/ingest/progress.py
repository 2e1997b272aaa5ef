"""A progress bar for long imports on the terminal (tqdm, to stderr)."""

from __future__ import annotations

import sys
from types import TracebackType

from django.utils.translation import gettext as _
from tqdm import tqdm


class ProgressBar:
    """Counts records with rate and elapsed time; silent when not wanted."""

    def __init__(self, *, label: str, disabled: bool) -> None:
        self.label = label
        self.disabled = disabled
        self.bar: tqdm | None = None

    def __enter__(self) -> ProgressBar:
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
            self.bar.close()

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
