"""The unanswered questions: the overview shows the newest, the export holds every one.

The KPIs keep the newest 200 (``UNANSWERED_LISTED``); a community with more than that
must still see its true number on the page and every question in the export (issue 15,
requirement 5).
"""

from __future__ import annotations

import csv
import io
from html import unescape

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from qunyun.analytics.response import UNANSWERED_LISTED
from qunyun.analytics.selectors import workspace_kpis
from qunyun.audit.models import AuditEvent
from qunyun.conftest import channel, message, utc
from qunyun.dashboard.views import UNANSWERED_SHOWN
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord
from qunyun.workspaces.models import Role, WorkspaceMembership

ASKED = UNANSWERED_LISTED + 37
REPLY = ActivityKind.REPLY


def text(i: int) -> str:
    return f"第 {i} 个问题：有没有 API 文档？"


@pytest.fixture
def crowded(workspace):
    """237 questions nobody answered over the ten days to 06-30 in two groups, and one
    that was. Each group has a reply, so only replies answer there (in a group without
    any, the next message by someone else would)."""
    records: list[ChannelRecord | ActivityRecord] = [
        channel(),
        channel("g2", "开发者群"),
        message("asked", utc(2026, 6, 20, 1), "asker", text="怎么导出 PDF？"),
        message("answer", utc(2026, 6, 20, 2), "helper", kind=REPLY, reply_to="asked"),
        message("aside", utc(2026, 6, 20, 3), "helper", kind=REPLY, reply_to="x", channel="g2"),
    ]
    for i in range(ASKED):
        when = utc(2026, 6, 21 + i % 10, i % 24, i // 24)
        where = "g2" if i % 3 == 0 else "g1"
        records.append(message(f"q{i}", when, f"user{i % 40}", text=text(i), channel=where))
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    return workspace


@pytest.fixture
def analyst(django_user_model, crowded):
    user = django_user_model.objects.create_user("ana", password="ana-password-1")
    WorkspaceMembership.objects.create(workspace=crowded, user=user, role=Role.ANALYST)
    return user


def newest() -> int:
    """The question asked last: on 06-30 (i % 10 == 9) at the latest hour and minute."""
    return max(range(ASKED), key=lambda i: (i % 10, i % 24, i // 24))


def export(client, fmt: str, **query: str) -> bytes:
    response = client.get(
        reverse("export_table", args=["acme", "unanswered-questions", fmt]), query
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def texts(every: int = 1) -> set[str]:
    return {text(i) for i in range(0, ASKED, every)}


def test_the_kpis_keep_the_newest_but_count_them_all(crowded) -> None:
    questions = workspace_kpis(crowded)["questions"]

    assert questions["total"] == ASKED + 1
    assert questions["answered"] == 1
    assert len(questions["unanswered"]) == UNANSWERED_LISTED


def test_the_page_says_how_many_of_all_it_shows(client, analyst) -> None:
    client.force_login(analyst)

    response = client.get(reverse("overview", args=["acme"]))

    section = unescape(response.content.decode().split('id="unanswered-questions"')[1])
    section = section.split("</section>")[0]
    assert f"The newest {UNANSWERED_SHOWN} of {ASKED}; the export holds all of them." in section
    assert section.count('class="question"') == UNANSWERED_SHOWN
    assert text(newest()) in section  # the newest first


def test_the_csv_export_holds_every_unanswered_question(client, analyst, crowded) -> None:
    client.force_login(analyst)

    rows = list(csv.reader(io.StringIO(export(client, "csv").decode("utf-8")[1:])))

    assert rows[0][:4] == ["Asked at", "Asked by", "Channel", "Question"]
    assert len(rows) == 1 + ASKED
    assert {row[3] for row in rows[1:]} == texts()
    assert rows[1][3] == text(newest())  # newest first
    assert "怎么导出 PDF？" not in {row[3] for row in rows[1:]}  # answered
    event = AuditEvent.objects.get(workspace=crowded, action="table_exported")
    assert event.params["rows"] == ASKED


def test_the_xlsx_export_holds_every_unanswered_question(client, analyst) -> None:
    client.force_login(analyst)

    sheet = load_workbook(io.BytesIO(export(client, "xlsx")), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))

    assert len(rows) == 1 + ASKED
    assert {row[3] for row in rows[1:]} == texts()


def test_the_export_follows_the_channel_filter(client, analyst, crowded) -> None:
    client.force_login(analyst)
    g2 = crowded.channels.get(external_id="g2")

    rows = list(csv.reader(io.StringIO(export(client, "csv", channel=str(g2.pk)).decode()[1:])))

    assert {row[3] for row in rows[1:]} == texts(every=3)
    assert {row[2] for row in rows[1:]} == {"开发者群"}
