"""The overview's sections, filtered by period and channel, on the demo community.

Figures on the page must be the ones ``compute_kpis`` computes for the same filters,
and, where the demo planted a truth, the truth.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from qunyun.activity.models import Channel
from qunyun.activity.snapshot import snapshot_dir
from qunyun.analytics.kpis import compute_kpis
from qunyun.conftest import channel, message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.models import Member, Segment
from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership

CHARTS = ("active", "new", "messages", "growth", "engagement", "response", "lifecycle",
          "retention", "segments", "hours")  # fmt: skip


@pytest.fixture
def demo(db, settings, capsys) -> dict:
    """The demo community at small size (150 members, six weeks), with its planted truth."""
    with translation.override("en"):
        call_command(
            "demo",
            *("--members", "150", "--days", "42", "--seed", "5", "--end", "2026-11-24"),
            *("--no-serve", "-v", "0"),
        )
    capsys.readouterr()
    return json.loads((settings.DATA_DIR / "demo" / "demo-truth.json").read_text())


@pytest.fixture
def analyst(django_user_model, demo):
    """Ana reads the demo workspace's dashboards; she may not change anything."""
    user = django_user_model.objects.create_user("ana", password="ana-password-1")
    workspace = Workspace.objects.get(slug="demo")
    WorkspaceMembership.objects.create(workspace=workspace, user=user, role=Role.ANALYST)
    return user


def chart_data(html: str) -> dict:
    match = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    assert match, "the page carries its chart data"
    return json.loads(unescape(match.group(1)))


def kpi(html: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}">([^<]*)<', html)
    assert match, key
    return match.group(1)


def test_every_section_shows_the_weekly_figures_of_one_channel(client, analyst) -> None:
    workspace = Workspace.objects.get(slug="demo")
    telegram = Channel.objects.get(workspace=workspace, platform="telegram")
    expected = compute_kpis(snapshot_dir(workspace), period="week", channel_id=telegram.pk)
    client.force_login(analyst)

    response = client.get(
        reverse("overview", args=["demo"]),
        {"period": "week", "channel": telegram.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    data = chart_data(html)

    assert response.status_code == 200
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html
    growth = expected["growth"]
    assert kpi(html, "joined") == f"{growth['joined']:,}"
    assert kpi(html, "left") == f"{growth['left']:,}"
    assert kpi(html, "net_growth") == f"{growth['net_growth']:,}"
    assert kpi(html, "messages_total") == f"{expected['messages_total']:,}"
    assert kpi(html, "silent_members") == f"{expected['silent_members']:,}"
    by_period = expected["series"]["by_period"]
    assert len(by_period) >= 6
    assert data["periods"]["starts"] == [p["period_start"] for p in by_period]
    assert data["periods"]["joined"] == [p["joined"] for p in by_period]
    assert data["periods"]["left"] == [p["left"] for p in by_period]
    assert data["periods"]["net_growth"] == [p["net_growth"] for p in by_period]
    assert data["lifecycle"]["dormant"] == [p["dormant"] for p in expected["lifecycle"]]
    cohorts = expected["retention"]["cohorts"]
    assert data["retention"]["sizes"] == [c["size"] for c in cohorts]
    assert data["retention"]["z"][0][0] == round(cohorts[0]["retention"][0] * 100, 1)
    assert data["retention"]["weeks"][:2] == ["Week 0", "Week 1"]
    assert data["hour_of_week"]["z"] == expected["heatmap"]["hour_of_week"]
    assert data["hour_of_week"]["days"][0] == "Monday"
    assert sum(data["segments"]["counts"]) == sum(expected["segments"].values())
    assert data["questions"]["within_1h"] == (
        None
        if expected["questions"]["answered_1h_share"] is None
        else round(expected["questions"]["answered_1h_share"] * 100, 1)
    )
    # Top contributors are named from the ORM; the channel's busiest member is first.
    top = expected["top_contributors"][0]
    name = Member.objects.get(pk=top["member_id"]).display_name
    section = html.split('id="top-contributors"')[1].split("</section>")[0]
    assert name in section
    assert f'<td class="num">{top["messages"]:,}</td>' in section
    # The period changes every weekly figure: the same page by month has fewer periods.
    by_month = client.get(reverse("overview", args=["demo"]), {"period": "month"})
    assert len(chart_data(by_month.content.decode())["periods"]["starts"]) == 2


def test_the_weekly_series_adds_up_to_the_planted_truth(client, analyst, demo) -> None:
    client.force_login(analyst)

    response = client.get(reverse("overview", args=["demo"]), {"period": "week"})
    data = chart_data(response.content.decode())

    assert sum(data["messages"]) == demo["messages_total"]
    assert data["dates"][-1] == "2026-11-24"
    kpis = response.context["kpis"]
    assert sum(p["messages"] for p in kpis["series"]["by_period"]) == demo["messages_total"]
    assert kpis["period"] == "week"
    assert kpis["channel_id"] is None


def test_unanswered_questions_show_their_text(client, analyst) -> None:
    workspace = Workspace.objects.get(slug="demo")
    expected = compute_kpis(snapshot_dir(workspace), period="week")
    unanswered = expected["questions"]["unanswered"]
    assert unanswered, "the demo plants unanswered questions"
    newest = workspace.activities.get(pk=unanswered[0]["activity_id"])
    client.force_login(analyst)

    response = client.get(reverse("overview", args=["demo"]), {"period": "week"})
    section = response.content.decode().split('id="unanswered-questions"')[1]

    assert newest.text[:40] in unescape(section)


def test_labels_of_the_charts_follow_the_language(client, analyst) -> None:
    client.force_login(analyst)

    response = client.get(
        reverse("overview", args=["demo"]), {"period": "week"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    html = response.content.decode()
    data = chart_data(html)

    assert data["hour_of_week"]["days"] == [
        "星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"
    ]  # fmt: skip
    with translation.override("zh-hans"):
        assert data["retention"]["weeks"][1] == translation.gettext("Week %(n)s") % {"n": 1}
        assert data["segments"]["labels"] == [
            str(label) for key, label in Segment.choices if key in data["segments"]["keys"]
        ]
    assert 'data-label-axis="成员"' in html


def test_htmx_gets_only_the_sections(client, analyst) -> None:
    client.force_login(analyst)

    response = client.get(
        reverse("overview", args=["demo"]),
        {"period": "month"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="overview-sections",
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="chart-data"' in html
    assert 'data-chart="growth"' in html
    assert "period=month" in html  # the export links keep the filter


@pytest.fixture
def small(workspace):
    """Three messages in one channel: enough for the filters to have something to check."""
    records = [channel()] + [message(str(i), utc(2026, 3, 2 + i, 12), f"user{i}") for i in range(3)]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    return workspace


@pytest.mark.parametrize(
    ("query", "message_text"),
    [
        ({"period": "year"}, "“year” is not a period the overview offers"),
        ({"channel": "abc"}, "“abc” is not a channel of this community"),
        ({"channel": "999999"}, "“999999” is not a channel of this community"),
    ],
)
def test_invalid_filters_get_a_clear_message(client, alice, small, query, message_text) -> None:
    client.force_login(alice)

    response = client.get(reverse("overview", args=["acme"]), query, HTTP_ACCEPT_LANGUAGE="en")
    html = unescape(response.content.decode())

    assert response.status_code == 400
    assert message_text in html
    assert 'id="chart-data"' not in html


def test_another_workspaces_channel_is_not_a_filter(client, alice, small, other_workspace) -> None:
    foreign = Channel.objects.create(
        workspace=other_workspace, platform="telegram", external_id="x"
    )
    client.force_login(alice)

    response = client.get(reverse("overview", args=["acme"]), {"channel": foreign.pk})

    assert response.status_code == 400


def test_a_channel_of_the_workspace_is_a_filter(client, alice, small) -> None:
    own = Channel.objects.get(workspace=small)
    client.force_login(alice)

    response = client.get(reverse("overview", args=["acme"]), {"channel": own.pk, "period": "day"})

    assert response.status_code == 200
    assert response.context["kpis"]["channel_id"] == own.pk
    assert response.context["kpis"]["members_total"] == 3
    assert f'<option value="{own.pk}" selected>' in response.content.decode()


def test_outsiders_do_not_see_the_overview(client, charlie, small) -> None:
    client.force_login(charlie)

    response = client.get(reverse("overview", args=["acme"]), {"period": "week"})

    assert response.status_code == 404
