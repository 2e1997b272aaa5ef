"""Slack workspace export (ZIP) → canonical records.

Spec: Slack's "Export your workspace data"
(https://slack.com/help/articles/201658943-Export-your-workspace-data) and "Reading
Slack export files" (https://slack.com/help/articles/220556107), the message format
of the Events API (https://api.slack.com/events/message), with the field-level findings
from real exports summarised in ``docs/import-formats.md``.

An export holds ``users.json``, ``channels.json`` (plus ``groups.json``, ``mpims.json``
and ``dms.json`` on paid plans) and one folder per conversation with a JSON array of
messages per day, ``YYYY-MM-DD.json``. The listings are read whole; day files are read
one at a time, in date order, so memory holds one day of one channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import json_export
from qunyun.ingest.platforms.slack.archive import SlackExport
from qunyun.ingest.platforms.slack.directory import People, conversations, day_files
from qunyun.ingest.platforms.slack.messages import DayReader
from qunyun.ingest.records import ActivityRecord, ChannelRecord

Record = ChannelRecord | ActivityRecord


def parse(path: Path) -> Iterator[Record]:
    """Yield each conversation of the export at ``path`` and then what happened in it.

    ``path`` is the export's ``.zip`` or the folder it unpacks to. Raises
    :class:`ImportFormatError` naming the file inside the export and the place (line and
    offset for broken JSON, message index from 1 within its day file, and field) before
    any broken record is yielded; a hostile archive is refused before anything is read.
    """
    with SlackExport(path) as export:
        people = People(export)
        days = day_files(export)
        for conversation in conversations(export, people, days):
            yield conversation.record
            for name in days.get(conversation.folder, ()):
                where = export.where(name)
                messages = json_export.load(export.read(name), where)
                if not isinstance(messages, list):
                    raise ImportFormatError(_("The day file is not a JSON array."), path=where)
                reader = DayReader(conversation.record.external_id, people, where)
                for index, message in enumerate(messages, start=1):
                    yield from reader.records(index, message)
                del messages  # the next day may be as large
