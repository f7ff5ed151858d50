"""Chat: streamed replies, history window, Stop, failures, and the workspace's key provider."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.ai_report import INJECTION, Clock
from support.openai_server import OpenAIServer, Reply, Status

from caliber_desktop.errors import AIError, ValidationError
from caliber_desktop.services.ai import AIService
from caliber_desktop.services.ai.prompts import DATA_CLOSE, DATA_OPEN
from caliber_desktop.services.auth.secrets import OPENAI_API_KEY, SecretStore
from caliber_desktop.services.progress import CancelToken
from caliber_desktop.services.workspace import Workspace


def test_streamed_reply_is_stored_with_the_question(
    service: AIService, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    openai_server.stream(["The ", "score ", "is ", "fine."])
    seen: list[str] = []
    reply = service.chat(scored_campaign, "  How is my campaign?  ", on_delta=seen.append)
    assert seen == ["The ", "score ", "is ", "fine."]
    assert (reply.role, reply.status, reply.content) == ("assistant", "ok", "The score is fine.")
    history = service.chat_history(scored_campaign)
    assert [(m.role, m.content) for m in history] == [
        ("user", "How is my campaign?"),
        ("assistant", "The score is fine."),
    ]
    request = openai_server.chat_requests[-1]
    assert request.stream
    system = request.messages[0]["content"]
    rules, _, block = system.rpartition(DATA_OPEN + "\n")  # the rules name the tags too
    assert block.endswith(DATA_CLOSE)
    assert block.count(DATA_CLOSE) == 1
    assert INJECTION in block
    assert INJECTION not in rules
    assert service.chat_history(None) == []  # the general thread is separate


def test_only_the_last_ten_messages_go_to_the_server(
    service: AIService, openai_server: OpenAIServer, clock: Clock
) -> None:
    for n in range(7):
        openai_server.reply(f"answer {n}")
        service.chat(None, f"question {n}")
        clock.advance(1)
    service.chat(None, "last question")
    messages = openai_server.chat_requests[-1].messages
    assert messages[0]["role"] == "system"
    assert "not selected a campaign" in messages[0]["content"]
    history = messages[1:-1]
    assert len(history) == 10
    assert history[0] == {"role": "user", "content": "question 2"}
    assert history[-1] == {"role": "assistant", "content": "answer 6"}
    assert messages[-1] == {"role": "user", "content": "last question"}
    assert len(service.chat_history(None)) == 16
    assert [m.content for m in service.chat_history(None, limit=2)] == ["last question", "OK"]


def test_a_failed_call_keeps_the_question_and_stores_a_failed_reply(
    service: AIService, openai_server: OpenAIServer
) -> None:
    openai_server.script(Status(401))
    with pytest.raises(AIError) as caught:
        service.chat(None, "Will this be lost?")
    history = service.chat_history(None)
    assert [(m.role, m.status) for m in history] == [("user", "ok"), ("assistant", "failed")]
    assert history[0].content == "Will this be lost?"
    assert history[1].content == str(caught.value)
    openai_server.reply("Back.")
    service.chat(None, "again")
    sent = openai_server.chat_requests[-1].messages
    assert all("refused" not in m["content"] for m in sent[1:])  # the error is not history


def test_stop_mid_stream_stores_a_stopped_partial_reply(
    service: AIService, openai_server: OpenAIServer
) -> None:
    openai_server.script(Reply(chunks=[f"t{i} " for i in range(100)], delay_s=0.02))
    cancel = CancelToken()
    seen: list[str] = []

    def on_delta(delta: str) -> None:
        seen.append(delta)
        if len(seen) == 4:
            cancel.cancel()

    reply = service.chat(None, "Tell me everything", on_delta=on_delta, cancel=cancel)
    assert (reply.status, reply.content) == ("stopped", "t0 t1 t2 t3 ")
    assert service.chat_history(None)[-1] == reply


def test_validation_no_key_and_clear(
    make_service: Callable[..., AIService], openai_server: OpenAIServer
) -> None:
    service = make_service()
    for bad in ("", "   ", "x" * 4001):
        with pytest.raises(ValidationError) as caught:
            service.chat(None, bad)
        assert caught.value.field == "message"
    service.chat(None, "x" * 4000)
    assert service.clear_chat(None) == 2
    assert service.chat_history(None) == []
    with pytest.raises(AIError) as no_key:
        make_service(key=None).chat(None, "hello")
    assert no_key.value.reason == "no_key"
    assert "Settings › OpenAI API key" in str(no_key.value)
    assert service.chat_history(None) == []


def test_workspace_key_comes_from_keyring_then_environment(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert workspace.secrets is None  # opening the workspace did not touch the keyring
    status = workspace.ai.status()
    assert (status.configured, status.key_source) == (False, "none")
    assert status.problem
    assert "OPENAI_API_KEY" in status.problem
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert workspace.openai_key() == ("sk-env", "environment")
    SecretStore().set(OPENAI_API_KEY, "sk-ring")
    assert workspace.openai_key() == ("sk-ring", "keyring")
    status = workspace.ai.status()
    assert status.summary() == (
        "AI: gpt-4o-mini at api.openai.com · 60/60 this minute, 1000/1000 this hour"
    )
