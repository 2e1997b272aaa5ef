"""The churn-risk page and the profile's churn panel, as the team sees them."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from qunyun.conftest import message, utc
from qunyun.demo.generator import DemoPlan, generate
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.churn import do_train_churn_model
from qunyun.members.churn_words import churn_reason_sentences
from qunyun.members.models import ChurnModelRun, Member
from qunyun.members.selectors import members_at_risk
from qunyun.workspaces.models import Role, WorkspaceMembership


@pytest.fixture
def scored(workspace) -> ChurnModelRun:
    plan = DemoPlan(members=400, days=120, seed=7, end=date(2026, 11, 24))
    do_import_records(workspace, generate(plan), file_name="demo", format_name="demo")
    run = do_train_churn_model(workspace)
    assert run.status == ChurnModelRun.Status.OK
    return run


@pytest.fixture
def analyst(django_user_model, workspace):
    user = django_user_model.objects.create_user("bob", password="bob-password-1")
    WorkspaceMembership.objects.create(workspace=workspace, user=user, role=Role.ANALYST)
    return user


def metric(html: str, name: str) -> str:
    start = html.index(f'data-metric="{name}">') + len(f'data-metric="{name}">')
    return html[start : html.index("<", start)]


@pytest.mark.parametrize("persona", ["alice", "analyst"])
def test_the_page_shows_how_good_the_model_is(client, scored, persona, request) -> None:
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("churn", args=["acme"]), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert metric(html, "auc") == f"{scored.auc:.3f}"
    assert metric(html, "baseline_auc") == f"{scored.baseline_auc:.3f}"
    assert metric(html, "precision_at_k") == f"{scored.precision_at_k * 100:.1f}%"
    assert f"Precision at {scored.k}" in html
    assert "Days since last activity" in html
    top = members_at_risk(scored.workspace)[0]
    assert reverse("member_profile", args=["acme", top.pk]) in html
    assert "No activity for" in html
    assert 'aria-current="page">Churn risk<' in html
    # only those who may change members see the button
    assert ("Retrain the model" in html) is (persona == "alice")


def test_an_analyst_may_not_retrain(client, analyst, workspace) -> None:
    client.force_login(analyst)

    response = client.post(reverse("churn", args=["acme"]))

    assert response.status_code == 403
    assert not ChurnModelRun.objects.exists()


def test_the_owner_retrains_from_the_page(client, alice, scored) -> None:
    client.force_login(alice)

    response = client.post(reverse("churn", args=["acme"]), follow=True)

    assert response.status_code == 200
    assert ChurnModelRun.objects.count() == 2
    assert "The churn model was retrained and" in response.content.decode()


def test_too_little_data_is_explained_on_the_page(client, alice, workspace) -> None:
    do_import_records(
        workspace,
        [message(str(d), utc(2026, 3, 1 + d, 2), "ann") for d in range(10)],
        file_name="t",
        format_name="jsonl",
    )
    client.force_login(alice)

    client.post(reverse("churn", args=["acme"]))
    response = client.get(reverse("churn", args=["acme"]), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert 'data-churn-status="insufficient_data"' in html
    assert "The history is too short" in html
    assert "at least 60 days" in html


def test_before_training_the_page_says_how_to_train(client, alice, workspace) -> None:
    client.force_login(alice)

    response = client.get(reverse("churn", args=["acme"]), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "qunyun churn --workspace acme" in response.content.decode()


def test_another_workspace_cannot_see_the_page(client, charlie, workspace) -> None:
    client.force_login(charlie)

    assert client.get(reverse("churn", args=["acme"])).status_code == 404


def test_the_profile_shows_the_risk_and_its_reasons(client, alice, scored) -> None:
    member = Member.objects.filter(churn_risk__gt=0.5).exclude(churn_reasons=[]).first()
    client.force_login(alice)

    response = client.get(reverse("member_profile", args=["acme", member.pk]))

    html = response.content.decode()
    assert "data-churn-panel" in html
    assert f"data-churn-risk>{member.churn_risk * 100:.0f}%<" in html
    sentences = churn_reason_sentences(member.churn_reasons)
    assert sentences and all(f"<li>{sentence}</li>" in html for sentence in sentences)


def test_a_profile_not_scored_yet_says_so(client, alice, workspace) -> None:
    do_import_records(
        workspace, [message("1", utc(2026, 3, 1, 2), "ann")], file_name="t", format_name="jsonl"
    )
    client.force_login(alice)
    member = Member.objects.get()

    response = client.get(reverse("member_profile", args=["acme", member.pk]))

    assert "Not scored yet." in response.content.decode()
