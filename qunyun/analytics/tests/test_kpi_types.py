"""The KPIs have exactly the shape ``kpi_types.Kpis`` declares, nested sections included."""

from __future__ import annotations

import typing
from typing import Any

from qunyun.analytics.kpi_types import HEADLINE_KEYS, SECTION_KEYS, Kpis
from qunyun.analytics.kpis import empty_kpis
from qunyun.analytics.selectors import workspace_kpis
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K


def mismatches(value: Any, declared: Any, path: str = "kpis") -> list[str]:
    """Where ``value`` has other keys than the TypedDict ``declared`` (recursively)."""
    if typing.is_typeddict(declared):
        found = [f"{path}: keys {sorted(set(value) ^ declared.__required_keys__)}"]
        if set(value) == declared.__required_keys__:
            found = []
            hints = typing.get_type_hints(declared)
            for key, hint in hints.items():
                found += mismatches(value[key], hint, f"{path}.{key}")
        return found
    if typing.get_origin(declared) is list:
        (item,) = typing.get_args(declared)
        return [m for i, v in enumerate(value) for m in mismatches(v, item, f"{path}[{i}]")]
    return []


def test_the_figures_of_a_community_have_the_declared_keys(workspace) -> None:
    do_import_records(
        workspace,
        [
            message("j1", utc(2026, 3, 2, 1), "a", kind=K.JOIN),
            message("q1", utc(2026, 3, 2, 2), "a", text="有没有人知道怎么报名？"),
            message("m1", utc(2026, 3, 9, 2), "b", kind=K.REPLY, reply_to="q1"),
        ],
        file_name="t",
        format_name="jsonl",
    )

    kpis = workspace_kpis(workspace, period="week")

    assert kpis["as_of"] == "2026-03-09"
    assert kpis["series"]["daily"] and kpis["lifecycle"] and kpis["retention"]["cohorts"]
    assert mismatches(kpis, Kpis) == []


def test_a_workspace_without_activity_has_the_declared_keys(workspace) -> None:
    assert mismatches(workspace_kpis(workspace), Kpis) == []
    assert mismatches(empty_kpis("month", 7), Kpis) == []


def test_the_headline_and_the_sections_are_every_key_but_the_filters() -> None:
    assert set(Kpis.__required_keys__) - set(HEADLINE_KEYS) - set(SECTION_KEYS) == {
        "period",
        "channel_id",
    }
