"""A fake Telegram Bot API server on 127.0.0.1 for driving the real python-telegram-bot stack.

It implements the methods the bot uses, queues updates for getUpdates (long polling), records
every request with its parameters decoded, and can inject faults: HTTP 429 with retry_after, 502,
a dropped connection, a slow response.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly-abcdefghijkl"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Article Bot", "username": "article_test_bot"}
JSON_FIELDS = {"reply_markup", "results", "commands", "scope", "entities", "reply_parameters", "link_preview_options"}
JSON_FIELDS |= {"allowed_updates", "button"}


class _Plain(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def user_of(user_id: int, language_code: str | None = None) -> dict[str, Any]:
    """Return a user object as Telegram sends it (language_code: their app's language, when they share it)."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def plain_text(html_text: str) -> str:
    """Return the text Telegram keeps of an HTML message (its tags become entities)."""
    parser = _Plain()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.parts)


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeBotApi:
    """The fake server; `base_url` is what BOT_TELEGRAM_API_URL is set to."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    arrived: list[Call] = field(default_factory=list)  # every request as it arrives, faults included
    faults: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _released: bool = False
    port: int = 0

    @property
    def base_url(self) -> str:
        """The Bot API base URL the bot is pointed at."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        app.router.add_route("GET", "/_calls", self._count_calls)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening (a long poll under way returns at once)."""
        self.release_polls()
        if self._runner is not None:
            await self._runner.cleanup()

    def release_polls(self, released: bool = True) -> None:
        """End any long poll now and answer later ones at once (a bot is stopping); False undoes it."""
        self._released = released
        if released:
            self._arrived.set()

    # --- what the tests feed in ---------------------------------------------------------------

    def fail_next(self, method: str, kind: str, *, count: int = 1, delay: float = 0.0) -> None:
        """Make the next `count` calls of a method fail: 400, 429, 502, drop, slow (by delay), echo, garbage."""
        self.faults.setdefault(method, []).extend([(kind, delay)] * count)

    def chat(self, chat_id: int, kind: str = "private", *, forum: bool = False) -> dict[str, Any]:
        """Return (and remember) a chat object; `forum`: a supergroup with topics."""
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind != "private":
            chat["title"] = "Test group"
        if forum:
            chat["is_forum"] = True
        self._chats[chat_id] = chat
        return chat

    def message(
        self,
        text: str | None,
        *,
        chat_id: int = 1,
        user_id: int = 1,
        kind: str = "private",
        reply_to: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        topic: int | None = None,
        extra: dict[str, Any] | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Return a message object as a user would send it; `topic`: in that forum topic (a supergroup's);
        `language_code`: the language of the user's Telegram app."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, "supergroup" if topic is not None else kind, forum=topic is not None),
            "from": user_of(user_id, language_code),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if entities is not None:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if topic is not None:
            message["message_thread_id"] = topic
            message["is_topic_message"] = True
        message.update(extra or {})
        return message

    def push(self, **update: Any) -> int:
        """Queue an update (message=..., callback_query=..., inline_query=...); return its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._arrived.set()
        return update_id

    def say(self, text: str | None, **kwargs: Any) -> dict[str, Any]:
        """Queue a message from a user and return it."""
        message = self.message(text, **kwargs)
        self.push(message=message)
        return message

    def press(self, data: str, message: dict[str, Any], *, user_id: int = 1, language_code: str | None = None) -> str:
        """Queue a button press on a message the bot sent; return the callback query id."""
        query_id = f"cb{next(self._message_ids)}"
        user = user_of(user_id, language_code)
        self.push(
            callback_query={"id": query_id, "from": user, "chat_instance": "ci", "data": data, "message": message}
        )
        return query_id

    def inline(self, query: str, *, user_id: int = 1, language_code: str | None = None) -> str:
        """Queue an inline query; return its id."""
        query_id = f"iq{next(self._message_ids)}"
        user = user_of(user_id, language_code)
        self.push(inline_query={"id": query_id, "from": user, "query": query, "offset": ""})
        return query_id

    # --- what the tests read back ---------------------------------------------------------------

    def all_fetched(self) -> bool:
        """Whether the bot has fetched every queued update (and confirmed it with its next offset)."""
        return not self._updates

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Return the parameters of every call of a method, in order."""
        return [call.params for call in self.calls if call.method == method]

    async def wait_for(self, check: Callable[[], bool], *, within: float = 10.0) -> None:
        """Wait until check() holds, or fail after `within` seconds."""
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)

    async def wait_sent(self, count: int, method: str = "sendMessage", *, within: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least `count` calls of a method were made; return them all."""
        await self.wait_for(lambda: len(self.sent(method)) >= count, within=within)
        return self.sent(method)

    def as_message(self, sent: dict[str, Any], message_id: int) -> dict[str, Any]:
        """Return the message object the server made of a sendMessage call."""
        chat_id = int(sent["chat_id"])
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private"}),
            "from": BOT_USER,
            "text": plain_text(sent.get("text", "")) if sent.get("parse_mode") == "HTML" else sent.get("text", ""),
        }
        if "reply_markup" in sent:
            message["reply_markup"] = sent["reply_markup"]
        if "message_thread_id" in sent:  # sent to a forum topic
            message["message_thread_id"] = int(sent["message_thread_id"])
            message["is_topic_message"] = True
        return message

    # --- the server -------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = value.file.read()
                elif key in JSON_FIELDS and isinstance(value, str):
                    params[key] = json.loads(value)
                else:
                    params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        if method != "getUpdates":
            self.arrived.append(Call(method, params))
        pending = self.faults.get(method)
        if pending:
            kind, delay = pending.pop(0)
            if kind == "429":
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1},
                    },
                    status=429,
                )
            if kind == "400":
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: injected"}, status=400
                )
            if kind == "502":
                return web.Response(status=502, text="Bad Gateway")
            if kind == "drop":
                assert request.transport is not None
                request.transport.abort()
                return web.Response(status=500)
            if kind == "slow":
                await asyncio.sleep(delay)
            if kind == "echo":  # a proxy's HTML error page that quotes the path, token and all
                return web.Response(status=500, content_type="text/html", text=f"<h1>Error at {request.path}</h1>")
            if kind == "garbage":  # something that is not HTTP at all
                assert request.transport is not None
                request.transport.write(b"SSH-2.0-OpenSSH " + request.path.encode() + b"\r\n")
                request.transport.close()
                return web.Response(status=500)
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        result = await self._result(method, params)
        return web.json_response({"ok": True, "result": result})

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "sendMessage":
            return self.as_message(params, next(self._message_ids))
        if method == "sendDocument":
            message = self.as_message(params, next(self._message_ids))
            message["document"] = {"file_id": "sent", "file_unique_id": "sent", "file_name": "upload"}
            return message
        if method == "editMessageReplyMarkup":
            return self.as_message(params, int(params.get("message_id", 0)))
        if method == "editMessageText":
            return self.as_message(params, int(params.get("message_id", 0)))
        if method == "getFile":
            file_id = params["file_id"]
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        if method in {"sendChatAction", "answerCallbackQuery", "answerInlineQuery", "setMyCommands"}:
            return True
        if method in {"deleteWebhook", "setWebhook", "deleteMyCommands", "close", "logOut"}:
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        raise web.HTTPNotFound(text=json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and not self._released:
            self._arrived.clear()
            timeout = min(float(params.get("timeout", 0) or 0), 1.0)
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                return []
        limit = int(params.get("limit", 100) or 100)
        return self._updates[:limit]

    async def _count_calls(self, request: web.Request) -> web.Response:
        """How many calls of each method arrived (for a benchmark running the server in another process)."""
        counts: dict[str, int] = {}
        for call in self.calls:
            counts[call.method] = counts.get(call.method, 0) + 1
        return web.json_response(counts)

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])
