"""The real python-telegram-bot Application against the fake Bot API server, over HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bot.core.answer import TELEGRAM_LIMIT
from bot.core.corpus import Article, build_corpus
from bot.core.messages import for_reader
from bot.core.serving import Index
from bot.telegram.app import UPDATES_PER_MINUTE
from bot.telegram.state import BotConfig
from tests.fake_bot_api import FakeBotApi
from tests.harness import running_bot

GROUP = -100200300


SHIPPED_QUESTIONS = ["How many troops did North Korea send?", "Who signed the treaty?", "When did the senators vote?"]


def running(api: FakeBotApi, engine: Index, config: BotConfig | None = None) -> Any:
    """Run the bot against the fake server for the length of a block."""
    return running_bot(api, engine, config)


class TagChecker(HTMLParser):
    """Collects the tags of a Telegram HTML text, failing on unbalanced or unsupported ones."""

    ALLOWED = frozenset({"b", "i", "a", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.ALLOWED, tag
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text += data


def visible_text(html_text: str) -> str:
    """Return what Telegram shows of an HTML text, checking its tags are balanced and supported."""
    checker = TagChecker()
    checker.feed(html_text)
    checker.close()
    assert checker.open == []
    return checker.text


def buttons(sent: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["text"], b.get("callback_data", "")) for row in sent["reply_markup"]["inline_keyboard"] for b in row]


async def test_start_introduces_the_article_with_example_buttons(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("/start")
        [sent] = await api.wait_sent(1)
    assert sent["parse_mode"] == "HTML"
    text = visible_text(sent["text"])
    assert "Russian Senators Ratify Defense Treaty With North Korea" in text
    assert "The Moscow Times, 2024-11-06" in text
    # The shipped file's own `questions:` line, as written there.
    assert [label for label, _ in buttons(sent)] == SHIPPED_QUESTIONS
    assert all(0 < len(data.encode()) <= 64 for _, data in buttons(sent))  # opaque ids; the objects stay here
    # The menu for everyone, and in Russian for users whose app is in Russian.
    commands, russian = api.sent("setMyCommands")
    assert [c["command"] for c in commands["commands"]] == ["start", "help", "ask", "source"]
    assert "language_code" not in commands
    assert russian["language_code"] == "ru"
    assert [c["command"] for c in russian["commands"]] == ["start", "help", "ask", "source"]
    assert russian["commands"][0]["description"] == "Что умеет этот бот"


async def test_start_button_asks_its_question(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("/start")
        [intro] = await api.wait_sent(1)
        api.press(buttons(intro)[0][1], api.as_message(intro, 5000))
        sent = await api.wait_sent(2)
        await api.wait_sent(1, "answerCallbackQuery")
    answer = visible_text(sent[1]["text"])
    assert answer.startswith(f"❓ {SHIPPED_QUESTIONS[0]}")
    assert "10,000 troops" in answer


async def test_start_deep_link_asks_the_payload(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("/start how-many-troops")
        [sent] = await api.wait_sent(1)
    assert "10,000 troops" in visible_text(sent["text"])


async def test_question_gets_cited_passages_with_buttons(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("how many troops")
        [sent] = await api.wait_sent(1)
    assert sent["parse_mode"] == "HTML"
    assert "10,000 <b>troops</b> to Russia." in sent["text"]
    text = visible_text(sent["text"])
    assert text.startswith(
        "❓ how many troops\n\nRussian Senators Ratify Defense Treaty With North Korea — The Moscow Times"
    )
    assert "1. “Last month, Washington and its allies said North Korea deployed around 10,000 troops" in text
    assert "¶7, sentence 2" in text
    labels = [label for label, _ in buttons(sent)]
    assert labels[0] == "More context"
    for _, data in buttons(sent):
        assert len(data.encode()) <= 64


async def test_help_and_source(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("/help")
        api.say("/source")
        sent = await api.wait_sent(2)
    texts = sorted(visible_text(s["text"]) for s in sent)
    help_text = next(t for t in texts if t.startswith("How to ask"))
    source = next(t for t in texts if t.startswith("Corpus version"))
    assert "¶7, sentence 2" in help_text
    assert "/ask QUESTION" in help_text
    assert "The Moscow Times, 2024-11-06" in source
    assert source.startswith(f"Corpus version {engine.corpus.version} · 1 article · 10 passages")
    assert "Russian Senators Ratify Defense Treaty With North Korea" in source


async def test_nothing_found_is_friendly(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("What is the capital of France?")
        [sent] = await api.wait_sent(1)
    text = visible_text(sent["text"])
    assert "The article doesn't cover that" in text
    assert "Try: " + " / ".join(SHIPPED_QUESTIONS[:2]) in text
    assert "reply_markup" not in sent


async def test_a_word_two_edits_off_finds_the_word_meant(api: FakeBotApi, engine: Index) -> None:
    # "kurks" is no corpus word and too far for a silent correction; its nearest corpus word in
    # meaning (the shipped word vectors read it by its pieces) is "Kursk".
    async with running(api, engine):
        api.say("kurks")
        [sent] = await api.wait_sent(1)
    assert "Kursk region" in visible_text(sent["text"])


async def test_corrected_typo_is_named(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("how many trops")
        [sent] = await api.wait_sent(1)
    text = visible_text(sent["text"])
    assert "10,000 troops" in text
    assert "(Read “trops” as “troops”.)" in text


async def test_groups_answer_mentions_replies_and_ask_only(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("hello everyone, how many troops were there?", chat_id=GROUP, kind="supergroup")
        api.say("/ask who signed the treaty", chat_id=GROUP, kind="supergroup")
        mention = "@article_test_bot how many troops"
        api.say(mention, chat_id=GROUP, kind="supergroup", entities=[{"type": "mention", "offset": 0, "length": 17}])
        first = await api.wait_sent(2)
        bot_message = api.as_message(first[0], 9000)
        api.say("and when did they vote?", chat_id=GROUP, kind="supergroup", reply_to=bot_message)
        someone_else = api.message("lol", chat_id=GROUP, kind="supergroup", user_id=5)
        api.say("what about kursk?", chat_id=GROUP, kind="supergroup", reply_to=someone_else)
        sent = await api.wait_sent(3)
        api.say("/help", chat_id=GROUP, kind="supergroup")
        await api.wait_sent(4)
    questions = sorted(visible_text(s["text"]).split("\n")[0] for s in sent[:3])
    assert questions == ["❓ and when did they vote?", "❓ how many troops", "❓ who signed the treaty"]
    assert all(int(s["chat_id"]) == GROUP for s in sent)
    assert len(api.sent()) == 4  # the chatter and the reply to someone else got nothing


async def test_inline_query_offers_cited_passages(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        query_id = api.inline("how many troops")
        [answer] = await api.wait_sent(1, "answerInlineQuery")
    assert answer["inline_query_id"] == query_id
    results = answer["results"]
    assert 1 <= len(results) <= 5
    first = results[0]
    assert first["type"] == "article"
    assert first["title"].startswith("Last month, Washington")
    assert "¶7, sentence 2" in first["description"]
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert "10,000 <b>troops</b>" in content["message_text"]
    assert "¶7, sentence 2" in visible_text(content["message_text"])


async def test_more_context_and_more_results(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("north korea")
        [answer] = await api.wait_sent(1)
        data = dict(buttons(answer))
        message = api.as_message(answer, 7000)
        api.press(data["More context"], message)
        await api.wait_sent(2)
        api.press(data["More results"], message)
        sent = await api.wait_sent(3)
        await api.wait_sent(2, "answerCallbackQuery")
    first_hit = engine.search("north korea", 3).hits[0].passage
    context = visible_text(sent[1]["text"])
    assert f"<b>{first_hit.text}</b>" in sent[1]["text"].replace("&#x27;", "'").replace("&quot;", '"')
    assert f"¶{first_hit.paragraph}" in context
    more = visible_text(sent[2]["text"])
    assert more.startswith("❓ north korea")
    assert "\n4. “" in more
    assert "\n1. “" not in more


async def test_html_in_questions_arrives_intact(api: FakeBotApi, engine: Index) -> None:
    question = '<b>troops</b> & "x" <a href=x>'
    async with running(api, engine):
        api.say(question)
        api.say("</i><script>")
        sent = await api.wait_sent(2)
    texts = [visible_text(s["text"]) for s in sent]
    assert any(text.startswith(f"❓ {question}") for text in texts)
    assert any(text.startswith("❓ </i><script>") for text in texts)


@pytest.mark.parametrize("language_code", [None, "ru"])
@pytest.mark.parametrize("question", ["troops marched", "войска маршировали по дороге"])
async def test_replies_never_exceed_4096_characters(api: FakeBotApi, question: str, language_code: str | None) -> None:
    sentence = "Troops " + " ".join(["marched along the long winding road"] * 40) + "."
    article = Article(
        "long", "Long <Article> & Co", "2024-01-01", "S", None, tuple(f"{sentence} {sentence}" for _ in range(4))
    )
    engine = Index.build(build_corpus([article]))
    async with running(api, engine, BotConfig(top_k=5)):
        api.say(question, language_code=language_code)
        [sent] = await api.wait_sent(1)
    assert len(sent["text"]) <= TELEGRAM_LIMIT
    text = visible_text(sent["text"])
    assert "Long <Article> & Co" in text
    shown = text.count("“Troops marched")
    assert 1 <= shown < 5
    assert text.count("”") >= shown  # every passage shown whole


@pytest.mark.parametrize(
    "extra",
    [
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"location": {"latitude": 55.75, "longitude": 37.62}},
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
    ],
)
async def test_non_text_messages_get_a_hint(api: FakeBotApi, engine: Index, extra: dict[str, Any]) -> None:
    async with running(api, engine):
        api.say(None, extra=extra)
        api.say(None, extra=extra, chat_id=GROUP, kind="group")
        api.say("how many troops")
        sent = await api.wait_sent(2)
    texts = sorted(visible_text(s["text"]) for s in sent)
    assert texts[0] == "I can only read text — send me your question as a message."
    assert "10,000 troops" in texts[1]


async def test_edited_messages_and_channel_posts_are_ignored(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.push(edited_message={**api.message("how many troops"), "edit_date": 1})
        api.push(channel_post=api.message("how many troops", chat_id=-1009, kind="channel"))
        api.say("who signed the treaty")
        [sent] = await api.wait_sent(1)
    assert visible_text(sent["text"]).startswith("❓ who signed the treaty")
    assert len(api.sent()) == 1


async def test_per_user_limit_is_polite(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine, BotConfig(questions_per_minute=2)):
        for n in range(3):
            api.say(f"how many troops {n}", user_id=77)
        api.say("how many troops, says someone else", user_id=78)
        sent = await api.wait_sent(4)
    texts = [visible_text(s["text"]) for s in sent]
    assert sum("asking faster than I can keep up" in t for t in texts) == 1
    assert any(t.startswith("❓ how many troops, says someone else") for t in texts)


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("sendMessage", "429"),
        ("sendMessage", "502"),
        ("sendMessage", "drop"),
        ("sendMessage", "slow"),
        ("getUpdates", "502"),
        ("getUpdates", "drop"),
        ("getUpdates", "slow"),
    ],
)
async def test_faults_lose_and_duplicate_nothing(api: FakeBotApi, engine: Index, method: str, kind: str) -> None:
    questions = ["how many troops", "who signed the treaty", "when did the senators vote", "where is kursk"]
    async with running(api, engine):
        api.fail_next(method, kind, count=2, delay=0.5)
        for question in questions:
            api.say(question)
        await api.wait_sent(len(questions), within=20)
        await api.wait_for(lambda: not api.faults[method])
    firsts = sorted(visible_text(s["text"]).split("\n")[0] for s in api.sent())
    assert firsts == sorted(f"❓ {q}" for q in questions)


async def test_errors_are_logged_and_the_user_told(
    api: FakeBotApi, engine: Index, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(api, engine):
        api.fail_next("sendMessage", "400")
        update_id = api.push(message=api.message("how many troops"))
        sent = await api.wait_sent(1)
    assert visible_text(sent[0]["text"]) == "Sorry, something went wrong. Please try again."
    record = next(r for r in caplog.records if r.name == "bot" and r.levelno == logging.ERROR)
    assert record.getMessage() == f"error while handling update {update_id}"
    assert record.exc_info is not None


async def test_files_go_out_as_multipart(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine) as application:
        await application.bot.send_document(chat_id=1, document=b"corpus bytes", filename="a.txt", caption="x")
    [sent] = api.sent("sendDocument")
    assert sent["document"] == b"corpus bytes"
    assert sent["caption"] == "x"


@pytest.mark.parametrize("language_code", [None, "ru"])
async def test_more_context_of_a_long_paragraph_stays_whole_and_short(
    api: FakeBotApi, language_code: str | None
) -> None:
    filler = " ".join(["The <convoy> & its escorts rolled on through the night."] * 60)
    article = Article("long", "Long", "2024-01-01", "S", None, (f"{filler} Troops reached the border. {filler}",))
    engine = Index.build(build_corpus([article]))
    async with running(api, engine):
        api.say("troops reached the border", language_code=language_code)
        [answer] = await api.wait_sent(1)
        label = for_reader(language_code).gettext("More context")
        api.press(dict(buttons(answer))[label], api.as_message(answer, 7002), language_code=language_code)
        sent = await api.wait_sent(2)
    context = sent[1]["text"]
    assert len(context) <= TELEGRAM_LIMIT
    assert "<b>Troops reached the border.</b>" in context
    assert "…" in visible_text(context)


@pytest.mark.parametrize("language_code", [None, "ru"])
async def test_inline_results_fit_a_message(api: FakeBotApi, language_code: str | None) -> None:
    sentence = "Troops & " + " ".join(["marched along the long <winding> road"] * 150) + "."
    engine = Index.build(build_corpus([Article("long", "Long", "2024-01-01", "S", None, (sentence,))]))
    async with running(api, engine):
        api.inline("troops marched", language_code=language_code)
        [answer] = await api.wait_sent(1, "answerInlineQuery")
    message = answer["results"][0]["input_message_content"]["message_text"]
    assert len(message) <= TELEGRAM_LIMIT
    assert visible_text(message).startswith("“Troops & marched")


@pytest.mark.parametrize("data", ["", "ctx:abc:1", "adm:1234:yes", "x" * 64])
async def test_forged_or_unknown_buttons_no_longer_work(api: FakeBotApi, engine: Index, data: str) -> None:
    async with running(api, engine):
        api.say("how many troops")
        [answer] = await api.wait_sent(1)
        api.press(data, api.as_message(answer, 7100), user_id=5)
        [callback] = await api.wait_sent(1, "answerCallbackQuery")
    assert callback["text"] == "This button no longer works."
    assert len(api.sent()) == 1


async def test_buttons_of_a_previous_run_no_longer_work(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("north korea")
        [answer] = await api.wait_sent(1)
    async with running(api, engine):  # a restart: the button data was held by the old process
        api.press(dict(buttons(answer))["More context"], api.as_message(answer, 7101))
        [callback] = await api.wait_sent(1, "answerCallbackQuery")
    assert callback["text"] == "This button no longer works."
    assert len(api.sent()) == 1


async def test_every_way_of_asking_is_limited_and_counted(api: FakeBotApi, engine: Index, tmp_path: Path) -> None:
    async with running(api, engine, BotConfig(questions_per_minute=3, data_dir=tmp_path)) as application:
        api.say("/start", user_id=77, chat_id=77)
        [intro] = await api.wait_sent(1)
        api.say("north korea", user_id=77, chat_id=77)  # 1
        answer = (await api.wait_sent(2))[1]
        api.press(buttons(intro)[0][1], api.as_message(intro, 7200), user_id=77)  # 2
        await api.wait_sent(3)
        api.press(dict(buttons(answer))["More results"], api.as_message(answer, 7201), user_id=77)  # 3
        await api.wait_sent(4)
        api.press(buttons(intro)[1][1], api.as_message(intro, 7200), user_id=77)  # over the limit
        api.inline("how many troops", user_id=77)  # over the limit too
        sent = await api.wait_sent(5)
        [inline] = await api.wait_sent(1, "answerInlineQuery")
        application.bot_data.stats.flush()
        summary = application.bot_data.stats.summary()
    assert "asking faster than I can keep up" in visible_text(sent[4]["text"])
    assert inline["results"] == []
    assert summary.asked == 3  # the text question, the example button and More results


async def test_more_results_is_used_once(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("north korea")
        [answer] = await api.wait_sent(1)
        api.press(dict(buttons(answer))["More results"], api.as_message(answer, 7300))
        await api.wait_sent(2)
        [edit] = await api.wait_sent(1, "editMessageReplyMarkup")
    assert [label for label, _ in buttons(edit)] == ["More context"]


async def test_a_reply_that_times_out_is_neither_retried_nor_apologised_for(
    api: FakeBotApi, engine: Index, caplog: pytest.LogCaptureFixture
) -> None:
    from telegram.error import TimedOut

    # The Bot API takes longer to answer the reply than the bot waits: the reply is delivered all the same
    # (Telegram carried it out), so a retry would send it twice and an apology would be wrong.
    api.fail_next("sendMessage", "slow", delay=1.5)
    async with running_bot(api, engine, read_timeout=0.3):
        api.say("how many troops")
        await api.wait_for(lambda: len(api.sent()) == 1)  # the slow reply, delivered after the bot gave up on it
        api.say("who signed the treaty")  # the chat goes on: handled after the timed-out update ended
        await api.wait_for(lambda: len(api.sent()) == 2)
    timed_out = [r for r in caplog.records if r.exc_info is not None and isinstance(r.exc_info[1], TimedOut)]
    assert len(timed_out) == 1  # the bot did give up waiting for the first reply
    arrived = [call.params for call in api.arrived if call.method == "sendMessage"]
    assert len(arrived) == 2  # one request per reply: the timed-out one was not sent again
    texts = [visible_text(sent["text"]) for sent in api.sent()]
    assert "10,000 troops" in texts[0]
    assert "Putin signed" in texts[1]
    assert not any("Sorry" in text for text in texts)


async def test_an_error_gets_an_apology(api: FakeBotApi, engine: Index) -> None:
    from telegram import Update

    async with running(api, engine) as application:
        update = Update.de_json({"update_id": 99, "message": api.message("how many troops")}, application.bot)
        await application.process_error(update, RuntimeError("boom"))
        [sent] = await api.wait_sent(1)
    assert visible_text(sent["text"]) == "Sorry, something went wrong. Please try again."


async def test_an_unreachable_bot_api_is_logged_once_per_outage(caplog: pytest.LogCaptureFixture) -> None:
    from telegram.error import NetworkError

    from bot.telegram.transport import AiohttpRequest

    api = FakeBotApi()
    await api.start()
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        for _ in range(3):
            api.fail_next("getMe", "drop")
            with pytest.raises(NetworkError):
                await request.do_request(f"{api.base_url}{api.token}/getMe", "POST")
        await request.do_request(f"{api.base_url}{api.token}/getMe", "POST")
    finally:
        await request.shutdown()
        await api.stop()
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.network"]
    assert len([m for m in messages if "unreachable" in m]) == 1
    assert len([m for m in messages if "reachable again" in m]) == 1


async def test_rough_edges_of_a_real_chat(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        mention = "hey @article_test_bot, how many\u202e troops\x00?"
        api.say(mention, chat_id=GROUP, kind="supergroup", entities=[{"type": "mention", "offset": 4, "length": 17}])
        first = (await api.wait_sent(1))[0]
        api.say("thanks!", chat_id=GROUP, kind="supergroup", reply_to=api.as_message(first, 9500))
        api.say("/foo", user_id=3, chat_id=3)
        api.say(
            None,
            user_id=4,
            chat_id=4,
            extra={
                "caption": "how many troops",
                "photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
            },
        )
        api.say("сколько войск отправила Северная Корея?", user_id=5, chat_id=5)
        api.inline("", user_id=6)
        sent = await api.wait_sent(4)
        [inline] = await api.wait_sent(1, "answerInlineQuery")
    by_chat = {int(s["chat_id"]): visible_text(s["text"]) if s.get("parse_mode") == "HTML" else s["text"] for s in sent}
    assert by_chat[GROUP].startswith("❓ hey how many troops?\n")  # no stray comma, no NUL, no RTL override
    assert len([s for s in sent if int(s["chat_id"]) == GROUP]) == 1  # "thanks!" got nothing
    assert by_chat[3] == "I don't know /foo — /help lists what I can do."
    assert "10,000 troops" in by_chat[4]
    # Asked in Russian: the article's own English passages nearest in meaning, said so in Russian.
    assert "Статья на английском" in by_chat[5]
    assert "10,000 troops" in by_chat[5]
    [how] = inline["results"]
    assert how["title"] == "Ask a question about the article"


PHOTO = {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}


async def test_a_reader_whose_telegram_is_in_russian_gets_the_bots_words_in_russian(
    api: FakeBotApi, engine: Index
) -> None:
    async with running(api, engine, BotConfig(questions_per_minute=2)):
        api.say("/start", user_id=11, chat_id=11, language_code="ru")
        api.say("/help", user_id=12, chat_id=12, language_code="ru-RU")
        api.say("What is the capital of France?", user_id=13, chat_id=13, language_code="ru")
        api.say("/ask", user_id=14, chat_id=14, language_code="ru")
        api.say("/foo", user_id=15, chat_id=15, language_code="ru")
        api.say(None, user_id=16, chat_id=16, language_code="ru", extra=PHOTO)
        api.say("/help", user_id=18, chat_id=18, language_code="de")  # no catalogue: English
        for _ in range(3):
            api.say("how many troops", user_id=17, chat_id=17, language_code="ru")
        sent = await api.wait_sent(10)
    by_chat: dict[int, list[dict[str, Any]]] = {}
    for message in sent:
        by_chat.setdefault(int(message["chat_id"]), []).append(message)
    [start] = by_chat[11]
    text = visible_text(start["text"])
    assert text.startswith("Я отвечаю на вопросы о статье Russian Senators Ratify Defense Treaty With North Korea")
    assert text.endswith("Спрашивайте что угодно или попробуйте:")
    assert [label for label, _ in buttons(start)] == SHIPPED_QUESTIONS  # the article's own questions
    help_text = visible_text(by_chat[12][0]["text"])
    assert help_text.startswith("Как спрашивать\nВ личном чате просто напишите вопрос.")
    assert "¶7, предложение 2 — это второе предложение седьмого абзаца" in help_text
    refused = visible_text(by_chat[13][0]["text"])
    assert "В статье об этом нет" in refused
    assert "Попробуйте (вопросы на языке статьи): " + " / ".join(SHIPPED_QUESTIONS[:2]) in refused
    assert by_chat[14][0]["text"] == "Как пользоваться: /ask ВОПРОС — например, /ask сколько войск"
    assert by_chat[15][0]["text"] == "Я не знаю команды /foo — /help покажет, что я умею."
    assert by_chat[16][0]["text"] == "Я понимаю только текст — пришлите вопрос сообщением."
    assert visible_text(by_chat[18][0]["text"]).startswith("How to ask")
    answers = [visible_text(m["text"]) for m in by_chat[17]]
    assert sum("Вы спрашиваете быстрее, чем я успеваю отвечать" in text for text in answers) == 1
    answer = next(m for m in by_chat[17] if "10,000 <b>troops</b>" in m["text"])  # the article's own words
    assert "¶7, предложение 2" in visible_text(answer["text"])
    assert buttons(answer)[0][0] == "Больше контекста"


async def test_start_with_several_articles_introduces_the_corpus(api: FakeBotApi, engine: Index) -> None:
    other = Article("x", "Convoy Reaches Border", "2024-11-08", "Example", None, ("A convoy reached the border.",))
    shipped = engine.corpus.articles[0]
    several = Index.build(build_corpus([shipped, other]))
    async with running(api, several):
        api.say("/start")
        [sent] = await api.wait_sent(1)
    text = visible_text(sent["text"])
    assert text.startswith("I answer questions about 2 articles")
    assert text.index("Convoy Reaches Border") < text.index("Russian Senators")  # newest first
    assert [label for label, _ in buttons(sent)] == list(several.example_questions())


async def _idle(api: FakeBotApi, application: Any) -> None:
    """Wait until every update pushed so far has been fetched and handled."""
    await api.wait_for(api.all_fetched, within=30)
    await api.wait_for(
        lambda: application.update_queue.empty() and application.update_processor.current_concurrent_updates == 0,
        within=30,
    )


async def test_a_flooding_group_does_not_hold_up_other_chats(api: FakeBotApi, engine: Index) -> None:
    # 150 questions in one group: its replies wait on Telegram's 20-a-minute group limit. Before,
    # each waiting reply held one of 64 shared slots and a private question waited over a minute.
    async with running(api, engine, BotConfig(questions_per_minute=1000)) as application:
        for n in range(150):
            api.say(f"/ask how many troops {n}", chat_id=GROUP, kind="supergroup", user_id=5)
        await api.wait_sent(20, within=30)  # the group's first minute of replies
        api.say("who signed the treaty", user_id=6, chat_id=6)
        await api.wait_for(lambda: any(int(s["chat_id"]) == 6 for s in api.sent()), within=30)
        processor = application.update_processor
        assert processor.dropped >= 150 - 20 - 2 - 20  # past what the group may hold, dropped
    private = [s for s in api.sent() if int(s["chat_id"]) == 6]
    assert visible_text(private[0]["text"]).startswith("❓ who signed the treaty")


async def test_every_update_counts_against_a_per_user_limit(api: FakeBotApi, engine: Index) -> None:
    from bot.telegram.limits import UserLimits

    async with running(api, engine) as application:
        # Time stands still for the limiter: however long the updates take, none of the minute drains away.
        application.bot_data.update_limits = UserLimits(UPDATES_PER_MINUTE, clock=lambda: 1000.0)
        for n in range(UPDATES_PER_MINUTE + 10):  # spread over groups: no chat's own bound is reached
            api.say("/help", user_id=77, chat_id=-1000 - n % 5, kind="group")
        api.say("/help", user_id=78, chat_id=78)
        await _idle(api, application)
    replies = [s for s in api.sent() if int(s["chat_id"]) <= -1000]
    assert len(replies) == UPDATES_PER_MINUTE  # the rest of the minute: silence, not 10 more refusals
    assert [s for s in api.sent() if int(s["chat_id"]) == 78]


async def test_a_user_over_the_question_limit_is_told_once(api: FakeBotApi, engine: Index) -> None:
    from bot.telegram.limits import UserLimits

    async with running(api, engine, BotConfig(questions_per_minute=2)) as application:
        application.bot_data.limits = UserLimits(2, clock=lambda: 1000.0)
        for n in range(8):
            api.say(f"how many troops {n}", user_id=77, chat_id=77)
        await _idle(api, application)
    texts = [visible_text(s["text"]) for s in api.sent()]
    assert len(texts) == 3
    assert sum("asking faster than I can keep up" in t for t in texts) == 1


async def test_a_bare_mention_in_a_group_gets_the_usage_line(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say(
            "@article_test_bot",
            chat_id=GROUP,
            kind="supergroup",
            entities=[{"type": "mention", "offset": 0, "length": 17}],
        )
        [sent] = await api.wait_sent(1)
    assert visible_text(sent["text"]) == "Mention me with your question, e.g. “@article_test_bot how many troops”."


async def test_summaries_and_follow_ups_are_read_against_each_chat(api: FakeBotApi, engine: Index) -> None:
    lead = engine.corpus.passages[engine.answerer.article_numbers(engine.corpus.articles[0].id)[1]].text
    async with running(api, engine):
        api.say("summarize the article")
        [summary] = await api.wait_sent(1)
        api.say("tell me more")
        [more] = (await api.wait_sent(2))[1:]
        # another chat's "tell me more" is not read against this chat's turn: it gets the summary
        mention = "@article_test_bot tell me more"
        entities = [{"type": "mention", "offset": 0, "length": 17}]
        api.say(mention, chat_id=GROUP, kind="supergroup", entities=entities)
        [group] = (await api.wait_sent(3))[2:]
    assert "The article in brief:" in visible_text(summary["text"])
    assert lead[:40] in visible_text(summary["text"])
    assert "What the article says next:" in visible_text(more["text"])
    assert "The article in brief:" in visible_text(group["text"])
    assert int(group["chat_id"]) == GROUP


async def test_a_follow_up_in_a_group_reply_is_read_against_that_chats_question(api: FakeBotApi, engine: Index) -> None:
    async with running(api, engine):
        api.say("/ask who signed the treaty", chat_id=GROUP, kind="supergroup")
        [first] = await api.wait_sent(1)
        api.say("and when?", chat_id=GROUP, kind="supergroup", reply_to=api.as_message(first, 9001))
        [follow] = (await api.wait_sent(2))[1:]
        api.say("and when?")  # a private chat with no question before: asked as it stands
        [alone] = (await api.wait_sent(3))[2:]
    text = visible_text(follow["text"])
    assert text.startswith("❓ and when?")
    assert "June" in text
    assert "The article doesn't cover that" in visible_text(alone["text"])  # the group's turn is not this chat's


async def test_each_forum_topic_keeps_its_own_previous_turn(api: FakeBotApi, engine: Index) -> None:
    # The turn used to be kept per chat: "and when?" in topic 22 was read against topic 11's question.
    async with running(api, engine):
        api.say("/ask who signed the treaty", chat_id=GROUP, topic=11)
        [first] = await api.wait_sent(1)
        api.say("/ask and when?", chat_id=GROUP, topic=22)
        [other] = (await api.wait_sent(2))[1:]
        api.say("/ask and when?", chat_id=GROUP, topic=11)
        [same] = (await api.wait_sent(3))[2:]
        api.say("/ask and when?", chat_id=GROUP, kind="supergroup")  # the forum's General topic
        [general] = (await api.wait_sent(4))[3:]
    assert [int(sent["message_thread_id"]) for sent in (first, other, same)] == [11, 22, 11]
    assert "message_thread_id" not in general
    assert "The article doesn't cover that" in visible_text(other["text"])
    assert "June" in visible_text(same["text"])
    assert "The article doesn't cover that" in visible_text(general["text"])


async def test_a_follow_up_long_after_the_question_is_a_question_of_its_own(api: FakeBotApi, engine: Index) -> None:
    from bot.telegram.memory import EXPIRES_AFTER, ChatMemory

    now = [0.0]
    async with running(api, engine) as application:
        application.bot_data.memory = ChatMemory(clock=lambda: now[0])
        api.say("who signed the treaty")
        await api.wait_sent(1)
        now[0] += EXPIRES_AFTER - 1
        api.say("and when?")
        [soon] = (await api.wait_sent(2))[1:]
        now[0] += EXPIRES_AFTER + 1  # the turn "and when?" made expired too
        api.say("and when?")
        [late] = (await api.wait_sent(3))[2:]
        chat_data = dict(application.chat_data)
    assert "June" in visible_text(soon["text"])
    assert "The article doesn't cover that" in visible_text(late["text"])
    assert not chat_data  # the turns are not in chat_data, which python-telegram-bot keeps for ever


def test_chat_memory_is_bounded_and_drops_expired_turns() -> None:
    from bot.core.answering.conversation import Turn
    from bot.telegram.memory import ChatMemory

    now = [0.0]
    memory = ChatMemory(most=3, expires_after=60.0, clock=lambda: now[0])
    for chat in range(5):
        memory.put((chat, None), Turn(f"question {chat}", None))
    assert len(memory) == 3
    assert memory.get((0, None)) is None  # the least recently used went first
    assert memory.get((4, None)) == Turn("question 4", None)
    now[0] = 59.0
    memory.put((4, 7), Turn("in a topic", None))
    assert memory.get((4, None)) is not None
    assert memory.get((4, 7)) == Turn("in a topic", None)
    now[0] = 61.0
    assert memory.get((4, None)) is None  # made at 0: expired
    memory.put((9, None), Turn("new", None))  # saving drops the expired turns
    assert len(memory) == 2
