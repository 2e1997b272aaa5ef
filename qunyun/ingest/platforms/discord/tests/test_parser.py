"""The Discord importer reads DiscordChatExporter JSON into the records an operator counts.

Fixtures are hand-made to match DCE's ``JsonMessageWriter`` field for field:
``general_2024.json`` is a recent export of a text channel made on a PC in UTC+8 (roles,
reaction users, replies, a join, a pin, a thread, a slash command, a forward);
``chill_talk_2023.json`` has the schema of early-2023 exports (no roles, no
``exportedAt``, no reaction users, references without a type, emoji written as
surrogate-pair escapes); ``thread_2024.json`` is the export of one thread;
``two_channels/`` is a folder of two exported channels.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.discord.parser import parse
from qunyun.ingest.platforms.discord.people import avatar_hash
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef
from qunyun.ingest.tests.parser_checks import kinds_per_channel

FIXTURES = Path(__file__).parent / "fixtures"
GENERAL = FIXTURES / "general_2024.json"
CHILL = FIXTURES / "chill_talk_2023.json"
THREAD = FIXTURES / "thread_2024.json"
FOLDER = FIXTURES / "two_channels"

LI = "521486476985155645"
ANNA = "627848643557663699"
WANG = "896568767994532880"
K = ActivityKind


def activities(path: Path) -> dict[str, ActivityRecord]:
    return {r.external_id: r for r in parse(path) if isinstance(r, ActivityRecord)}


def test_the_registry_finds_the_discord_parser() -> None:
    assert get_parser("discord") is parse


def test_a_channel_export_yields_its_channel_first_then_every_activity() -> None:
    records = list(parse(GENERAL))

    assert records[0] == ChannelRecord(
        source="discord", external_id="1012224565567721552", name="general", kind="GuildTextChat"
    )
    rest = records[1:]
    assert all(isinstance(r, ActivityRecord) for r in rest)
    assert Counter(r.kind for r in rest) == {
        K.MESSAGE: 6,
        K.REPLY: 3,
        K.JOIN: 1,
        K.SERVICE: 4,
        K.REACTION: 6,
    }
    assert {(r.source, r.channel, r.thread) for r in rest} == {
        ("discord", "1012224565567721552", None)
    }
    assert len({r.external_id for r in rest}) == len(rest)


def test_times_with_the_exporters_offset_become_utc() -> None:
    found = activities(GENERAL)

    # "2024-09-21T20:48:05.25+08:00": two fractional digits, the PC's zone.
    welcome = found["1286955428577210378"]
    assert welcome.occurred_at == datetime(2024, 9, 21, 12, 48, 5, 250000, tzinfo=UTC)
    assert found["1286955281210540032"].occurred_at == datetime(
        2024, 9, 21, 12, 47, 30, 123000, tzinfo=UTC
    )
    assert found["1286956187654321664"].occurred_at == datetime(2024, 9, 21, 12, 51, 6, tzinfo=UTC)
    assert found["1286956001122334720"].attrs["edited_at"] == "2024-09-21T12:51:02.900000+00:00"


def test_authors_are_named_by_nickname_with_their_username_as_handle() -> None:
    found = activities(GENERAL)

    assert found["1286955428577210378"].author == PersonRef(
        LI, "李伟 Li Wei", "liwei", avatar_hash="f9c75c465110bac02d32ce9eaf77a789"
    )
    thomas = found["1286956300000000000"].author
    assert (thomas.display_name, thomas.handle) == ("Thomas", "Thomas#0007")


def test_bots_are_flagged_by_the_export_not_guessed_from_names() -> None:
    found = activities(GENERAL)

    helper = found["1286961000000000000"].author
    assert (helper.external_id, helper.is_bot) == ("1012224565567722000", True)
    assert helper.handle == "qunyun-helper#4521"
    spammy = found["1286966000000000000"].author
    assert (spammy.handle, spammy.display_name, spammy.is_bot) == (
        "aLittleSpammyBot#9001",
        "RICK NITRO",
        False,
    )


def test_a_deleted_user_keeps_a_distinct_id_and_no_avatar() -> None:
    deleted = activities(GENERAL)["1286962000000000000"]

    assert deleted.kind == K.MESSAGE
    assert deleted.author == PersonRef("456226577798135808", "Deleted User", "Deleted User")


def test_replies_by_type_or_by_reference_point_to_their_target() -> None:
    found = activities(GENERAL)

    reply = found["1286955512345673728"]  # "type": "Reply"
    assert (reply.kind, reply.reply_to) == (K.REPLY, "1286955428577210378")
    by_reference = found["1286956187654321664"]  # "type": "Default" + reference
    assert (by_reference.kind, by_reference.reply_to) == (K.REPLY, "1286956001122334720")
    # The target was deleted and is not in the file: still a reply to it.
    assert found["1286956300000000000"].reply_to == "1286900000000000000"
    assert reply.attrs["mentions"] == [LI]


def test_each_listed_reactor_becomes_a_reaction_and_the_message_keeps_the_counts() -> None:
    found = activities(GENERAL)

    welcome = found["1286955428577210378"]
    assert welcome.attrs["reactions"] == {"🎉": 2, "1012224565567723000": 1}
    tada = found[f"1286955428577210378:reaction:🎉:{ANNA}"]
    assert (tada.kind, tada.reply_to, tada.occurred_at) == (
        K.REACTION,
        "1286955428577210378",
        welcome.occurred_at,  # DCE has no reaction time
    )
    assert tada.attrs == {"emoji": "🎉"}
    assert tada.author.display_name == "Anna Schmidt"
    custom = found[f"1286955428577210378:reaction:1012224565567723000:{ANNA}"]
    assert custom.attrs == {"emoji": "1012224565567723000", "emoji_name": "qunyun_heart"}
    # A unicode emoji whose id is null rather than "": keyed by the emoji all the same.
    hearts = [r for key, r in found.items() if key.startswith("1286962000000000000:reaction:❤:")]
    assert {r.author.external_id for r in hearts} == {LI, ANNA, WANG}


def test_system_messages_become_joins_and_service_events() -> None:
    found = activities(GENERAL)

    join = found["1286955281210540032"]
    assert (join.kind, join.author.external_id, join.attrs) == (K.JOIN, WANG, {})
    pin = found["1286956412345678848"]
    assert (pin.kind, pin.reply_to) == (K.SERVICE, None)
    assert pin.attrs == {"action": "ChannelPinnedMessage", "message_id": "1286955428577210378"}
    assert found["1286960123456789504"].attrs == {
        "action": "ThreadCreated",
        "thread_id": "1286960123456789504",
    }
    assert found["1286965000000000000"].attrs == {"action": "PollResult"}


def test_a_kind_dce_has_no_name_for_is_a_service_event_with_its_number() -> None:
    command = activities(GENERAL)["1286961000000000000"]

    assert command.kind == K.SERVICE
    assert command.attrs == {
        "action": "20",
        "command": "stats",
        "invoked_by": LI,
        "embeds": True,
    }


def test_attachments_stickers_forwards_and_pins_are_described() -> None:
    found = activities(GENERAL)

    assert found["1286956001122334720"].attrs == {
        "edited_at": "2024-09-21T12:51:02.900000+00:00",
        "attachments": 2,
    }
    assert found["1286964000000000000"].attrs == {"stickers": True}
    forward = found["1286963000000000000"]
    assert (forward.kind, forward.reply_to, forward.attrs) == (
        K.MESSAGE,
        None,
        {"forwarded": True},
    )
    assert found["1286955428577210378"].attrs["pinned"] is True


def test_text_is_kept_as_written_without_interpreting_html() -> None:
    text = activities(GENERAL)["1286956001122334720"].text

    assert text == "How do I export 导出 the member list? <script>alert(1)</script> &amp;"


def test_a_2023_export_without_roles_reaction_users_or_reference_types_is_read() -> None:
    records = list(parse(CHILL))
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}

    assert records[0] == ChannelRecord(
        "discord", "1012224565567875236", "chill talk 闲聊", "GuildTextChat"
    )
    assert Counter(r.kind for r in records[1:]) == {K.MESSAGE: 6, K.REPLY: 2}
    assert found["1060953780281167924"].attrs == {"reactions": {"962450296309678100": 2, "😂": 1}}
    reply = found["1060954094627463198"]
    assert (reply.kind, reply.reply_to) == (K.REPLY, "1060954094627463098")
    assert found["1060954391009570826"].reply_to == "1060954094627463000"  # deleted target
    assert found["1060953753550860429"].text == "It's a little cold in here 🥶 这里有点冷"
    assert found["1060954094627463198"].occurred_at == datetime(
        2023, 1, 6, 16, 12, 47, 850000, tzinfo=UTC
    )


def test_an_author_without_a_nickname_is_named_by_username() -> None:
    author = activities(CHILL)["1060954500000000000"].author

    assert (author.external_id, author.display_name, author.handle) == (
        WANG,
        "wangfang",
        "wangfang",
    )


def test_a_message_written_twice_by_the_exporter_keeps_one_id() -> None:
    records = [r for r in parse(CHILL) if isinstance(r, ActivityRecord)]

    twice = [r for r in records if r.external_id == "1060954419862188072"]
    # The pipeline skips the repeat (same source, channel and id).
    assert len(twice) == 2 and twice[0] == twice[1]


def test_a_thread_export_puts_every_activity_in_the_thread_under_its_parent() -> None:
    records = list(parse(THREAD))
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}

    assert records[0] == ChannelRecord(
        "discord", "1286960123456789504", "导出功能讨论 Export feature", "GuildPublicThread"
    )
    assert {r.thread for r in found.values()} == {"1286960123456789504"}
    parent = {"parent_channel": "1012224565567721552", "parent_channel_name": "general"}
    assert all(r.attrs.items() >= parent.items() for r in found.values())
    reply = found["1286960300000000000"]
    assert (reply.kind, reply.reply_to) == (K.REPLY, "1286960200000000000")
    reaction = found[f"1286960300000000000:reaction:👍:{ANNA}"]
    assert (reaction.thread, reaction.attrs["emoji"]) == ("1286960123456789504", "👍")
    starter = found["1286960123456789505"]
    assert (starter.kind, starter.attrs["action"]) == (K.SERVICE, "21")


def test_a_reference_to_another_channel_is_not_a_reply_here() -> None:
    quoting = activities(THREAD)["1286960400000000000"]

    assert (quoting.kind, quoting.reply_to) == (K.MESSAGE, None)
    assert quoting.attrs["reference_channel"] == "1012224565567721552"
    assert quoting.attrs["reference_message"] == "1286955428577210378"


def test_a_folder_yields_each_channel_file_sorted_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(FOLDER, folder)
    (folder / "notes.txt").write_text("not an export", encoding="utf-8")
    assets = folder / "群运 - general [1].json_Files"
    assets.mkdir()
    (assets / "468d47ade5d888a482e227a04c54eabe-8B00F.png").write_bytes(b"\x89PNG")

    records = list(parse(folder))

    channels = [r for r in records if isinstance(r, ChannelRecord)]
    assert [(c.external_id, c.name, c.kind) for c in channels] == [
        ("1012224565567721553", "announcements 公告", "GuildNews"),
        ("1012224565567721554", "闲聊 off-topic", "GuildTextChat"),
    ]
    kinds = kinds_per_channel(records)
    assert kinds == {
        ("1012224565567721553", K.MESSAGE): 2,
        ("1012224565567721554", K.JOIN): 1,
        ("1012224565567721554", K.MESSAGE): 1,
        ("1012224565567721554", K.REPLY): 1,
    }


def test_a_channel_exported_in_parts_is_announced_once(tmp_path: Path) -> None:
    document = json.loads(GENERAL.read_text(encoding="utf-8"))
    first, second = dict(document), dict(document)
    first["messages"], second["messages"] = document["messages"][:5], document["messages"][5:]
    for number, part in ((1, first), (2, second)):
        name = f"群运 - Text Channels - general [1012224565567721552] [part {number}].json"
        (tmp_path / name).write_text(json.dumps(part, ensure_ascii=False, indent=2), "utf-8")

    records = list(parse(tmp_path))

    assert sum(isinstance(r, ChannelRecord) for r in records) == 1
    assert [r for r in records if isinstance(r, ActivityRecord)] == [
        r for r in parse(GENERAL) if isinstance(r, ActivityRecord)
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://cdn.discordapp.com/avatars/1/468d47ade5d888a482e227a04c54eabe.png?size=512",
            "468d47ade5d888a482e227a04c54eabe",
        ),
        (  # exported with --media: the file is named after the hash
            "群运 - general [1].json_Files\\468d47ade5d888a482e227a04c54eabe-8B00F.png",
            "468d47ade5d888a482e227a04c54eabe",
        ),
        (
            "https://cdn.discordapp.com/guilds/2/users/1/avatars/a_1f2e3d4c5b6a79881f2e3d4c5b6a7988.gif",
            "a_1f2e3d4c5b6a79881f2e3d4c5b6a7988",
        ),
        ("https://cdn.discordapp.com/embed/avatars/0.png", ""),
        ("0-EB806.png", ""),
        (None, ""),
    ],
)
def test_the_avatar_hash_comes_from_the_cdn_url_or_the_downloaded_file(
    url: str | None, expected: str
) -> None:
    assert avatar_hash(url) == expected
