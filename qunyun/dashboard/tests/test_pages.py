"""The operator's pages, as a logged-in person sees them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from qunyun.conftest import channel, message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind
from qunyun.members.models import Member, Tag


@pytest.fixture
def community(workspace):
    records = [channel()]
    for i in range(60):
        records.append(
            message(str(i), utc(2026, 3, 1 + i % 20, 12), f"user{i}", name=f"成员{i:02d}")
        )
    records.append(message("q", utc(2026, 3, 21, 12), "user7", text="怎么导出 PDF？"))
    records.append(
        message("a", utc(2026, 3, 21, 13), "user8", kind=ActivityKind.REPLY, reply_to="q")
    )
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    vip = Tag.objects.create(workspace=workspace, name="KOC")
    Member.objects.get(identities__external_id="user7").tags.add(vip)
    return workspace


def test_pages_need_a_login(client, community) -> None:
    response = client.get(reverse("overview", args=[community.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_opens_the_users_workspace(client, alice, community) -> None:
    client.force_login(alice)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("overview", args=["acme"])


def test_home_explains_what_to_do_without_a_workspace(client, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user("newbie", password="x-password-1"))

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "qunyun import telegram" in response.content.decode()


def test_overview_shows_kpi_cards_and_chart_data(client, alice, community) -> None:
    client.force_login(alice)

    response = client.get(reverse("overview", args=["acme"]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert response.status_code == 200
    assert re.search(r'data-kpi="members_total">60<', html)
    assert re.search(r'data-kpi="messages_total">62<', html)
    assert 'id="chart-data"' in html
    assert "/static/plotly/plotly.min.js" in html
    assert response.context["kpis"]["series"]["daily"][0]["date"] == "2026-03-01"


def test_members_list_searches_filters_sorts_and_pages(client, alice, community) -> None:
    client.force_login(alice)
    url = reverse("members", args=["acme"])

    first_page = client.get(url, {"sort": "name"})
    search = client.get(url, {"q": "成员07"})
    by_tag = client.get(url, {"tag": "KOC"})
    second_page = client.get(url, {"sort": "name", "page": 2})

    assert first_page.context["page"].paginator.count == 60
    assert [m["display_name"] for m in first_page.context["page"]][:2] == ["成员00", "成员01"]
    assert [m["display_name"] for m in search.context["page"]] == ["成员07"]
    assert [m["display_name"] for m in by_tag.context["page"]] == ["成员07"]
    row = by_tag.content.decode()
    assert '<span class="tag" style="--tag: #64748b">KOC</span>' in row
    assert '<span class="badge platform">Telegram</span>' in row
    assert [m["display_name"] for m in second_page.context["page"]] == [
        f"成员{i:02d}" for i in range(50, 60)
    ]


def test_members_list_answers_htmx_with_the_table_only(client, alice, community) -> None:
    client.force_login(alice)

    response = client.get(
        reverse("members", args=["acme"]),
        {"q": "成员1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="member-table",
    )
    html = response.content.decode()

    assert "<table" in html
    assert "<html" not in html
    assert "成员10" in html


def test_members_list_filters_by_segment_and_sorts_by_score_and_churn_risk(
    client, alice, community
) -> None:
    for member in Member.objects.filter(workspace=community):
        number = int(member.display_name[2:])
        member.segment = "core" if number % 20 == 0 else "casual"
        member.engagement_score = float(number % 7)
        member.churn_risk = None if number == 40 else number / 100
        member.save()
    client.force_login(alice)
    url = reverse("members", args=["acme"])

    core = client.get(url, {"segment": "core", "sort": "-score"}, HTTP_ACCEPT_LANGUAGE="en")
    risky = client.get(url, {"segment": "core", "sort": "-churn_risk"})
    safe = client.get(url, {"segment": "core", "sort": "churn_risk"})
    unknown = client.get(url, {"segment": "vip"}, HTTP_ACCEPT_LANGUAGE="en")

    # 成员00, 成员20, 成员40 are core; scores 0, 6, 5; 成员40 is not scored for churn.
    assert [m["display_name"] for m in core.context["page"]] == ["成员20", "成员40", "成员00"]
    assert [m["display_name"] for m in risky.context["page"]] == ["成员20", "成员00", "成员40"]
    assert [m["display_name"] for m in safe.context["page"]] == ["成员00", "成员20", "成员40"]
    html = core.content.decode()
    assert "Core (KOC)" in html
    assert "segment=core" in html  # the export links keep the filter
    assert unknown.status_code == 400
    assert "segment: “vip” is not one of: new, active, core" in unknown.content.decode()


def test_member_profile_shows_identities_tags_and_timeline(client, alice, community) -> None:
    client.force_login(alice)
    member = Member.objects.get(identities__external_id="user7")

    response = client.get(reverse("member_profile", args=["acme", member.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "user7" in html
    assert "KOC" in html
    assert "怎么导出 PDF？" in html
    assert "2026-03-21 20:00" in html  # 12:00 UTC, shown in Asia/Shanghai


def test_times_follow_the_workspaces_time_zone(client, alice, community) -> None:
    client.force_login(alice)
    community.time_zone = "Europe/Berlin"
    community.save()
    member = Member.objects.get(identities__external_id="user7")

    html = client.get(reverse("member_profile", args=["acme", member.pk])).content.decode()

    assert "2026-03-21 13:00" in html


def test_another_workspaces_pages_are_not_found(client, charlie, community) -> None:
    client.force_login(charlie)
    member = Member.objects.filter(workspace=community).first()

    assert client.get(reverse("overview", args=["acme"])).status_code == 404
    assert client.get(reverse("members", args=["acme"])).status_code == 404
    assert client.get(reverse("member_profile", args=["acme", member.pk])).status_code == 404
    assert client.get(reverse("member_profile", args=["rival", member.pk])).status_code == 404


def test_the_language_switcher_changes_the_language(client, alice, community) -> None:
    client.force_login(alice)
    url = reverse("overview", args=["acme"])

    client.post(reverse("set_language"), {"language": "en", "next": url})
    english = client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    chinese = client.get(url).content.decode()

    assert "Messages per day" in english
    assert "每日消息数" in chinese
    assert '<html lang="zh-hans">' in chinese


def test_the_api_gives_kpis_and_members_of_own_workspace_only(client, alice, charlie, community):
    client.force_login(alice)
    kpis = client.get("/api/v1/workspaces/acme/kpis").json()
    found = client.get("/api/v1/workspaces/acme/members", {"q": "成员07"}).json()
    client.force_login(charlie)
    denied = client.get("/api/v1/workspaces/acme/kpis")
    listed = client.get("/api/v1/workspaces").json()

    assert kpis["members_total"] == 60
    assert found["count"] == 1
    assert found["items"][0]["identities"][0]["external_id"] == "user7"
    assert found["items"][0]["tags"] == ["KOC"]
    assert denied.status_code == 404
    assert [w["slug"] for w in listed] == ["rival"]


def test_the_openapi_document_is_served(client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert "/api/v1/workspaces/{slug}/kpis" in response.json()["paths"]


def test_the_api_docs_page_uses_no_cdn_and_no_inline_script(client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html and "https://" not in html
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert "<script>" not in html  # the CSP allows only our own script files
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
