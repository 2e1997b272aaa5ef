"""WeChat's grey system notices are read into who joined, who was removed and what else.

The sentences are the ones PC WeChat shows (as matched by Wechaty's tests and several
bots); the ``<sysmsg>`` documents follow the templates WeChat sends for the same events.
"""

from __future__ import annotations

import pytest

from qunyun.ingest.platforms.wechat.content import parse_xml, read_app_message
from qunyun.ingest.platforms.wechat.system_messages import (
    SELF,
    Named,
    Notice,
    flatten,
    read_notice,
)


def named(*names: str) -> tuple[Named, ...]:
    return tuple(Named(name=name) for name in names)


@pytest.mark.parametrize(
    ("text", "subjects", "actor", "attrs"),
    [
        (
            '"张三"邀请"李四、王五"加入了群聊',
            named("李四", "王五"),
            Named("张三"),
            {"via": "invite", "invited_by": "张三"},
        ),
        (
            '你邀请"Anna Schmidt"加入了群聊',
            named("Anna Schmidt"),
            SELF,
            {"via": "invite", "invited_by": "self"},
        ),
        (
            '"李卓桓"邀请你和"Huan LI++"加入了群聊',
            (SELF, Named("Huan LI++")),
            Named("李卓桓"),
            {"via": "invite", "invited_by": "李卓桓"},
        ),
        (
            '"李佳芮"邀请你加入了群聊，群聊参与人还有：小桔、桔小秘、舒米',
            (SELF,),
            Named("李佳芮"),
            {"via": "invite", "invited_by": "李佳芮"},
        ),
        (
            '"李四"通过扫描"张三"分享的二维码加入群聊',
            named("李四"),
            None,
            {"via": "qr_code", "shared_by": "张三"},
        ),
        (
            '"XU 。"通过扫描你分享的二维码加入群聊',
            named("XU 。"),
            None,
            {"via": "qr_code", "shared_by": "self"},
        ),
        (
            "你通过扫描二维码加入群聊，群聊参与人还有：张三、李四",
            (SELF,),
            None,
            {"via": "qr_code"},
        ),
        (
            '"Bob"通过"Carol"的邀请二维码加入群聊',
            named("Bob"),
            None,
            {"via": "qr_code", "shared_by": "Carol"},
        ),
        ('"陈晨"、"Bob Lee"加入了群聊', named("陈晨", "Bob Lee"), None, {"via": "other"}),
    ],
)
def test_join_notices_name_everyone_who_joined(
    text: str, subjects: tuple[Named, ...], actor: Named | None, attrs: dict[str, str]
) -> None:
    notice = read_notice(text)

    assert notice == Notice("join", subjects, actor, attrs)


def test_the_participants_already_there_are_not_joins() -> None:
    notice = read_notice("你通过扫描二维码加入群聊，群聊参与人还有：张三、Anna Schmidt、王芳")

    assert notice.subjects == (SELF,)


@pytest.mark.parametrize(
    ("text", "subjects", "remover"),
    [
        ('你将"百年-句子技术支持"移出了群聊', named("百年-句子技术支持"), SELF),
        ('你将"A、B"移出了群聊', named("A", "B"), SELF),
        ('你被"张三"移出群聊', (SELF,), Named("张三")),
        ('"张三"将"李四"移出了群聊', named("李四"), Named("张三")),
    ],
)
def test_removals_are_leaves_marked_removed(
    text: str, subjects: tuple[Named, ...], remover: Named
) -> None:
    notice = read_notice(text)

    assert (notice.action, notice.subjects, notice.actor) == ("leave", subjects, remover)
    assert notice.attrs == {"removed": True, "removed_by": remover.label()}


@pytest.mark.parametrize(
    ("raw", "actor"),
    [
        ('"王五" 撤回了一条消息', Named("王五")),
        ('<revokemsg>"王五" 撤回了一条消息</revokemsg>', Named("王五")),
        ("你撤回了一条消息", SELF),
        ('<![CDATA[你撤回了一条消息 <a href="weixin://revoke_edit_click">重新编辑</a>]]>', SELF),
    ],
)
def test_revokes_name_who_took_their_message_back(raw: str, actor: Named) -> None:
    assert read_notice(raw) == Notice("revoke", actor=actor)


def test_links_are_buttons_and_are_dropped_with_their_label() -> None:
    raw = '<![CDATA[你撤回了一条消息 <a href="weixin://revoke_edit_click">重新编辑</a>]]>'

    assert flatten(raw) == "你撤回了一条消息"


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ('"张三" 拍了拍 "李伟"', Named("张三")),
        ('你拍了拍"李伟"的肩膀', SELF),
        ("我拍了拍自己", SELF),
    ],
)
def test_pats_are_service_events_by_the_patter(text: str, actor: Named) -> None:
    assert read_notice(text) == Notice("pat", actor=actor)


def test_a_rename_keeps_the_new_title() -> None:
    notice = read_notice('"张三"修改群名为“群运开源社区 Qunyun”')

    assert notice == Notice("rename", actor=Named("张三"), attrs={"title": "群运开源社区 Qunyun"})


def test_markup_in_names_is_text_and_is_kept() -> None:
    notice = read_notice('"<b>张三</b>"修改群名为“<script>alert(1)</script>”')

    assert notice.actor == Named("<b>张三</b>")
    assert notice.attrs == {"title": "<script>alert(1)</script>"}


def test_adding_a_friend_and_other_notices_are_service_events() -> None:
    assert read_notice("你已添加了宋悦，现在可以开始聊天了。").action == "friend_added"
    other = read_notice('"Bob Lee"与群里其他人都不是微信朋友关系，请注意隐私安全')
    assert other == Notice(
        "system", attrs={"notice": '"Bob Lee"与群里其他人都不是微信朋友关系，请注意隐私安全'}
    )


def test_nobody_is_ever_said_to_have_left_by_themself() -> None:
    # WeChat shows no notice for that; a look-alike sentence is not read as a leave.
    assert read_notice('"李四"退出了群聊').action == "system"


TEMPLATE = """<sysmsg type="sysmsgtemplate"><sysmsgtemplate>
<content_template type="tmpl_type_profile"><plain><![CDATA[]]></plain>
<template><![CDATA[{template}]]></template><link_list>
<link name="adder" type="link_profile"><memberlist><member>
<username><![CDATA[wxid_bob]]></username><nickname><![CDATA[Bob Lee]]></nickname>
</member></memberlist></link>
<link name="from" type="link_profile"><memberlist><member>
<username><![CDATA[wxid_zhangsan]]></username><nickname><![CDATA[张三]]></nickname>
</member></memberlist></link>
</link_list></content_template></sysmsgtemplate></sysmsg>"""


def test_template_notices_give_the_wxids_of_the_people_they_name() -> None:
    notice = read_notice(TEMPLATE.format(template='"$adder$"通过扫描"$from$"分享的二维码加入群聊'))

    assert notice == Notice(
        "join", (Named("Bob Lee", "wxid_bob"),), None, {"via": "qr_code", "shared_by": "张三"}
    )


def test_a_pat_document_names_the_patter_by_wxid() -> None:
    raw = (
        '<sysmsg type="pat"><pat><fromusername>wxid_zhangsan</fromusername>'
        "<chatusername>1@chatroom</chatusername><pattedusername>wxid_me</pattedusername>"
        '<template><![CDATA["${wxid_zhangsan}" 拍了拍 "${wxid_me}"]]></template></pat></sysmsg>'
    )

    assert read_notice(raw) == Notice("pat", actor=Named(wxid="wxid_zhangsan"))


def test_unknown_documents_are_system_events_with_their_type() -> None:
    raw = '<sysmsg type="mmchatroombarannouncememt"><content>群公告</content></sysmsg>'

    assert read_notice(raw) == Notice("system", attrs={"sysmsg_type": "mmchatroombarannouncememt"})


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<sysmsg type="revokemsg"><revokemsg><replacemsg>&lol2;</replacemsg></revokemsg></sysmsg>"""


def test_documents_with_a_dtd_are_never_parsed() -> None:
    assert parse_xml(BOMB) is None
    assert read_notice(BOMB).action == "system"
    external = (
        '<?xml version="1.0"?><!DOCTYPE msg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<msg><appmsg><title>&xxe;</title><type>5</type></appmsg></msg>"
    )
    assert read_app_message(external) is None


def test_broken_documents_are_not_xml() -> None:
    assert parse_xml("<msg><appmsg><title>半截") is None
    assert read_notice('<sysmsg type="revokemsg"><revokemsg>').action == "system"


@pytest.mark.parametrize(
    "text",
    ['"a"邀请' * 3000, '你将"a"、' * 3000, '<a href="weixin://x">' * 900, "你" * 50_000],
)
def test_hostile_notices_are_read_in_linear_time_as_plain_events(text: str) -> None:
    # Names are matched without backtracking runs; over-long text is not parsed at all.
    notice = read_notice(text)

    assert notice.action == "system"
    assert len(notice.attrs.get("notice", "")) <= 500
