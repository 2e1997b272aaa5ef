"""The overview's sections are rendered once per what they show, then read from the cache."""

from __future__ import annotations

from django.utils import translation

from qunyun.conftest import message, utc
from qunyun.dashboard.filters import OverviewFilter
from qunyun.dashboard.selectors import overview_sections_html
from qunyun.ingest.pipeline import do_import_records


def load(workspace, external_id: str, hour: int) -> None:
    records = [message(external_id, utc(2026, 3, 2, hour), "a")]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


class Renderer:
    """Renders the messages total, remembering each time it was asked to."""

    def __init__(self) -> None:
        self.totals: list[int] = []

    def __call__(self, kpis, last_import) -> str:
        self.totals.append(kpis["messages_total"])
        return f"<p>{kpis['messages_total']} after import {last_import.pk}</p>"


def test_a_page_seen_before_renders_nothing_again(workspace) -> None:
    load(workspace, "m1", 1)
    render = Renderer()

    first = overview_sections_html(workspace, OverviewFilter(), render=render)
    again = overview_sections_html(workspace, OverviewFilter(), render=render)

    assert first == again
    assert first.startswith("<p>1 after import")
    assert render.totals == [1]


def test_new_activity_another_period_or_language_renders_again(workspace) -> None:
    load(workspace, "m1", 1)
    render = Renderer()
    with translation.override("zh-hans"):
        overview_sections_html(workspace, OverviewFilter(), render=render)
        overview_sections_html(workspace, OverviewFilter(period="month"), render=render)
    with translation.override("en"):
        overview_sections_html(workspace, OverviewFilter(), render=render)
    load(workspace, "m2", 2)
    with translation.override("en"):
        latest = overview_sections_html(workspace, OverviewFilter(), render=render)

    assert render.totals == [1, 1, 1, 2]
    assert latest.startswith("<p>2 after import")
