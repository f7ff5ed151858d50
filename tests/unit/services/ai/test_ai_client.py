"""The real openai SDK against the local OpenAI-compatible server: replies, retries, errors."""

from __future__ import annotations

import ssl

import httpx2
import openai
import pytest
from support.openai_server import Drop, Hang, OpenAIServer, Reply, Status

from caliber_desktop.config import AISettings
from caliber_desktop.errors import AIError, RateLimitedError
from caliber_desktop.services.ai.client import (
    BASE_URL_ENV,
    ChatClient,
    base_url,
    endpoint_host,
    explain,
)
from caliber_desktop.services.progress import CancelToken

ASK = [{"role": "user", "content": "hello"}]


def client(server: OpenAIServer, **overrides: object) -> ChatClient:
    settings = AISettings(base_url=server.base_url, max_retries=1, timeout_s=2.0)
    return ChatClient(settings.model_copy(update=overrides), "sk-test")


def test_plain_reply_sends_the_settings(openai_server: OpenAIServer) -> None:
    openai_server.reply("Viewability drives this campaign.")
    answer = client(openai_server, model="local-model", max_tokens=321, temperature=0.1).complete(
        ASK
    )
    assert answer.text == "Viewability drives this campaign."
    assert (answer.prompt_tokens, answer.completion_tokens) == (11, 7)
    sent = openai_server.chat_requests[-1]
    assert sent.body["model"] == "local-model"
    assert sent.body["max_tokens"] == 321
    assert sent.body["temperature"] == pytest.approx(0.1)
    assert sent.headers["authorization"] == "Bearer sk-test"


def test_streamed_reply_arrives_in_pieces(openai_server: OpenAIServer) -> None:
    openai_server.stream(["Block ", "the ", "bottom ", "sites."], delay_s=0.01)
    seen: list[str] = []
    reply = client(openai_server).stream(ASK, on_delta=seen.append)
    assert seen == ["Block ", "the ", "bottom ", "sites."]
    assert reply.text == "Block the bottom sites."
    assert not reply.stopped
    assert openai_server.chat_requests[-1].stream


def test_stop_closes_the_stream_and_keeps_the_partial_text(openai_server: OpenAIServer) -> None:
    openai_server.stream([f"w{i} " for i in range(50)], delay_s=0.02)
    cancel = CancelToken()
    seen: list[str] = []

    def on_delta(delta: str) -> None:
        seen.append(delta)
        if len(seen) == 3:
            cancel.cancel()

    reply = client(openai_server).stream(ASK, on_delta=on_delta, cancel=cancel)
    assert reply.stopped
    assert reply.text == "w0 w1 w2 "


def test_429_then_success_is_retried_by_the_sdk(openai_server: OpenAIServer) -> None:
    openai_server.script(Status(429, headers={"retry-after-ms": "20"}), Reply("fine"))
    assert client(openai_server).complete(ASK).text == "fine"
    assert len(openai_server.chat_requests) == 2


def test_persistent_429_says_when_to_retry(openai_server: OpenAIServer) -> None:
    openai_server.fail(429, times=2, headers={"retry-after-ms": "20", "retry-after": "7"})
    with pytest.raises(RateLimitedError) as caught:
        client(openai_server).complete(ASK)
    assert "429" in str(caught.value)
    assert caught.value.retry_after_s == pytest.approx(1.0)  # 20 ms, at least a second


def test_persistent_500_after_the_retries(openai_server: OpenAIServer) -> None:
    openai_server.fail(500, times=3)
    with pytest.raises(AIError) as caught:
        client(openai_server, max_retries=2).complete(ASK)
    assert caught.value.reason == "server"
    assert "server error (500) after 2 retries" in str(caught.value)
    assert len(openai_server.chat_requests) == 3


def test_401_points_to_the_key_setting(openai_server: OpenAIServer) -> None:
    openai_server.fail(401)
    with pytest.raises(AIError) as caught:
        client(openai_server).complete(ASK)
    assert caught.value.reason == "auth"
    assert str(caught.value) == (
        "The OpenAI key was refused (401). Check it in Settings › OpenAI API key."
    )
    assert "sk-test" not in str(caught.value)
    assert len(openai_server.chat_requests) == 1  # 401 is not retried


def test_timeout_is_unreachable(openai_server: OpenAIServer) -> None:
    openai_server.script(Hang(5), Hang(5))
    with pytest.raises(AIError) as caught:
        client(openai_server, timeout_s=0.3, max_retries=0).complete(ASK)
    assert caught.value.reason == "timeout"
    assert caught.value.unreachable
    assert "did not answer within 0.3 s" in str(caught.value)


def test_dropped_connection_and_refused_port_are_unreachable(
    openai_server: OpenAIServer,
) -> None:
    openai_server.script(Drop())
    with pytest.raises(AIError) as caught:
        client(openai_server, max_retries=0).complete(ASK)
    assert caught.value.reason == "connection"
    # A refused loopback connect returns at once on Linux and macOS but takes about 2 s on
    # Windows (it retries the SYN after each RST): a 2 s limit would report a time-out there.
    settings = AISettings(base_url="http://127.0.0.1:9/v1", max_retries=0, timeout_s=10.0)
    with pytest.raises(AIError) as refused:
        ChatClient(settings, "sk-test").complete(ASK)
    assert refused.value.unreachable
    assert "Cannot reach 127.0.0.1:9" in str(refused.value)


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    assert base_url(AISettings()) == "https://api.openai.com/v1"
    assert endpoint_host(AISettings()) == "api.openai.com"
    assert base_url(AISettings(base_url="http://localhost:8000/v1")) == "http://localhost:8000/v1"
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:1234/v1")
    assert endpoint_host(AISettings(base_url="http://localhost:8000/v1")) == "127.0.0.1:1234"


def connection_error(cause: BaseException) -> openai.APIConnectionError:
    """What the SDK raises when httpx2 could not connect: APIConnectionError ← ConnectError ← …"""
    request = httpx2.Request("POST", "https://api.openai.com/v1/chat/completions")
    error = openai.APIConnectionError(request=request)
    error.__cause__ = httpx2.ConnectError(str(cause))
    error.__cause__.__cause__ = cause
    return error


def test_an_untrusted_certificate_is_not_called_a_missing_network() -> None:
    refused = ssl.SSLCertVerificationError(1, "certificate verify failed")
    refused.verify_code, refused.verify_message = 20, "unable to get local issuer certificate"
    explained = explain(connection_error(refused), AISettings())
    assert explained.reason == "tls"
    assert explained.unreachable  # insights fall back to the offline text, as without network
    assert str(explained) == (
        "Caliber could not verify the identity of api.openai.com (its certificate is not trusted "
        "by this computer). If your company inspects HTTPS traffic, ask IT to install its root "
        "certificate in the system's certificate store."
    )
    refused_port = explain(connection_error(ConnectionRefusedError(111, "refused")), AISettings())
    assert refused_port.reason == "connection"
