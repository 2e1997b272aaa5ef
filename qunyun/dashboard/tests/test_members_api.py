"""The REST API's members give what the members page, the profile and the churn page show,
filtered the same way: a real import from a file, real scoring, a real token.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from qunyun.activity.models import Activity, Channel
from qunyun.members.models import Member
from qunyun.members.selectors import members_at_risk
from qunyun.team.actions import do_create_api_token
from qunyun.testing.communities import ninety_days
from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership

START = datetime(2026, 8, 1, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def activities(seed: int = 11) -> list[dict[str, Any]]:
    """Ninety days of a group of about 70 in two channels (a few regulars of the VIP
    channel also speak in the general one)."""
    return ninety_days(people=70, seed=seed, start=START, name="成员{:02d}", regulars_roam=True)


@pytest.fixture
def imported(workspace: Workspace, tmp_path: Path) -> Workspace:
    """The group imported from a JSONL export by the ``import`` command, which scores
    segments, engagement and churn risk after it (ingest/after_import.py)."""
    file = tmp_path / "group.jsonl"
    file.write_text(
        "\n".join(json.dumps(item, ensure_ascii=False) for item in activities()), encoding="utf-8"
    )
    call_command("import", "jsonl", str(file), "--workspace", workspace.slug, "--no-progress")
    scored = Member.objects.filter(workspace=workspace, churn_risk__isnull=False)
    assert scored.count() > 20, "the churn model scored the members"
    assert scored.exclude(churn_reasons=[]).exists()
    assert not Member.objects.filter(workspace=workspace, segment="").exists()
    return workspace


@pytest.fixture
def bearer(imported: Workspace, alice: Any) -> dict[str, str]:
    _token, secret = do_create_api_token(imported, alice, name="CRM")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def api_members(client: Any, bearer: dict[str, str], **query: Any) -> dict[str, Any]:
    answer = client.get("/api/v1/workspaces/acme/members", {"limit": 100, **query}, **bearer)
    assert answer.status_code == 200, answer.content
    return answer.json()


def page_rows(client: Any, **query: Any) -> dict[int, dict[str, str]]:
    """Each member row of every page of the members list: segment, score, churn risk."""
    rows: dict[int, dict[str, str]] = {}
    number = 1
    while True:
        response = client.get(reverse("members", args=["acme"]), {**query, "page": number})
        assert response.status_code == 200, response.content.decode()[:2000]
        text = response.content.decode()
        for member_id, row in re.findall(r'<tr data-member="(\d+)">(.*?)</tr>', text, re.S):
            cells = [
                html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
            rows[int(member_id)] = {"segment": cells[3], "score": cells[4], "risk": cells[5]}
        if number >= response.context["page"].paginator.num_pages:
            return rows
        number += 1


def shown_risk(risk: float | None) -> str:
    """A risk as the members list shows it ({% widthratio risk 1 100 %}%)."""
    return "–" if risk is None else f"{round(risk * 100)}%"


def test_each_member_has_the_segment_score_and_risk_the_members_page_shows(
    client: Any, alice: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    client.force_login(alice)

    listed = api_members(client, bearer)
    shown = page_rows(client)

    assert listed["count"] == len(shown) == Member.objects.filter(workspace=imported).count() > 50
    assert [m["id"] for m in listed["items"]] == list(shown)  # the same order, too
    for member in listed["items"]:
        row = shown[member["id"]]
        assert member["segment_label"] == row["segment"]
        assert floatformat(member["engagement_score"], 1) == row["score"]
        assert shown_risk(member["churn_risk"]) == row["risk"]
        stored = Member.objects.get(pk=member["id"])
        assert member["segment"] == stored.segment
        assert member["churn_risk"] == stored.churn_risk
    assert {m["segment"] for m in listed["items"]} >= {"active", "churned"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_member_has_the_risk_and_reasons_the_profile_and_churn_page_show(
    client: Any, alice: Any, imported: Workspace, bearer: dict[str, str], language: str
) -> None:
    client.force_login(alice)
    top = members_at_risk(imported)[0]
    assert top.churn_reasons

    speaking = {**bearer, "HTTP_ACCEPT_LANGUAGE": language}
    one = client.get(f"/api/v1/workspaces/acme/members/{top.pk}", **speaking)
    in_list = api_members(client, speaking, churn_risk_above=top.churn_risk - 1e-9)
    profile = client.get(
        reverse("member_profile", args=["acme", top.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    churn_page = client.get(reverse("churn", args=["acme"]), HTTP_ACCEPT_LANGUAGE=language)

    member = one.json()
    panel = profile[profile.index("data-churn-panel") :]
    reasons_html = panel[panel.index('<ul class="churn-reasons">') : panel.index("</ul>")]
    said = [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", reasons_html)]
    risk = re.search(r"<strong data-churn-risk>(.*?)</strong>", panel)
    assert risk and risk.group(1) == f"{member['churn_risk'] * 100:.0f}%"
    assert [reason["text"] for reason in member["churn_reasons"]] == said
    assert [r["feature"] for r in member["churn_reasons"]] == [
        r["feature"] for r in top.churn_reasons
    ]
    at_risk_row = html.unescape(churn_page.content.decode())
    assert "; ".join(said) in at_risk_row
    # the list and the member by id give the same fields
    assert [m for m in in_list["items"] if m["id"] == top.pk] == [member]
    if language == "zh-hans":
        assert re.search(r"[\u4e00-\u9fff]", said[0]), "the reasons speak Chinese"


def test_each_filter_gives_the_members_it_names_and_the_page_agrees(
    client: Any, alice: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    client.force_login(alice)
    members = list(Member.objects.filter(workspace=imported))
    vip = Channel.objects.get(workspace=imported, external_id="vip")
    in_vip = set(Activity.objects.filter(channel=vip).values_list("member_id", flat=True))
    risks = sorted(m.churn_risk for m in members if m.churn_risk is not None)
    threshold = round(risks[len(risks) // 2], 2)
    day = "2026-10-01"  # midnight in the workspace's time zone (Asia/Shanghai)
    midnight = datetime(2026, 10, 1, tzinfo=SHANGHAI)
    expected = {
        "segment=churned": (
            {"segment": "churned"},
            {m.pk for m in members if m.segment == "churned"},
        ),
        "channel": ({"channel": vip.pk}, in_vip),
        "churn_risk_above": (
            {"churn_risk_above": threshold},
            {m.pk for m in members if m.churn_risk is not None and m.churn_risk > threshold},
        ),
        "last_seen_after": (
            {"last_seen_after": day},
            {m.pk for m in members if m.last_seen_at and m.last_seen_at >= midnight},
        ),
        "last_seen_before": (
            {"last_seen_before": "2026-10-01T00:00:00+08:00"},
            {m.pk for m in members if m.last_seen_at and m.last_seen_at < midnight},
        ),
        "all of them": (
            {"channel": vip.pk, "churn_risk_above": 0, "last_seen_after": "2026-09-01",
             "last_seen_before": day, "segment": "at_risk"},
            {m.pk for m in members if m.pk in in_vip and m.churn_risk is not None
             and m.churn_risk > 0 and m.segment == "at_risk" and m.last_seen_at
             and datetime(2026, 9, 1, tzinfo=SHANGHAI) <= m.last_seen_at < midnight},
        ),
    }  # fmt: skip

    for name, (query, members_named) in expected.items():
        listed = api_members(client, bearer, **query)
        got = [m["id"] for m in listed["items"]]
        assert set(got) == members_named, name
        assert listed["count"] == len(members_named), name
        assert got == list(page_rows(client, **query)), name
    # every filter above narrows the list, and none of them empties it but the last
    assert all(
        0 < len(named) < 70 for name, (_q, named) in expected.items() if name != "all of them"
    )


def test_the_list_is_paged_with_limit_and_offset(
    client: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    everyone = [m["id"] for m in api_members(client, bearer, sort="-score")["items"]]

    second = client.get(
        "/api/v1/workspaces/acme/members", {"sort": "-score", "limit": 20, "offset": 20}, **bearer
    ).json()

    assert second["count"] == len(everyone) > 40
    assert [m["id"] for m in second["items"]] == everyone[20:40]

    too_many = client.get("/api/v1/workspaces/acme/members", {"limit": 1001}, **bearer)
    assert too_many.status_code == 422
    assert "limit" in str(too_many.json()), too_many.json()
    at_most = client.get("/api/v1/workspaces/acme/members", {"limit": 1000}, **bearer)
    assert at_most.status_code == 200 and len(at_most.json()["items"]) == len(everyone)


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ({"segment": "vip"}, 422, "segment: “vip” is not one of: new, active, core, silent"),
        ({"churn_risk_above": "1.5"}, 422, "churn_risk_above: must be at most 1"),
        ({"churn_risk_above": "-0.1"}, 422, "churn_risk_above: must be at least 0"),
        ({"churn_risk_above": "high"}, 422, "churn_risk_above: must be a number"),
        ({"churn_risk_above": "nan"}, 422, "churn_risk_above: must be a finite number"),
        ({"last_seen_after": "yesterday"}, 422, "last_seen_after: must be a date (2026-03-01)"),
        ({"last_seen_before": "2026-02-30"}, 422, "last_seen_before: must be a date"),
        ({"last_seen_before": "1700000000"}, 422, "last_seen_before: must be a date"),
        ({"channel": "vip"}, 422, "channel: must be a whole number"),
        ({"channel": "999999"}, 400, "channel: “999999” is not a channel of this community"),
        (
            {"last_seen_after": "2026-10-01", "last_seen_before": "2026-09-01"},
            400,
            "last_seen_after: must be earlier than last_seen_before",
        ),
    ],
)
def test_a_filter_that_cannot_be_used_is_refused_naming_the_parameter(
    client: Any, alice: Any, imported: Workspace, bearer: dict[str, str], query: dict[str, str],
    status: int, detail: str,
) -> None:  # fmt: skip
    client.force_login(alice)

    answer = client.get("/api/v1/workspaces/acme/members", query, **bearer)
    page = client.get(reverse("members", args=["acme"]), query)
    export = client.get(reverse("export_table", args=["acme", "members", "csv"]), query)

    assert answer.status_code == status
    assert answer.json()["detail"].startswith(detail), answer.json()
    if status == 400:
        assert answer.json()["code"] == "invalid_filter"
    # the page and its export refuse the same values with the same words
    assert page.status_code == 400
    assert detail in html.unescape(page.content.decode())
    assert export.status_code == 400
    assert detail in export.content.decode()


def test_a_bound_is_said_as_people_write_it(
    client: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    answer = client.get("/api/v1/workspaces/acme/members", {"churn_risk_above": 2}, **bearer)

    assert answer.json()["detail"] == "churn_risk_above: must be at most 1"
    assert answer.json()["errors"] == [
        {"loc": "churn_risk_above", "message": "must be at most 1", "type": "less_than_equal"}
    ]


def test_the_refusal_speaks_the_callers_language(
    client: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    answer = client.get(
        "/api/v1/workspaces/acme/members",
        {"channel": "vip"},
        **bearer,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    with translation.override("zh-hans"):
        words = gettext("must be a whole number")
    assert words != "must be a whole number"
    assert answer.status_code == 422
    assert answer.json()["detail"] == f"channel: {words}"


def test_the_channels_give_the_ids_the_channel_filter_takes(
    client: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    channels = client.get("/api/v1/workspaces/acme/channels", **bearer).json()

    assert sorted((c["platform"], c["external_id"]) for c in channels) == [
        ("crm", "general"),
        ("crm", "vip"),
    ]
    vip = next(c for c in channels if c["external_id"] == "vip")
    assert api_members(client, bearer, channel=vip["id"])["count"] > 0


def test_an_analyst_token_reads_the_members_and_an_outsider_reaches_nothing(
    client: Any, django_user_model: Any, imported: Workspace, charlie: Any
) -> None:
    analyst = django_user_model.objects.create_user("ana", password="ana-password-1")
    WorkspaceMembership.objects.create(workspace=imported, user=analyst, role=Role.ANALYST)
    _token, secret = do_create_api_token(imported, analyst, name="BI")
    client.force_login(charlie)

    read = api_members(client, {"HTTP_AUTHORIZATION": f"Bearer {secret}"}, segment="active")
    outsider = client.get("/api/v1/workspaces/acme/members")

    assert read["count"] == Member.objects.filter(workspace=imported, segment="active").count()
    assert outsider.status_code == 404


def test_the_page_keeps_the_new_filters_in_its_form_and_its_export(
    client: Any, alice: Any, imported: Workspace
) -> None:
    client.force_login(alice)
    vip = Channel.objects.get(workspace=imported, external_id="vip")
    query = {"channel": vip.pk, "churn_risk_above": "0.3", "last_seen_after": "2026-09-01"}

    page = client.get(reverse("members", args=["acme"]), query)
    text = html.unescape(page.content.decode())
    link = re.search(r'href="([^"]+)" download data-export="members-csv"', text)
    assert link is not None
    export = client.get(link.group(1))
    exported = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()

    assert f'<option value="{vip.pk}" selected>' in text
    assert 'name="churn_risk_above" min="0" max="1" step="0.05" value="0.3"' in text
    assert 'name="last_seen_after" value="2026-09-01"' in text
    assert "channel=" in link.group(1) and "churn_risk_above=0.3" in link.group(1)
    assert len(exported) - 1 == page.context["page"].paginator.count > 0


def test_the_forms_empty_fields_mean_any_and_the_api_refuses_an_empty_value(
    client: Any, alice: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    client.force_login(alice)
    empty = dict.fromkeys(
        [
            "q",
            "tag",
            "segment",
            "channel",
            "churn_risk_above",
            "last_seen_after",
            "last_seen_before",
        ],
        "",
    )

    shown = page_rows(client, **empty)
    answer = client.get("/api/v1/workspaces/acme/members", {"channel": ""}, **bearer)

    assert len(shown) == Member.objects.filter(workspace=imported).count()
    assert answer.status_code == 422
    assert answer.json()["detail"] == "channel: must be a whole number"


def test_a_moment_is_compared_in_utc_whatever_its_offset(
    client: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    url = "/api/v1/workspaces/acme/members"
    # PostgreSQL takes no offset beyond ±15:59; the same moment in UTC it takes.
    odd = client.get(url, {"last_seen_before": "2026-10-01T00:00:00-20:58"}, **bearer)
    same = client.get(url, {"last_seen_before": "2026-10-01T20:58:00Z"}, **bearer)
    edge = client.get(url, {"last_seen_after": "0001-01-01"}, **bearer)

    assert odd.status_code == 200
    assert odd.json() == same.json()
    assert edge.status_code == 400
    assert edge.json() == {
        "detail": "last_seen_after: must be a moment between the years 1 and 9999.",
        "code": "invalid_filter",
    }


def test_a_channel_id_beyond_any_database_integer_is_no_channel(
    client: Any, imported: Workspace, bearer: dict[str, str]
) -> None:
    answer = client.get(
        "/api/v1/workspaces/acme/members", {"channel": str(2**70), "limit": 1}, **bearer
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_filter"
