"""Shapes seen in real WhatsApp exports that other projects ship as fixtures (lines written
here by hand in those shapes): the encryption banner credited to the chat's name without
the U+200E mark, in any language, and dates written with a two-digit year first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qunyun.ingest.platforms.whatsapp.tests.test_errors import errors_of
from qunyun.ingest.platforms.whatsapp.tests.test_parser import activities, write
from qunyun.ingest.records import ActivityKind, ActivityRecord

#: The banner as the app writes it, in a few of its languages.
BANNERS = {
    "en": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them.",
    "de": "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses "
    "Chats kann sie lesen oder anhören, nicht einmal WhatsApp.",
    "es": "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este "
    "chat, ni siquiera WhatsApp, puede leerlos ni escucharlos.",
    "pt": "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta e "
    "ficam somente entre você e os participantes desta conversa. Nem mesmo o WhatsApp pode "
    "ler ou ouvi-las.",
    "fr": "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même "
    "WhatsApp, ne peut les lire ou les écouter.",
    "it": "I messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa "
    "chat, nemmeno WhatsApp, può leggerne o ascoltarne il contenuto.",
    "ru": "Сообщения и звонки защищены сквозным шифрованием. Никто, даже WhatsApp, не может "
    "прочитать или прослушать их.",
    "tr": "Mesajlar ve aramalar uçtan uca şifrelidir. Bu sohbetin dışında bulunan hiç kimse, "
    "WhatsApp bile, bunları okuyamaz ve dinleyemez.",
    "id": "Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat "
    "ini, termasuk WhatsApp, yang dapat membaca atau mendengarkannya.",
    "zh-Hans": "消息和通话已进行端到端加密。此对话外的任何人（即使是 WhatsApp）都无法读取或收听这些消息和通话。",  # noqa: E501
    "zh-Hant": "訊息和通話都經端對端加密。對話以外的人，甚至是 WhatsApp 都無法讀取或收聽訊息和通話。",  # noqa: E501
    "ja": "メッセージと通話はエンドツーエンド暗号化されています。このチャットのメンバー以外は、WhatsAppであっても内容を読んだり聞いたりすることはできません。",  # noqa: E501
    "ko": "메시지와 통화는 종단간 암호화됩니다. WhatsApp을 포함하여 채팅방 외부의 누구도 메시지를 읽거나 통화를 들을 수 없습니다.",  # noqa: E501
    "vi": "Tin nhắn và cuộc gọi được mã hóa đầu cuối. Không ai ngoài cuộc trò chuyện này, kể "
    "cả WhatsApp, có thể đọc hoặc nghe chúng.",
    "ar": "الرسائل والمكالمات مشفرة تماماً بين الطرفين. لا أحد خارج هذ"
    "ه الدردشة، ولا حتى واتساب، يمكنه قراءتها أو الاستماع إليها.",
}  # fmt: skip


def messages(path: Path) -> list[ActivityRecord]:
    return [r for r in activities(path).values() if r.kind is ActivityKind.MESSAGE]


@pytest.mark.parametrize("language", sorted(BANNERS))
def test_the_banner_credited_to_the_chat_is_a_notice_not_a_member(
    tmp_path: Path, language: str
) -> None:
    path = write(
        tmp_path,
        f"15.04.2016, 15:04 - Pokemon Chat: {BANNERS[language]}\n"
        "06.08.2016, 13:23 - Ash Ketchum: Hey guys!\n"
        "06.08.2016, 13:25 - Brock: Hey Ash, good to have a common group!\n",
    )

    found = list(activities(path).values())

    assert [(r.kind, r.author.display_name) for r in found if r.kind is ActivityKind.MESSAGE] == [
        (ActivityKind.MESSAGE, "Ash Ketchum"),
        (ActivityKind.MESSAGE, "Brock"),
    ]
    notices = [r for r in found if r.kind is ActivityKind.SERVICE]
    assert [r.attrs["action"] for r in notices] == ["encryption_notice"]
    assert "Pokemon Chat" not in {r.author.display_name for r in found}


def test_the_group_notice_without_a_sender_is_a_notice_too(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "06.08.2016, 13:18 - Messages you send to this group are now secured with end-to-end "
        "encryption. Tap for more info.\n"
        "06.08.2016, 13:23 - Ash Ketchum: Hey guys!\n",
    )

    kinds = [r.kind for r in activities(path).values()]

    assert kinds == [ActivityKind.SERVICE, ActivityKind.MESSAGE]


def test_a_member_talking_about_encryption_is_still_a_member(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "06.08.2016, 13:23 - Misty: are our messages end-to-end encrypted here?\n"
        "06.08.2016, 13:24 - Brock: 是的，端到端加密\n",
    )

    assert [r.author.display_name for r in messages(path)] == ["Misty", "Brock"]


YEAR_FIRST = (
    "20-01-15, 09:05 - Mary: hi\n"
    "20-01-15, 09:06 - Tom: hello Mary\n"
    "20-01-28, 21:40 - Mary: see you next month\n"
    "20-02-01, 08:00 - Tom: good morning\n"
    "20-02-03, 12:00 - Mary: lunch?\n"
)


def test_two_digit_year_first_dates_are_read_as_written(tmp_path: Path) -> None:
    found = messages(write(tmp_path, YEAR_FIRST))

    assert [r.occurred_at.date() for r in found] == [
        date(2020, 1, 15), date(2020, 1, 15), date(2020, 1, 28), date(2020, 2, 1), date(2020, 2, 3)
    ]  # fmt: skip
    assert all("date_order_guessed" not in r.attrs for r in found)


def test_a_single_year_first_line_is_flagged_as_a_guess(tmp_path: Path) -> None:
    found = messages(write(tmp_path, "20-01-15, 09:05 - Mary: hi\n"))

    # 20 January 2015 or 15 January 2020: nothing in the file tells.
    assert [r.attrs.get("date_order_guessed") for r in found] == [True]


def test_a_day_first_file_is_still_day_first(tmp_path: Path) -> None:
    found = messages(write(tmp_path, "28/01/20, 09:05 - Mary: hi\n01/02/20, 09:06 - Tom: hello\n"))

    assert [r.occurred_at.date() for r in found] == [date(2020, 1, 28), date(2020, 2, 1)]


def test_a_contradiction_names_two_different_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "15/01/21, 10:00 - Ana: hi\nhello\n01/15/21, 10:00 - Ben: ho\n")

    error = errors_of(path)

    assert (error.line, error.field) == (3, "date")
    assert error.problem == (
        "The dates contradict each other: 15/01/21 on line 1 cannot be read month first, "
        "and 01/15/21 on line 3 cannot be read day first; no single order reads the whole file."
    )


def test_a_date_no_order_can_read_names_its_one_line(tmp_path: Path) -> None:
    error = errors_of(write(tmp_path, "13/13/20, 10:00 - Ana: hi\n"))

    assert error.line == 1
    assert error.problem == (
        "The date 13/13/20 is not valid in any order (day, month or year first)."
    )
