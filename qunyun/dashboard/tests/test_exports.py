"""Exports: the whole filtered list as CSV or XLSX, headers in the operator's language."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from qunyun.activity.snapshot import snapshot_dir
from qunyun.analytics.kpis import compute_kpis
from qunyun.audit.models import AuditEvent
from qunyun.conftest import channel, message, utc
from qunyun.dashboard.tables import MEMBER_COLUMNS
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord
from qunyun.members.models import Member, Segment, Tag
from qunyun.workspaces.models import Role, WorkspaceMembership

BOM = "\ufeff"


@pytest.fixture
def community(workspace):
    """60 members; 55 of them "active" (more than one page of 50), scored 0..54."""
    records: list[ChannelRecord | ActivityRecord] = [channel()]
    for i in range(60):
        records.append(
            message(str(i), utc(2026, 3, 1 + i % 20, 12), f"user{i}", name=f"成员{i:02d}")
        )
    records.append(message("q", utc(2026, 3, 21, 12), "user7", text="怎么导出 PDF？"))
    records.append(
        message("a", utc(2026, 3, 21, 13), "user8", kind=ActivityKind.REPLY, reply_to="q")
    )
    records.append(message("q2", utc(2026, 3, 21, 14), "user9", text="有没有 API 文档？"))
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    for member in Member.objects.filter(workspace=workspace):
        number = int(member.display_name[2:])
        member.segment = Segment.ACTIVE if number < 55 else Segment.SILENT
        member.engagement_score = float(number)
        member.churn_risk = None if number % 10 == 0 else number / 100
        member.save()
    Member.objects.get(display_name="成员07").tags.add(
        Tag.objects.create(workspace=workspace, name="KOC")
    )
    return workspace


@pytest.fixture
def analyst(django_user_model, community):
    user = django_user_model.objects.create_user("ana", password="ana-password-1")
    WorkspaceMembership.objects.create(workspace=community, user=user, role=Role.ANALYST)
    return user


def export(client, table: str, fmt: str, language: str = "en", **query: str):
    url = reverse("export_table", args=["acme", table, fmt])
    return client.get(url, query, HTTP_ACCEPT_LANGUAGE=language)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    text = body(response).decode("utf-8")
    assert text.startswith(BOM), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    return [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]


def today() -> str:
    with timezone.override("Asia/Shanghai"):
        return timezone.localdate().isoformat()


def test_csv_holds_every_member_of_the_filtered_list_not_one_page(client, analyst) -> None:
    client.force_login(analyst)

    response = export(client, "members", "csv", segment="active", sort="-score")
    rows = csv_rows(response)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="acme-members-{today()}.csv"'
    assert rows[0] == [
        "Member id", "Name", "Platforms", "Tags", "Segment", "Engagement score",
        "Churn risk (%)", "Messages", "First seen", "Last seen",
    ]  # fmt: skip
    assert [row[1] for row in rows[1:]] == [f"成员{i:02d}" for i in range(54, -1, -1)]
    seven = next(row for row in rows if row[1] == "成员07")
    member = Member.objects.get(display_name="成员07")
    assert seven == [
        str(member.pk), "成员07", "Telegram", "KOC", "Active", "7.0", "7.0", "2",
        "2026-03-08 20:00", "2026-03-21 20:00",
    ]  # fmt: skip
    assert next(row for row in rows if row[1] == "成员10")[6] == ""  # not scored: empty


def test_xlsx_holds_every_row_with_english_headers(client, analyst) -> None:
    client.force_login(analyst)

    response = export(client, "members", "xlsx", segment="active", sort="name")
    rows = xlsx_rows(response)

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="acme-members-{today()}.xlsx"'
    assert rows[0] == tuple(str(column.label) for column in MEMBER_COLUMNS)
    assert rows[0][:2] == ("Member id", "Name")
    assert len(rows) == 1 + 55
    members = Member.objects.filter(segment="active").order_by("display_name")
    for row, member in zip(rows[1:], members, strict=True):
        assert row[0] == member.pk
        assert row[1] == member.display_name
        assert row[4] == "Active"
        assert row[5] == member.engagement_score
        assert row[7] == member.message_count
        local = timezone.localtime(member.first_seen_at, timezone=_shanghai())
        assert row[8] == datetime(local.year, local.month, local.day, local.hour, local.minute)


def test_xlsx_headers_are_chinese_when_the_ui_speaks_chinese(client, analyst) -> None:
    client.force_login(analyst)

    rows = xlsx_rows(export(client, "members", "xlsx", "zh-hans", segment="active"))

    with translation.override("zh-hans"):
        assert rows[0] == tuple(str(column.label) for column in MEMBER_COLUMNS)
    assert {"名称", "平台", "标签", "消息数", "首次出现", "最近出现"} <= set(rows[0])
    assert len(rows) == 1 + 55


def test_streamed_csv_keeps_the_language_and_the_workspaces_time_zone(client, analyst) -> None:
    analyst_workspace = analyst.workspace_memberships.get().workspace
    analyst_workspace.time_zone = "Europe/Berlin"  # not the server's default time zone
    analyst_workspace.save()
    client.force_login(analyst)

    rows = csv_rows(export(client, "members", "csv", "zh-hans", q="成员07"))

    with translation.override("zh-hans"):
        assert rows[0] == [str(column.label) for column in MEMBER_COLUMNS]
    assert rows[0][1] == "名称"
    assert rows[1][8:] == ["2026-03-08 13:00", "2026-03-21 13:00"]  # 12:00 UTC in Berlin


def test_exports_follow_the_search_and_the_tag(client, analyst) -> None:
    client.force_login(analyst)

    by_search = csv_rows(export(client, "members", "csv", q="成员07"))
    by_tag = csv_rows(export(client, "members", "csv", tag="KOC"))
    everyone = csv_rows(export(client, "members", "csv"))

    assert [row[1] for row in by_search[1:]] == ["成员07"]
    assert [row[1] for row in by_tag[1:]] == ["成员07"]
    assert len(everyone) == 1 + 60


def test_overview_tables_export_what_analytics_computed(client, analyst, community) -> None:
    client.force_login(analyst)

    contributors = csv_rows(export(client, "top-contributors", "csv", period="week"))
    questions = csv_rows(export(client, "unanswered-questions", "csv", period="week"))
    cohorts = xlsx_rows(export(client, "cohorts", "xlsx", period="week"))
    periods = xlsx_rows(export(client, "periods", "xlsx", period="month"))

    expected = compute_kpis(snapshot_dir(community), period="week")
    assert contributors[0][:3] == ["Member id", "Name", "Messages"]
    assert [int(row[0]) for row in contributors[1:]] == [
        c["member_id"] for c in expected["top_contributors"]
    ]
    assert (
        contributors[1][1]
        == Member.objects.get(pk=expected["top_contributors"][0]["member_id"]).display_name
    )
    assert questions[0][:4] == ["Asked at", "Asked by", "Channel", "Question"]
    assert [row[3] for row in questions[1:]] == ["有没有 API 文档？"]
    assert questions[1][:3] == ["2026-03-21 22:00", "成员09", "用户群"]
    assert cohorts[0][:3] == ("Cohort (join week)", "Members", "Week 0 (%)")
    # Joined on March 1 (a Sunday), 2-8, 9-15 and 16-20: three members a day.
    assert [(str(row[0].date()), row[1]) for row in cohorts[1:]] == [
        ("2026-02-23", 3), ("2026-03-02", 21), ("2026-03-09", 21), ("2026-03-16", 15)
    ]  # fmt: skip
    assert [row[1] for row in cohorts[1:]] == [c["size"] for c in expected["retention"]["cohorts"]]
    assert [str(row[0].date()) for row in periods[1:]] == ["2026-03-01"]
    assert (
        periods[1][1]
        == compute_kpis(snapshot_dir(community), period="month")["series"]["by_period"][0]["joined"]
    )


def test_every_export_leaves_an_audit_event(client, analyst, community) -> None:
    client.force_login(analyst)

    body(export(client, "members", "xlsx", segment="active", q="成员"))
    body(export(client, "cohorts", "csv", period="month"))

    events = list(AuditEvent.objects.filter(workspace=community, action="table_exported"))
    assert [(e.target, e.actor, e.params["format"], e.params["rows"]) for e in events] == [
        ("export:cohorts", analyst, "csv", 4),
        ("export:members", analyst, "xlsx", 55),
    ]
    assert events[1].params["filters"] == {"q": "成员", "sort": "-last_seen", "segment": "active"}
    assert events[0].params["filters"] == {"period": "month", "channel_id": None}


def test_outsiders_get_a_404_and_leave_no_event(client, charlie, community) -> None:
    client.force_login(charlie)

    response = export(client, "members", "csv")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="table_exported").exists()


def test_unknown_tables_formats_and_filters_are_refused(client, analyst) -> None:
    client.force_login(analyst)

    assert export(client, "passwords", "csv").status_code == 404
    assert export(client, "members", "pdf").status_code == 404
    bad_segment = export(client, "members", "csv", segment="vip")
    bad_period = export(client, "cohorts", "csv", period="year")
    assert bad_segment.status_code == 400
    assert "segment: “vip” is not one of: new, active" in bad_segment.content.decode()
    assert bad_period.status_code == 400
    assert not AuditEvent.objects.filter(action="table_exported").exists()


def _shanghai():
    import zoneinfo

    return zoneinfo.ZoneInfo("Asia/Shanghai")
