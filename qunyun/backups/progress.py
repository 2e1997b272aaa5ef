"""A progress bar over the rows of many tables (tqdm, to stderr)."""

from __future__ import annotations

import sys
from types import TracebackType

from django.utils.translation import gettext as _
from tqdm import tqdm


class TableProgress:
    def __init__(self, label: str, *, disabled: bool, total: int | None = None) -> None:
        self.label = label
        self.disabled = disabled
        self.total = total
        self.bar: tqdm | None = None
        self.done_before = 0  # rows of the tables already finished
        self.table = ""
        self.in_table = 0

    def __enter__(self) -> TableProgress:
        self.bar = tqdm(
            desc=self.label,
            total=self.total,
            unit=" " + _("rows"),
            unit_scale=True,
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

    def update(self, table: str, rows: int) -> None:
        if self.bar is None:
            return
        if table != self.table:
            self.done_before += self.in_table
            self.table, self.in_table = table, 0
        self.bar.update(self.done_before + rows - self.bar.n)
        self.in_table = rows
        self.bar.set_postfix_str(table, refresh=False)
