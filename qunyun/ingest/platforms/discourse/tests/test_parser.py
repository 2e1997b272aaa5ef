"""The Discourse importer reads saved API responses into the records an operator counts.

Fixtures (``fixtures/forum/``) are hand-made to match Discourse's serializers field for
field: two ``/posts.json`` pages of a bilingual forum (newest first, ``…Z`` times),
a 2013-era ``/t/57.json`` (server-zone offsets, ``cooked`` only, no category on its
posts, a moderator action, a small action, a whisper), ``/site.json`` for category
names, and two user lists (``/directory_items.json``, ``/admin/users/list/active.json``
with the old string-typed ages).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.discourse.cooked import cooked_to_text
from qunyun.ingest.platforms.discourse.parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

FORUM = Path(__file__).parent / "fixtures" / "forum"
PAGE = FORUM / "posts.json"
OLDER_PAGE = FORUM / "posts_before_108.json"
TOPIC = FORUM / "t_57.json"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def activities(path: Path) -> dict[str, ActivityRecord]:
    return {r.external_id: r for r in parse(path) if isinstance(r, ActivityRecord)}


def write(tmp_path: Path, document: Any, name: str = "posts.json") -> Path:
    path = tmp_path / name
    if isinstance(document, bytes):
        path.write_bytes(document)
    else:
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def a_post(changes: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    post = json.loads(PAGE.read_text(encoding="utf-8"))["latest_posts"][0]
    post.update(fields)
    post.update(changes or {})
    return post


def fail(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def test_the_registry_finds_the_discourse_parser() -> None:
    assert get_parser("discourse") is parse


def test_a_folder_yields_each_category_before_its_first_post() -> None:
    records = list(parse(FORUM))

    channels = [r for r in records if isinstance(r, ChannelRecord)]
    assert {c.external_id: c.name for c in channels} == {
        "12": "category 12",  # not in site.json
        "9": "Telegram",
        "7": "问答 Q&A",
        "5": "公告 Announcements",
        "13": "Uncategorized",
    }
    assert {c.kind for c in channels} == {"category"}
    announced: set[str] = set()
    for record in records:
        if isinstance(record, ChannelRecord):
            announced.add(record.external_id)
        else:
            assert record.channel in announced
            assert record.source == "discourse"


def test_a_folder_counts_posts_replies_and_moderator_actions() -> None:
    found = activities(FORUM)

    assert Counter(r.kind for r in found.values()) == {
        ActivityKind.POST: 5,
        ActivityKind.REPLY: 10,
        ActivityKind.SERVICE: 2,
    }
    assert sorted(found, key=int) == [
        "83", "84", "85", "86", "90", "101", "102", "105", "106", "107", "108",
        "110", "112", "115", "118", "120", "226",
    ]  # fmt: skip


def test_topic_starters_carry_title_and_slug_and_the_topic_is_the_thread() -> None:
    starter = activities(FORUM)["101"]

    assert starter.kind == ActivityKind.POST
    assert starter.thread == "31"
    assert starter.reply_to is None
    assert starter.text == "群运 0.2 发布了 🎉\n\nRelease notes: https://example.org/0.2"
    assert starter.attrs["title"] == "群运 0.2 发布了 / Qunyun 0.2 released"
    assert starter.attrs["topic_slug"] == "qunyun-0-2"
    assert starter.attrs["likes"] == 3
    assert starter.occurred_at == datetime(2024, 9, 21, 12, 47, 30, 123000, tzinfo=UTC)


def test_replies_link_to_the_post_they_answer_across_saved_pages() -> None:
    found = activities(FORUM)

    # reply_to_post_number 2 in topic 31 is post 102, in the same page
    assert (found["105"].reply_to, found["105"].attrs["reply_to_post_number"]) == ("102", 2)
    # no reply_to_post_number: an answer to the topic, i.e. to its starter
    assert found["102"].reply_to == "101"
    assert "reply_to_post_number" not in found["102"].attrs
    # the newer page answers posts saved in the older one
    assert found["110"].reply_to == "101"
    assert found["112"].reply_to == "108"
    # post #5 of topic 32 was never saved: fall back to the starter, keep the number
    assert (found["115"].reply_to, found["115"].attrs["reply_to_post_number"]) == ("106", 5)
    assert {found[i].thread for i in ("106", "107", "108", "112", "115")} == {"32"}


def test_a_single_page_leaves_unknown_targets_unlinked_but_keeps_the_number() -> None:
    found = activities(PAGE)

    assert found["115"].reply_to is None
    assert found["115"].attrs["reply_to_post_number"] == 5
    assert found["110"].reply_to is None  # its topic's starter is on the older page
    assert found["112"].reply_to == "108"


def test_authors_keep_their_discourse_id_name_and_username() -> None:
    found = activities(FORUM)

    assert found["101"].author == PersonRef("1", display_name="李伟", handle="li_wei")
    # ``name`` is null for users who never set one: the username stands in
    assert found["105"].author == PersonRef("3", display_name="wangfang", handle="wangfang")
    assert (
        found["101"].attrs.items() >= {"trust_level": 4, "admin": True, "moderator": True}.items()
    )
    assert "admin" not in found["102"].attrs


def test_discourse_s_own_accounts_are_bots() -> None:
    system = activities(FORUM)["110"].author

    assert system == PersonRef("-1", display_name="system", handle="system", is_bot=True)


def test_deleted_and_hidden_posts_are_kept_and_marked() -> None:
    found = activities(FORUM)

    assert found["108"].attrs["deleted"] is True  # deleted by staff (deleted_at)
    assert found["108"].attrs["hidden"] is True
    assert found["112"].attrs["deleted"] is True  # deleted by its author (user_deleted)
    assert "deleted" not in found["107"].attrs


def test_raw_text_is_kept_as_text_even_when_it_looks_like_html() -> None:
    spam = activities(FORUM)["108"]

    assert spam.text == "cheap followers <script>alert('x')</script> http://spam.example"


def test_edits_likes_and_accepted_answers_are_attributes() -> None:
    found = activities(FORUM)

    assert found["105"].attrs["edited_at"] == "2024-09-21T14:25:00+00:00"
    assert found["105"].attrs["version"] == 2
    assert "edited_at" not in found["102"].attrs
    assert found["107"].attrs["likes"] == 4
    assert found["107"].attrs["accepted_answer"] is True
    assert "accepted_answer" not in found["106"].attrs


def test_a_2013_topic_has_zone_offsets_converted_to_utc() -> None:
    found = activities(TOPIC)

    assert found["83"].occurred_at == datetime(2013, 2, 4, 20, 26, 26, 278000, tzinfo=UTC)
    assert found["226"].occurred_at == datetime(2013, 2, 5, 17, 14, 17, 364000, tzinfo=UTC)
    # updated_at was written in summer time (-04:00)
    assert found["83"].attrs["edited_at"] == "2013-04-30T18:33:37.273000+00:00"


def test_a_topic_file_takes_category_and_title_from_the_topic() -> None:
    records = list(parse(TOPIC))
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}

    assert records[0] == ChannelRecord("discourse", "13", name="category 13", kind="category")
    assert {r.channel for r in found.values()} == {"13"}
    assert {r.thread for r in found.values()} == {"57"}
    assert found["83"].attrs["title"].startswith("这个站点是沙盒")
    assert found["83"].attrs["topic_slug"] == "this-site-is-a-sandbox-it-is-reset-every-day"


def test_moderator_and_small_actions_are_service_events() -> None:
    found = activities(TOPIC)

    assert found["84"].kind == ActivityKind.SERVICE
    assert found["84"].attrs["action"] == "moderator_action"
    assert found["84"].text.startswith("This topic is now pinned.")
    assert found["85"].kind == ActivityKind.SERVICE
    assert found["85"].attrs["action"] == "closed.enabled"
    assert found["85"].reply_to is None


def test_whispers_are_replies_marked_as_whispers() -> None:
    whisper = activities(TOPIC)["90"]

    assert whisper.kind == ActivityKind.REPLY
    assert whisper.attrs["whisper"] is True
    assert whisper.reply_to == "86"


def test_cooked_html_becomes_plain_text() -> None:
    found = activities(TOPIC)

    assert found["83"].text == (
        "Welcome! 欢迎来到沙盒。\n"
        "Try is a sandbox, a safe place to play with Discourse & its features.\n"
        "This site is reset every day. Any accounts or posts you create here will not "
        "exist tomorrow! :smile:\n"
        "For more information visit http://www.discourse.org"
    )
    assert found["86"].text == "沙盒很好玩"  # a plain image leaves no text
    assert found["86"].attrs["likes"] == 5  # actions_summary id 2


def test_cooked_scripts_and_styles_are_dropped_never_run() -> None:
    html = "<p>hi<script>alert(1)</script><style>p{}</style> &lt;b&gt;</p>"

    assert cooked_to_text(html) == "hi <b>"
    # markup html.parser gives up on is read as text, never as tags
    assert cooked_to_text("<![foo bar]><p>still &amp; read</p><script>x</script>") == (
        "<![foo bar]>\nstill & read"
    )


def test_user_lists_yield_nothing() -> None:
    assert list(parse(FORUM / "directory_items.json")) == []
    assert list(parse(FORUM / "admin_users_active.json")) == []


def test_the_same_post_saved_twice_is_read_once(tmp_path: Path) -> None:
    shutil.copy(PAGE, tmp_path / "a.json")
    shutil.copy(PAGE, tmp_path / "b.json")

    found = [r for r in parse(tmp_path) if isinstance(r, ActivityRecord)]

    assert len(found) == 6


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + PAGE.read_bytes())

    assert len(activities(path)) == 6


def test_a_post_without_any_author_is_a_deleted_user(tmp_path: Path) -> None:
    path = write(tmp_path, {"latest_posts": [a_post(user_id=None, username=None, name=None)]})

    (post,) = activities(path).values()

    assert post.author == PersonRef("deleted")
    assert post.attrs["author_deleted"] is True


def test_a_later_topic_page_links_replies_to_the_starter_named_in_its_stream(
    tmp_path: Path,
) -> None:
    reply = a_post(id=525, post_number=25, reply_to_post_number=None)
    reply.pop("topic_id")
    page = {"post_stream": {"posts": [reply], "stream": [500, 501, 525]}, "id": 77}
    path = write(tmp_path, page, name="t_77_page2.json")

    (post,) = activities(path).values()

    assert (post.reply_to, post.thread) == ("500", "77")


def test_a_post_whose_category_nobody_names_goes_to_the_no_category_channel(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, {"latest_posts": [a_post(category_id=None)]})

    channel, post = parse(path)

    assert channel == ChannelRecord("discourse", "none", name="no category", kind="none")
    assert isinstance(post, ActivityRecord) and post.channel == "none"


def test_a_truncated_file_names_the_line_and_offset(tmp_path: Path) -> None:
    data = PAGE.read_bytes()
    path = write(tmp_path, data[: len(data) // 2])

    error = fail(path)

    assert "posts.json" in str(error)
    assert error.line is not None and error.line > 10
    assert error.offset is not None
    assert f"line {error.line}" in str(error)


def test_gbk_text_is_refused_with_the_byte_offset(tmp_path: Path) -> None:
    post = {k: v for k, v in a_post(raw="你好").items() if k in ("id", "raw", "created_at")}
    text = json.dumps({"latest_posts": [post]}, ensure_ascii=False)
    path = write(tmp_path, text.encode("gbk"))

    error = fail(path)

    assert "not UTF-8" in str(error)
    assert error.offset == text.encode("gbk").index("你好".encode("gbk"))


def test_json_that_is_not_a_discourse_response_is_refused(tmp_path: Path) -> None:
    error = fail(write(tmp_path, {"topic_list": {"topics": []}}))

    assert "not a saved Discourse response" in str(error)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"created_at": None}, "created_at", "has no “created_at”"),
        ({"created_at": "2024-09-21T12:47:30"}, "created_at", "with a UTC offset"),
        ({"created_at": "yesterday"}, "created_at", "'yesterday'"),
        ({"id": "120"}, "id", "not an integer"),
        ({"post_number": None}, "post_number", "has no “post_number”"),
        ({"user_id": 1.5}, "user_id", "not an integer"),
        ({"raw": ["x"]}, "raw", "not text"),
        ({"actions_summary": {"id": 2}}, "actions_summary", "not a list"),
        ({"updated_at": 17}, "updated_at", "ISO 8601"),
    ],
)
def test_a_malformed_post_names_its_position_and_field(
    tmp_path: Path, change: dict[str, Any], field: str, message: str
) -> None:
    path = write(tmp_path, {"latest_posts": [a_post(id=1), a_post(change, id=2)]})

    error = fail(path)

    assert error.record == 2
    assert error.field == field
    assert "record 2" in str(error)
    assert f"field “{field}”" in str(error)
    assert message in str(error)


def test_broken_structure_names_the_field(tmp_path: Path) -> None:
    assert fail(write(tmp_path, {"latest_posts": {}})).field == "latest_posts"
    assert fail(write(tmp_path, {"post_stream": {"posts": 3}})).field == "post_stream.posts"
    assert fail(write(tmp_path, {"latest_posts": [7]})).record == 1


def test_empty_files_and_folders_are_refused(tmp_path: Path) -> None:
    assert "empty" in str(fail(write(tmp_path, b"")))
    (tmp_path / "nothing").mkdir()
    assert "no .json files" in str(fail(tmp_path / "nothing"))


def test_a_broken_file_in_a_folder_stops_the_import_before_any_record(tmp_path: Path) -> None:
    shutil.copy(PAGE, tmp_path / "a.json")
    write(tmp_path, b'{"latest_posts": [', name="b.json")

    records = parse(tmp_path)

    with pytest.raises(ImportFormatError) as caught:
        next(records)
    assert "b.json" in str(caught.value)
