"""How the demo community writes and names itself (DESIGN.md §8): banks and pickers.

The demo is the user community of a note-taking app, mostly Chinese with some English.
Banks are written as ``|``-separated lines (:func:`_bank`) to keep the data readable;
``{device}`` / ``{fmt}`` slots are expanded once at import, so that picking a line is
cheap. The pickers at the end (names, chat lines, questions, ads, announcements) take the
generator's ``random.Random`` and nothing else.

One rule keeps the planted truth exact: a root message counts as a *question* when
:func:`is_question` says so, and only the question banks (``TOPICS[...]["zh_q"|"en_q"]``)
contain :data:`QUESTION_MARKERS`. Chat, gripes, complaints, announcements and spam never
do; the tests check it.
"""

from __future__ import annotations

import random
import re
import string
from itertools import accumulate

#: A root message containing any of these is a question.
QUESTION_MARKERS = ("?", "？", "吗", "呢", "怎么", "如何", "有没有")
#: Words of the planted outage; baseline gripes use some of them too, much more rarely.
COMPLAINT_WORDS = ("同步失败", "崩", "闪退", "打不开", "sync broken", "sync failed", "crash")
#: The rising topic: a new feature whose mentions grow in the last three weeks.
RISING_TERM = "Canvas"

_DEVICES = {
    "zh": ("iPhone", "iPad", "安卓", "Mac", "Windows", "网页版"),
    "en": ("iPhone", "iPad", "Android", "Mac", "Windows", "the web app"),
}
_FORMATS = ("PDF", "Markdown", "Word", "HTML")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")


def is_question(text: str) -> bool:
    """Whether ``text`` reads as a question (the generator's and the truth's rule)."""
    return any(marker in text for marker in QUESTION_MARKERS)


def _bank(lines: str, lang: str = "zh") -> tuple[str, ...]:
    """Phrases from ``|``-separated lines, each ``{device}``/``{fmt}`` slot filled every way."""
    out: list[str] = []
    for phrase in (p.strip() for line in lines.splitlines() for p in line.split("|")):
        if "{device}" in phrase:
            out.extend(phrase.format(device=d) for d in _DEVICES[lang])
        elif "{fmt}" in phrase:
            out.extend(phrase.format(fmt=f) for f in _FORMATS)
        elif phrase:
            out.append(phrase)
    return tuple(_CJK_GAP.sub("", phrase) for phrase in out)  # "安卓 版" → "安卓版"


def _topic(zh_q: str, en_q: str, zh_a: str, en_a: str) -> dict[str, tuple[str, ...]]:
    """Questions and answers of one topic, in both languages."""
    return {
        "zh_q": _bank(zh_q),
        "en_q": _bank(en_q, "en"),
        "zh_a": _bank(zh_a),
        "en_a": _bank(en_a, "en"),
    }


#: Question/answer banks by topic.
TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "export": _topic(
        """怎么导出 {fmt}？ | 导出 {fmt} 的时候图片丢了，有人遇到过吗 | 可以批量导出成 {fmt} 吗？
        导出的 {fmt} 格式乱了怎么办？ | 有没有办法把整个笔记本导出成 {fmt}？
        如何把笔记导出成 {fmt} 发给同事？""",
        """How do I export to {fmt}? | Is there a way to batch export notes as {fmt}?
        Exported {fmt} loses images, anyone else?""",
        """右上角 ··· → 导出，选对应格式就行 | 设置 → 数据 → 批量导出 | 笔记本上右键有「导出全部」
        图片丢的话先升级到最新版再导，之前的 bug 修了 | 导出前把图片设成「内嵌」就不会丢""",
        """Top right ··· → Export, then pick the format. | Settings → Data → Bulk export.
        Update to the latest version first, the image bug is fixed there.""",
    ),
    "sync": _topic(
        """{device} 和其他设备怎么同步？ | 同步一直转圈是什么情况？ | 多设备同步会有延迟吗？
        离线写的笔记联网后会自动同步吗？ | {device} 上改的内容为什么没同步过来？
        多端同步是实时的呢，还是要手动点？""",
        """How do I sync across devices? | Sync keeps spinning on {device}, any idea?
        Do offline edits sync automatically later?""",
        """登录同一个账号，设置里打开「自动同步」就好 | 退出重新登录一下试试，我之前也这样
        会的，联网后自动合并 | 看看是不是开了省电模式，会限制后台同步 | 一般几秒钟，网不好会慢点""",
        """Sign in with the same account and turn on auto sync in Settings.
        Try signing out and back in, that fixed it for me.
        Yes, offline edits merge once you're back online.""",
    ),
    "mobile": _topic(
        """{device} 上有小组件吗？ | 手机上怎么插入表格？ | {device} 能用手写笔吗？
        手机端可以语音输入吗？""",
        """Is there a widget on {device}? | How do I insert a table on mobile?
        Can I use a stylus on {device}?""",
        """有的，长按桌面添加小组件 | 输入 / 会弹出菜单，选表格 | 支持的，设置里打开手写模式
        键盘上的麦克风就行，效果还不错""",
        """Yes, long-press the home screen and add the widget. | Type / and pick Table.
        Yes, turn on handwriting in Settings.""",
    ),
    "shortcuts": _topic(
        "有没有快捷键列表？ | Mac 上怎么快速新建笔记？ | 怎么设置全局快捷键？",
        "Is there a list of keyboard shortcuts? | How do I create a note from anywhere?",
        """按 Cmd + / 能看到全部快捷键 | 设置 → 快捷键 里可以自定义
        Cmd + N 新建，全局的要在设置里开""",
        "Press Cmd + / to see them all. | Settings → Shortcuts lets you set a global one.",
    ),
    "pricing": _topic(
        """Pro 和免费版有什么区别？ | 学生有优惠吗？ | 年费可以开发票吗？ | 家庭版最多几个人？
        Pro 年费多少钱呢""",
        "Is there a student discount? | What does Pro add over the free plan?",
        """Pro 多了无限附件和版本历史 | 学生认证后五折 | 设置 → 订阅 里可以申请发票
        家庭版最多 6 人""",
        "Students get 50% off after verification. | Pro adds unlimited uploads and history.",
    ),
    "templates": _topic(
        """有没有好用的周报模板？ | 模板可以分享给别人吗？ | 怎么把自己的笔记存成模板？
        大家的读书笔记模板都是什么样的呢？""",
        "Any good templates for weekly reviews? | Can I share my templates?",
        "社区模板库里有很多，搜「周报」 | 可以，模板右上角有分享链接 | 笔记菜单里选「存为模板」",
        "Check the community gallery, search for weekly. | Yes, use the share link on it.",
    ),
    "plugins": _topic(
        "插件在哪里装？ | 有没有 Zotero 插件？ | 插件会拖慢速度吗？",
        "Where do I install plugins? | Is there an API for plugins?",
        "设置 → 插件市场 | 有社区做的，插件市场搜 Zotero | 装太多会慢，常用的几个没问题",
        "Settings → Plugin market. | Yes, the docs have a plugin API section.",
    ),
    "search": _topic(
        "搜索能搜到图片里的文字吗？ | 怎么按标签筛选？ | 搜索结果能按时间排序吗？",
        "Can search find text inside images? | How do I filter by tag?",
        "Pro 支持图片文字识别 | 搜索框里输入 # 加标签名 | 结果右上角可以切换排序",
        "Pro does OCR on images. | Type # and the tag name in search.",
    ),
    "canvas": _topic(
        """Canvas 怎么开启？ | Canvas 能导出成图片吗？ | Canvas 手机上能用吗？
        Canvas 里能插入笔记卡片吗？""",
        "How do I turn on Canvas? | Can Canvas export to an image? | Is Canvas on mobile?",
        """设置 → 实验功能 里打开 Canvas | 可以，右上角导出 PNG | Canvas 目前只有桌面端
        拖一篇笔记进去就是卡片""",
        "Settings → Labs → Canvas. | Yes, export as PNG from the menu. | Desktop only so far.",
    ),
    "outage": _topic(
        "是不是又崩了？ | 同步失败了，大家也这样吗？ | 现在还能登录吗？ | 服务器挂了吗？",
        "Is sync down for everyone? | Is the server down?",
        "官方说在修了，先别重复点同步 | 我这边也不行，等公告吧 | 群里公告说在抢修",
        "Status page says they're on it. | Same here, waiting for the fix.",
    ),
}
#: How often each everyday topic is asked about ("canvas" and "outage" are planted).
TOPIC_WEIGHTS = {
    "export": 3.0,
    "sync": 3.0,
    "mobile": 2.0,
    "shortcuts": 1.0,
    "pricing": 1.5,
    "templates": 1.0,
    "plugins": 1.0,
    "search": 1.0,
}

CHAT = {
    "zh": _bank("""
        早上好☀️ | 新版本的编辑器顺滑多了 | 分享一个我的读书笔记模板 | 大家晚安 | 双链功能真香
        今天用它整理了一整天的会议纪要，效率高了不少 | 终于把 Evernote 的笔记都迁过来了
        刚续费了 Pro | 打卡第 30 天 | 周末把书单整理完了 | 暗黑模式好评 | 推荐配合番茄钟用，效果很好
        今天学会了用标签管理项目 | 这个群好活跃啊 | 哈哈哈哈 | 感谢群主 | 刚入坑，请多指教
        新的主题配色很好看 | 用它记账也挺方便 | 我一般用大纲模式写周报 | {device} 上的体验越来越好了
        导出 {fmt} 很方便，排版没乱 | 给大家推荐一个插件：每日回顾 | 考研笔记全靠它了
        今天的更新日志看了，细节满满 | 已安利给同事 | 每天睡前写三行日记，坚持半年了
        表格功能比以前好用多了 | 刚看完直播回放，学到很多 | 图谱视图好好看
        工作和生活分两个笔记本，清爽
    """),
    "en": _bank(
        """
        Good morning everyone | The new editor feels much faster | Backlinks are a game changer
        Just moved all my notes over from Notion | Dark mode looks great | Night all 👋
        Sharing my weekly review template | Thanks for the quick fix! | Loving the graph view
        The {device} app keeps getting better | Export to {fmt} works nicely now
        Day 30 of daily notes | Just renewed my Pro plan | Tables are so much better now
        """,
        "en",
    ),
}
GRIPES = {
    "zh": _bank("""偶尔会闪退，不过重开就好了 | 昨天同步失败了一次，后来自己好了
        图片多了以后有点卡
        搜索有点慢 | 安卓端耗电有点多 | 希望能出个 Linux 版"""),
    "en": _bank("The Android app crashed once today | Search feels a bit slow lately"),
}
COMPLAINTS = {
    "zh": _bank("""同步失败，刚写的东西全没了😭 | 又崩了！！ | 同步失败 x3，服了
        打不开了，一直白屏
        同步失败提示 500 | 又崩了，这个月第二次了 | 同步失败+1 | 电脑端打不开了 | 手机端一直闪退
        同步失败，急着交报告…… | 崩了崩了"""),
    "en": _bank("""sync broken again | Sync failed, lost my edits 😡 | App keeps crashing on launch
        sync failed on all my devices | Can't open anything, sync broken"""),
}
RISING = {
    "zh": _bank("""Canvas 太好用了，拿来画思维导图正合适 | 用 Canvas 整理了项目流程图
        刚开了 Canvas 内测，体验不错 | Canvas 里拖拽卡片很顺滑 | Canvas + 双链 = 神器
        希望 Canvas 早点上手机端 | 用 Canvas 做了个读书脉络图，分享一下"""),
    "en": _bank("""Canvas is great for mind maps | Just tried Canvas, super smooth
        Canvas + backlinks is amazing | Planning my week on Canvas now"""),
}
REPLIES = {
    "zh": _bank("""同意 | +1 | 确实 | 哈哈哈 | 我也是这么用的 | 学到了 | 感谢分享🙏 | 好主意
        我也遇到过
        赞 | 收藏了 | 有道理 | 厉害了 | 👍 | 是的 | 羡慕"""),
    "en": _bank("Agreed | +1 | Same here | Nice tip! | Thanks for sharing | lol | Good point"),
}
THANKS = {
    "zh": _bank("谢谢！解决了👍 | 好的我试试 | 可以了，感谢 | 原来如此，多谢 | 搞定了，谢谢大佬"),
    "en": _bank("Thanks, that worked! | Got it, thank you | Perfect, thanks 🙏"),
}
ANNOUNCE = {
    "zh": {
        "release": "📢 v3.{n} 更新：{item}。感谢大家的反馈！",
        "live": "📅 本周四 20:00 直播：{talk}，欢迎大家来听",
        "incident": "⚠️ 目前部分用户同步异常，工程师正在紧急处理，请暂时不要重复点击同步。",
        "resolved": "✅ 同步服务已恢复，给大家带来不便非常抱歉。补偿：全体用户 Pro 延长 7 天。",
        "launch": "🎉 新功能 Canvas（白板）开启内测：设置 → 实验功能 → Canvas。欢迎试用并反馈！",
    },
    "en": {
        "release": "📢 v3.{n} is out: {item}. Thanks for the feedback!",
        "live": "📅 Live session Thursday 20:00 (UTC+8): {talk}. Join us!",
        "incident": "⚠️ Some users are seeing sync failures. We're on it, please don't retry.",
        "resolved": "✅ Sync is back. Sorry for the trouble: everyone gets 7 extra Pro days.",
        "launch": "🎉 Canvas (whiteboard) is now in beta: Settings → Labs → Canvas. Try it!",
    },
}
RELEASE_ITEMS = {
    "zh": _bank("""编辑器性能提升 30% | 修复导出 PDF 图片丢失 | 新增日历视图
        支持粘贴 Markdown 表格
        同步速度优化 | 新增 10 个官方模板 | 搜索支持拼音"""),
    "en": _bank("""30% faster editor | fixed missing images in PDF export | new calendar view
        paste Markdown tables | faster sync | 10 new templates | pinyin search"""),
}
LIVE_TALKS = {
    "zh": _bank("用双链搭建个人知识库 | 高效周报的写法 | 从零开始做读书笔记 | 学生党的笔记工作流"),
    "en": _bank("building a second brain with backlinks | weekly reviews that stick"),
}
SPAM = {
    "zh": (
        "🔥 加V：{code} 领取 Pro 永久会员，限时免费 👉 http://t.cn/{code}",
        "💰 兼职日结 300+，详情点击 https://bit.ly/{code}",
    ),
    "en": (
        "🚀 Free crypto airdrop, claim now: https://airdrop-{code}.xyz",
        "Earn $500/day from home 👉 https://t.ly/{code}",
    ),
}
EMOJI = _bank("😂 | 👍 | 🙏 | 🎉 | 😭 | 🤔 | ❤️ | 🔥 | 👀 | 😅 | ✨ | 💪")
REACTION_EMOJI = _bank("👍 | 👍 | 👍 | ❤️ | 🔥 | 😂 | 🎉 | 🙏 | 👀")
#: WeChat has no reactions: people type them.
SHORT_ACKS = _bank("👍 | +1 | 赞 | [强]")

SURNAMES = tuple(
    zip(
        _bank("""王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|林|高|罗|郑|梁|谢|宋|唐|韩|冯|邓
            曹|彭|曾|肖|田|董|潘|袁|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|沈|欧阳"""),
        _bank("""wang|li|zhang|liu|chen|yang|huang|zhao|wu|zhou|xu|sun|ma|zhu|hu|guo|he|lin|gao|luo
            zheng|liang|xie|song|tang|han|feng|deng|cao|peng|zeng|xiao|tian|dong|pan|yuan|jiang
            cai|yu|du|ye|cheng|su|wei|lv|ding|shen|ouyang"""),
        strict=True,
    )
)
GIVEN_NAMES = tuple(
    zip(
        _bank("""伟|芳|娜|秀英|敏|静|丽|强|磊|军|洋|勇|艳|杰|娟|涛|明|超|秀兰|霞|平|刚|桂英|浩然|子涵
            欣怡|梓轩|雨桐|宇航|思远|佳怡|俊杰|晓东|文博|一诺|晨|鑫|婷|雪|琳|博|昊|悦|倩|楠|凯|鹏"""),
        _bank("""wei|fang|na|xiuying|min|jing|li|qiang|lei|jun|yang|yong|yan|jie|juan|tao|ming|chao
            xiulan|xia|ping|gang|guiying|haoran|zihan|xinyi|zixuan|yutong|yuhang|siyuan|jiayi
            junjie|xiaodong|wenbo|yinuo|chen|xin|ting|xue|lin|bo|hao|yue|qian|nan|kai|peng"""),
        strict=True,
    )
)
NICKNAMES = _bank("""小鱼儿|伟哥|阿杰|大白|橘子汽水|一只咸鱼|木子|老猫|小透明|路人甲|奶茶续命
    阿狸|豆豆
    糖糖|胖虎|小太阳|不吃香菜|熬夜冠军|摸鱼达人|柠檬精|阿飞|小满|七七|星星|大橙子|鹿鹿|晴天|北北
    南风|咕咕|阿宝|Lucky""")
HONORIFICS = _bank("老师|哥|姐|总|同学")
ROLES = _bank("产品|设计|运营|研发|学生|律师|医生")
EN_FIRST = _bank("""Emily|Michael|Sarah|David|Jessica|Kevin|Lisa|Jason|Amy|Eric|Tony|Grace|Leo
    Vivian|Daniel|Chloe|Ryan|Anna|Iris|Oscar|Nina""")
EN_LAST = _bank("Chen|Wang|Smith|Lee|Nguyen|Johnson|Kim|Garcia|Brown|Liu")
HANDLE_WORDS = _bank("notes|dev|writer|reads|pm|design|cat|lab|jr")
#: (source, display name, handle, announcement language) of the community's bots.
BOTS = (
    ("telegram", "Qunyun Bot", "qunyun_demo_bot", "zh"),
    ("discord", "Qunyun Announcer", "qunyun-announcer", "en"),
    ("wechat", "群助手小云", "", "zh"),
)


def person_name(rng: random.Random, lang: str) -> tuple[str, str]:
    """A display name and a handle, the way people pick them in the group."""
    r = rng.random()
    surname, surname_py = rng.choice(SURNAMES)
    given, given_py = rng.choice(GIVEN_NAMES)
    first = rng.choice(EN_FIRST)
    if lang == "en":
        last = rng.choice(EN_LAST)
        tail = last.lower() if rng.random() < 0.5 else rng.choice(HANDLE_WORDS)
        handle = f"{first.lower()}{rng.choice(('', '_', '.'))}{tail}"
        return (f"{first} {last}" if r < 0.6 else handle if r < 0.85 else first), handle
    digits = rng.choice(("", "", str(rng.randint(1, 99)), str(rng.randint(1985, 2006))))
    handle = f"{surname_py}{given_py}{digits}"
    if r < 0.35:
        return surname + given, handle  # 张伟
    if r < 0.5:
        return rng.choice(NICKNAMES), handle  # 小鱼儿
    if r < 0.6:
        return surname + rng.choice(HONORIFICS), handle  # 王老师
    if r < 0.8:
        return handle, handle  # zhangwei88
    if r < 0.9:
        return first + surname, handle  # Kevin张
    return f"{surname}{given}-{rng.choice(ROLES)}", handle  # 张伟-产品 (a group name card)


def chat_line(rng: random.Random, lang: str, rising: float) -> str:
    """A root message that is not a question; ``rising`` is the new feature's share."""
    r = rng.random()
    bank = RISING if r < rising else GRIPES if r < rising + 0.04 else CHAT
    text = rng.choice(bank[lang])
    return text + rng.choice(EMOJI) if rng.random() < 0.2 else text


def question(rng: random.Random, lang: str, rising: float) -> tuple[str, str]:
    """A question's topic and text; ``rising`` is the new feature's share."""
    if rng.random() < rising:
        topic = "canvas"
    else:
        topic = rng.choices(_TOPIC_NAMES, cum_weights=_TOPIC_CW)[0]
    return topic, rng.choice(TOPICS[topic][lang + "_q"])


def spam_line(rng: random.Random, lang: str) -> str:
    """One ad with its own link, repeated verbatim by its spammer."""
    code = "".join(rng.choices(string.ascii_lowercase + string.digits, k=6))
    return rng.choice(SPAM[lang]).format(code=code)


def announcement(rng: random.Random, what: str, lang: str, week: int) -> str:
    """A bot's post: ``release``, ``live``, ``incident``, ``resolved`` or ``launch``."""
    items = RELEASE_ITEMS[lang]
    return ANNOUNCE[lang][what].format(
        n=10 + week, item=items[week % len(items)], talk=rng.choice(LIVE_TALKS[lang])
    )


_TOPIC_NAMES = tuple(TOPIC_WEIGHTS)
_TOPIC_CW = list(accumulate(TOPIC_WEIGHTS.values()))
