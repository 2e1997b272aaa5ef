"""The lines every import command prints after its own summary."""

from __future__ import annotations

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from qunyun.activity.snapshot import SnapshotRefresh
from qunyun.members.suggestions import SuggestionRun


def write_follow_up(
    out: OutputWrapper, duplicates: SuggestionRun, refresh: SnapshotRefresh
) -> None:
    out.write(
        _(
            "Duplicate members: %(merged)d merged on a shared verified email or phone, "
            "%(open)d suggestions to review."
        )
        % {"merged": duplicates.auto_merged, "open": duplicates.suggested}
    )
    out.write(
        _("Analytics snapshot refreshed: %(added)d activities added in %(seconds).2f s.")
        % {"added": refresh.activities_added, "seconds": refresh.seconds}
    )
