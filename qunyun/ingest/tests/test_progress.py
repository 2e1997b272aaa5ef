"""Progress in bytes: the read position of the export, seen from the same process."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from qunyun.ingest.position import ReadPosition
from qunyun.ingest.progress import ProgressBar

linux_only = pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs /proc")


@linux_only
def test_the_read_position_follows_the_parser_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(b"x" * 10_000)
    position = ReadPosition(path)

    before = position()
    with path.open("rb", buffering=0) as handle:
        at_start = position()
        handle.read(4_000)
        middle = position()
    after = position()

    assert (before, at_start, middle, after) == (None, 0, 4_000, None)


def test_a_folder_has_no_position(tmp_path: Path) -> None:
    assert ReadPosition(tmp_path)() is None


@linux_only
def test_the_bar_shows_bytes_percent_and_records(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(b"y" * 1_000_000)
    screen = io.StringIO()
    monkeypatch.setattr(sys, "stderr", screen)

    with (
        ProgressBar(label="Importing", disabled=False, source=path) as bar,
        path.open("rb", buffering=0) as f,
    ):
        f.read(500_000)
        bar.update(1234)
        assert bar.bar is not None and bar.bar.n == 500_000

    assert "1,234 records" in screen.getvalue()
    assert "1.00M/1.00M" in screen.getvalue()


@linux_only
def test_the_position_is_seen_in_the_parser_process_too(tmp_path: Path) -> None:
    import time

    from qunyun.ingest.read_ahead import BATCH, read_ahead

    path = tmp_path / "export.txt"
    path.write_bytes(b"z" * 10_000)

    def parser():
        with path.open("rb", buffering=0) as handle:
            handle.read(4_000)
            for i in range(BATCH):
                yield ("a", i)
            time.sleep(3)  # still reading, as far as anyone can tell

    items = read_ahead(parser())
    first = next(items)
    position = ReadPosition(path)()
    items.close()

    assert first == ("a", 0)
    assert position == 4_000
