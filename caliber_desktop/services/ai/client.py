"""The one place that talks to the model: the official ``openai`` SDK and its errors, in words.

Caliber uses the **Chat Completions** API (``client.chat.completions.create``), not the newer
Responses API: every OpenAI-compatible server speaks Chat Completions — Azure OpenAI, vLLM,
llama.cpp, Ollama, LM Studio, LiteLLM and the test server in ``tests/support`` — while
``responses`` exists on OpenAI itself and few others. With ``ai.base_url`` set, any of them works.

The SDK does the retrying (``ai.max_retries``: 408/409/429/5xx and connection errors, exponential
backoff, honouring ``retry-after``/``retry-after-ms``) and the time limit (``ai.timeout_s``). What
is left when it gives up is turned into an :class:`~caliber_desktop.errors.AIError` whose message
an analyst can act on; ``reason`` tells the service whether an offline insight can stand in.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from caliber_desktop.config import AISettings
from caliber_desktop.errors import AIError, RateLimitedError
from caliber_desktop.services.progress import CancelToken
from caliber_desktop.services.tls import os_trust_context, tls_failure

if TYPE_CHECKING:  # the SDK (~0.4 s to import) loads with the first request, not with the app
    import openai

    from caliber_desktop.services.auth.secrets import SecretStore

log = logging.getLogger(__name__)

#: Overrides ``ai.base_url`` (scripted use, tests, a local server for one run).
BASE_URL_ENV = "CALIBER_OPENAI_BASE_URL"
OPENAI_BASE_URL = "https://api.openai.com/v1"
KEY_HINT = "Check it in Settings › OpenAI API key."

Message = dict[str, str]


def base_url(settings: AISettings) -> str:
    """The endpoint to call: ``$CALIBER_OPENAI_BASE_URL``, else ``ai.base_url``, else OpenAI.

    Always explicit, so the SDK never picks up a stray ``OPENAI_BASE_URL`` from the environment.
    """
    return (os.environ.get(BASE_URL_ENV, "").strip() or settings.base_url.strip()) or (
        OPENAI_BASE_URL
    )


def find_key(secrets: SecretStore) -> tuple[str | None, str]:
    """The OpenAI key and where it came from: the OS keyring, else ``$OPENAI_API_KEY``."""
    from caliber_desktop.services.auth.secrets import OPENAI_API_KEY

    key = (secrets.get(OPENAI_API_KEY) or "").strip()
    if key:
        return key, "keyring"
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    if key:
        return key, "environment"
    return None, "none"


def endpoint_host(settings: AISettings) -> str:
    """``api.openai.com`` or the configured server's host (and port), for status lines."""
    url = base_url(settings)
    return urlsplit(url).netloc or url


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class StreamedReply:
    text: str
    model: str
    #: True when the cancel token stopped the stream before the model finished.
    stopped: bool


class ChatClient:
    """A thin wrapper over ``OpenAI(...).chat.completions`` configured from :class:`AISettings`."""

    def __init__(self, settings: AISettings, api_key: str) -> None:
        from openai import DefaultHttpxClient, OpenAI

        self.settings = settings
        self.model = settings.model
        self._client = OpenAI(
            api_key=api_key,
            base_url=base_url(settings),
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
            # The same trust as sign-in (services/tls.py), whatever HTTP stack the SDK brings:
            # httpx2 happens to use the OS store too, the httpx of older SDKs uses certifi.
            # DefaultHttpxClient keeps the SDK's own limits, redirects and proxy settings.
            http_client=DefaultHttpxClient(verify=os_trust_context()),
        )

    def close(self) -> None:
        self._client.close()

    def __del__(self) -> None:
        # The SDK closes the HTTP client it makes when collected; one passed in is ours to close.
        client = getattr(self, "_client", None)
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def _arguments(self, messages: Sequence[Message]) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": self.settings.max_tokens,
            "temperature": self.settings.temperature,
        }

    def complete(self, messages: Sequence[Message]) -> Completion:
        """One whole answer (insights)."""
        import openai

        try:
            response = self._client.chat.completions.create(**self._arguments(messages))
        except openai.OpenAIError as exc:
            raise explain(exc, self.settings) from exc
        if not response.choices:
            raise AIError(
                f"{endpoint_host(self.settings)} sent an empty answer.",
                reason="other",
                hint="Try again, or check the model name in Settings.",
            )
        text = (response.choices[0].message.content or "").strip()
        if not text:
            raise AIError(
                f"The model {self.model} answered with no text (it may have refused).",
                reason="refused",
                hint="Try again or ask differently.",
            )
        usage = response.usage
        return Completion(
            text=text,
            model=response.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
        )

    def stream(
        self,
        messages: Sequence[Message],
        on_delta: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> StreamedReply:
        """Stream an answer token by token; ``cancel`` ends it early (checked after each chunk).

        A stopped stream is closed at once (the server sees the connection go) and what arrived
        so far is returned with ``stopped=True``: Stop is an outcome, not an error.
        """
        import openai

        parts: list[str] = []
        model = self.model
        try:
            stream = self._client.chat.completions.create(**self._arguments(messages), stream=True)
            with stream:
                for chunk in stream:
                    model = chunk.model or model
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                    if delta:
                        parts.append(delta)
                        if on_delta is not None:
                            on_delta(delta)
                    if cancel is not None and cancel.cancelled:
                        return StreamedReply("".join(parts), model, stopped=True)
        except openai.OpenAIError as exc:
            if cancel is not None and cancel.cancelled:  # the error is our own closing
                return StreamedReply("".join(parts), model, stopped=True)
            raise explain(exc, self.settings) from exc
        return StreamedReply("".join(parts), model, stopped=False)


def explain(exc: openai.OpenAIError, settings: AISettings) -> AIError:
    """The SDK's exception (after its retries) as a message an analyst can act on."""
    import openai

    host = endpoint_host(settings)
    retries = settings.max_retries
    after = f" after {retries} retries" if retries else ""
    if isinstance(exc, openai.APITimeoutError):
        return AIError(
            f"{host} did not answer within {settings.timeout_s:g} s{after}.",
            reason="timeout",
            hint="Check your network, or raise the time limit in Settings › AI.",
        )
    refused = tls_failure(exc, host) if isinstance(exc, openai.APIConnectionError) else None
    if refused is not None:  # reached, but its certificate is not trusted: say so
        log.warning("TLS with %s failed: %s", host, refused.detail)
        return AIError(refused.message, reason="tls", hint=refused.hint)
    if isinstance(exc, openai.APIConnectionError):
        return AIError(
            f"Cannot reach {host}{after}: no network, or the endpoint is not running.",
            reason="connection",
            hint="Check your connection and the endpoint URL in Settings › AI.",
        )
    if isinstance(exc, openai.AuthenticationError):
        return AIError(f"The OpenAI key was refused (401). {KEY_HINT}", reason="auth")
    if isinstance(exc, openai.PermissionDeniedError):
        return AIError(
            f"The OpenAI key may not use the model {settings.model} (403).",
            reason="auth",
            hint="Choose another model in Settings › AI, or check the key's project permissions.",
        )
    if isinstance(exc, openai.RateLimitError):
        wait = _retry_after(exc)
        quota = "insufficient_quota" in str(exc)
        if quota:
            return AIError(
                "The OpenAI account behind this key has no quota left (429 insufficient_quota).",
                reason="rate_limit",
                hint="Add credit or use another key in Settings › OpenAI API key.",
            )
        return RateLimitedError(
            f"{host} is rate-limiting this key (429){after}; try again in {wait:.0f} s.",
            retry_after_s=wait,
        )
    if isinstance(exc, openai.NotFoundError):
        return AIError(
            f"{host} does not know the model {settings.model} (404).",
            reason="bad_request",
            hint="Check the model name and endpoint URL in Settings › AI.",
        )
    if isinstance(exc, openai.BadRequestError):
        return AIError(
            f"{host} refused the request (400): {_detail(exc)}",
            reason="bad_request",
            hint="Check the model and token limit in Settings › AI.",
        )
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        return AIError(
            f"{host} had a server error ({exc.status_code}){after}.",
            reason="server",
            hint="The service may be down; try again in a few minutes.",
        )
    if isinstance(exc, openai.APIStatusError):
        return AIError(
            f"{host} answered with an error ({exc.status_code}): {_detail(exc)}",
            reason="other",
        )
    log.warning("unexpected OpenAI SDK error: %r", exc)
    return AIError(f"The AI request failed: {_detail(exc)}", reason="other")


def _retry_after(exc: openai.APIStatusError) -> float:
    headers = exc.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            if value is not None:
                return max(1.0, float(value) / divisor)
        except ValueError:
            continue
    return 60.0


def _detail(exc: openai.OpenAIError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if isinstance(message, str) and message:
            return message[:300]
    return str(exc)[:300]
