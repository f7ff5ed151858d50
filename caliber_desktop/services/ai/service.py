"""The AI assistant's facade: insights, batches, offline insights, chat, status — per user.

Everything is scoped to the bound user: another user's campaign or insight is "not found", as in
every other service. Each step lives in its own module (``client`` the SDK, ``prompts`` the
templates and data block, ``context`` the run's figures, ``offline``, ``limits``, ``cache``,
``chat``); this class decides the order:

``generate``: validate → load the current run → build the context → no key: offline insight →
cache hit: the stored answer (no HTTP) → rate limit → the model → store. If the endpoint cannot be
reached (no network, timeout) an offline insight is stored and returned instead of an error.

The key is asked for (``key_provider``) only when needed, so building the service never touches
the keyring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from caliber_desktop.config import AISettings, ScoringSettings
from caliber_desktop.errors import AIError, CaliberError, ValidationError
from caliber_desktop.models import Campaign
from caliber_desktop.models.assistant import AIInsight
from caliber_desktop.models.base import utcnow
from caliber_desktop.models.enums import ChatRole
from caliber_desktop.models.store import Store
from caliber_desktop.services.ai import context as ctx
from caliber_desktop.services.ai import prompts
from caliber_desktop.services.ai.cache import CacheKey, find_cached
from caliber_desktop.services.ai.chat import ChatLog, ChatRecord, clean_message
from caliber_desktop.services.ai.client import ChatClient, endpoint_host
from caliber_desktop.services.ai.limits import RateLimiter
from caliber_desktop.services.ai.offline import OFFLINE_MODEL, offline_text
from caliber_desktop.services.ai.records import (
    INSIGHT_TYPES,
    InsightRecord,
    insight_record,
    list_insights,
)
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.runs.service import RunService
from caliber_desktop.services.scope import UserScoped
from caliber_desktop.services.scoring.lists import build_lists

log = logging.getLogger(__name__)

KeyProvider = Callable[[], tuple[str | None, str]]
NO_KEY = "No OpenAI key: add one in Settings › OpenAI API key (or set OPENAI_API_KEY)."


@dataclass(frozen=True)
class AIStatus:
    configured: bool
    endpoint: str
    model: str
    key_source: str  # "keyring" | "environment" | "none"
    remaining_per_minute: int
    remaining_per_hour: int
    problem: str | None
    per_minute: int = 0
    per_hour: int = 0

    def summary(self) -> str:
        """One status-bar line."""
        if not self.configured:
            return "AI: offline insights only (no OpenAI key)"
        return (
            f"AI: {self.model} at {self.endpoint} · "
            f"{self.remaining_per_minute}/{self.per_minute} this minute, "
            f"{self.remaining_per_hour}/{self.per_hour} this hour"
        )


@dataclass(frozen=True)
class BatchResult:
    insights: list[InsightRecord]
    failures: dict[str, str]  # insight type -> actionable message


class AIService(UserScoped):
    KIND = "Campaign"

    def __init__(
        self,
        store: Store,
        user: UserRef,
        settings: AISettings,
        key_provider: KeyProvider,
        *,
        clock: Callable[[], datetime] = utcnow,
        runs: RunService | None = None,
    ) -> None:
        super().__init__(store, user)
        self.settings = settings
        self.key_provider = key_provider
        self.clock = clock
        # Only reads runs: the data dir and scoring settings are never used for that.
        self.runs = runs or RunService(store, user, Path(), ScoringSettings())
        self.limiter = RateLimiter(
            store,
            user.id,
            per_minute=settings.requests_per_minute,
            per_hour=settings.requests_per_hour,
            clock=clock,
        )
        self.chats = ChatLog(store, user.id)

    # ------------------------------------------------------------------ status
    def _key(self) -> tuple[str | None, str]:
        key, source = self.key_provider()
        key = (key or "").strip() or None
        return key, (source if key else "none")

    def status(self) -> AIStatus:
        key, source = self._key()
        quota = self.limiter.quota()
        return AIStatus(
            configured=key is not None,
            endpoint=endpoint_host(self.settings),
            model=self.settings.model,
            key_source=source,
            remaining_per_minute=quota.remaining_per_minute,
            remaining_per_hour=quota.remaining_per_hour,
            problem=None if key else NO_KEY,
            per_minute=self.settings.requests_per_minute,
            per_hour=self.settings.requests_per_hour,
        )

    # ------------------------------------------------------------------ context
    def _facts(self, campaign_id: int) -> ctx.RunFacts:
        with self.store.read() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            name, run_id = campaign.name, campaign.current_run_id
        if run_id is None:
            raise ValidationError(
                f"Campaign {campaign_id} has no scored run yet: score it first.",
                field="run",
                hint="Attach a report and score the campaign, then ask again.",
            )
        run = self.runs.run(run_id)
        result = self.runs.load_result(run_id)
        warn = float(run.config.get("impact_warning_share", 0.20))
        lists = build_lists(result.sites, self.runs.overrides(campaign_id), warning_share=warn)
        return ctx.RunFacts(campaign_id, name, run, result, lists)

    @staticmethod
    def _check_type(insight_type: object) -> str:
        if insight_type not in INSIGHT_TYPES:
            raise ValidationError(
                f"Unknown insight type {insight_type!r}; use one of {', '.join(INSIGHT_TYPES)}.",
                field="insight_type",
            )
        return str(insight_type)

    def _subject(self, facts: ctx.RunFacts, insight_type: str, subject: str | None) -> str | None:
        return ctx.find_site(facts, subject) if insight_type == "domain" else None

    # ------------------------------------------------------------------ insights
    def generate(
        self,
        campaign_id: int,
        insight_type: str,
        *,
        subject: str | None = None,
        use_cache: bool = True,
        cancel: CancelToken | None = None,
    ) -> InsightRecord:
        """An insight from the model (or the cache, or offline without key or network)."""
        kind = self._check_type(insight_type)
        facts = self._facts(campaign_id)
        return self._generate(facts, kind, subject, use_cache=use_cache, cancel=cancel, limit=True)

    def _generate(
        self,
        facts: ctx.RunFacts,
        kind: str,
        subject: str | None,
        *,
        use_cache: bool,
        cancel: CancelToken | None,
        limit: bool,
    ) -> InsightRecord:
        site = self._subject(facts, kind, subject)
        context = ctx.insight_context(facts, kind, site)
        digest = ctx.context_hash(context)
        messages = prompts.insight_messages(kind, context, ctx.trusted_values(context))
        key, _ = self._key()
        if key is None:
            return self._store_offline(facts, kind, site, context, digest)
        if use_cache and self.settings.cache_enabled:
            cache_key = CacheKey(
                self.user.id, facts.campaign_id, kind, site, self.settings.model, digest
            )
            hit = find_cached(
                self.store, cache_key, now=self.clock(), ttl_s=self.settings.cache_ttl_s
            )
            if hit is not None:
                return hit
        if cancel is not None:
            cancel.raise_if_cancelled()
        if limit:
            self.limiter.acquire(1)
        client = ChatClient(self.settings, key)
        try:
            answer = client.complete(messages)
        except AIError as exc:
            if not exc.unreachable:
                raise
            log.info("AI endpoint unreachable (%s): offline %s insight", exc.reason, kind)
            return self._store_offline(facts, kind, site, context, digest)
        finally:
            client.close()
        return self._store(
            facts,
            kind,
            site,
            context,
            digest,
            content=answer.text,
            model=self.settings.model,
            offline=False,
            tokens=(answer.prompt_tokens, answer.completion_tokens),
        )

    def offline_insight(
        self, campaign_id: int, insight_type: str, *, subject: str | None = None
    ) -> InsightRecord:
        """A deterministic insight from the run's statistics, stored; no model, no key needed."""
        kind = self._check_type(insight_type)
        facts = self._facts(campaign_id)
        site = self._subject(facts, kind, subject)
        context = ctx.insight_context(facts, kind, site)
        return self._store_offline(facts, kind, site, context, ctx.context_hash(context))

    def _store_offline(
        self,
        facts: ctx.RunFacts,
        kind: str,
        site: str | None,
        context: dict[str, Any],
        digest: str,
    ) -> InsightRecord:
        text = offline_text(kind, context)
        return self._store(
            facts, kind, site, context, digest, content=text, model=OFFLINE_MODEL, offline=True
        )

    def _store(
        self,
        facts: ctx.RunFacts,
        kind: str,
        site: str | None,
        context: dict[str, Any],
        digest: str,
        *,
        content: str,
        model: str,
        offline: bool,
        tokens: tuple[int | None, int | None] = (None, None),
    ) -> InsightRecord:
        with self.store.write() as session:
            self._owned(session, Campaign, facts.campaign_id, self.KIND)  # not deleted meanwhile
            row = AIInsight(
                campaign_id=facts.campaign_id,
                user_id=self.user.id,
                run_id=facts.run.id,
                insight_type=kind,
                subject=site,
                content=content,
                context_hash=digest,
                context=context,
                model=model,
                is_offline=offline,
                prompt_tokens=tokens[0],
                completion_tokens=tokens[1],
                created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return insight_record(row)

    def generate_batch(
        self,
        campaign_id: int,
        types: Sequence[str],
        *,
        cancel: CancelToken | None = None,
        on_done: Callable[[str, InsightRecord | str], None] | None = None,
        subject: str | None = None,
    ) -> BatchResult:
        """Several insight types; one failing type never stops the others.

        The batch counts as its number of types against the rate limit, taken up front (a refusal
        refuses the whole batch before anything is asked). ``domain`` without ``subject`` is about
        the run's top site. Once the endpoint proves unreachable, the remaining types are built
        offline at once instead of each waiting for its own time-out. A cancel stops between
        types: the types not reached are reported as failures "Cancelled.".
        """
        kinds = list(dict.fromkeys(self._check_type(t) for t in types))
        if not kinds:
            raise ValidationError("Choose at least one insight type.", field="types")
        facts = self._facts(campaign_id)
        if "domain" in kinds and subject is None:
            top = facts.result.summary.get("top") or []
            subject = (
                str(top[0]["site_id"])
                if top
                else (str(facts.result.sites.index[0]) if len(facts.result.sites) else None)
            )
        key, _ = self._key()
        if key is not None:
            self.limiter.acquire(len(kinds))
        insights: list[InsightRecord] = []
        failures: dict[str, str] = {}
        offline = False
        for kind in kinds:
            outcome: InsightRecord | str
            if cancel is not None and cancel.cancelled:
                outcome = Cancelled().message
            else:
                try:
                    if offline:
                        site = self._subject(facts, kind, subject)
                        context = ctx.insight_context(facts, kind, site)
                        outcome = self._store_offline(
                            facts, kind, site, context, ctx.context_hash(context)
                        )
                    else:
                        outcome = self._generate(
                            facts, kind, subject, use_cache=True, cancel=cancel, limit=False
                        )
                        offline = outcome.is_offline and key is not None
                except CaliberError as exc:
                    outcome = str(exc)
                except Exception as exc:  # a bug in one type must not lose the others
                    log.exception("insight %s of campaign %s failed", kind, campaign_id)
                    outcome = f"Unexpected error ({type(exc).__name__}); details are in the log."
            if isinstance(outcome, str):
                failures[kind] = outcome
            else:
                insights.append(outcome)
            if on_done is not None:
                on_done(kind, outcome)
        return BatchResult(insights, failures)

    def insights(self, campaign_id: int) -> list[InsightRecord]:
        """The campaign's insights, newest first."""
        with self.store.read() as session:
            self._owned(session, Campaign, campaign_id, self.KIND)
        return list_insights(self.store, self.user, campaign_id)

    def insight(self, insight_id: int) -> InsightRecord:
        with self.store.read() as session:
            return insight_record(self._owned(session, AIInsight, insight_id, "Insight"))

    def delete_insight(self, insight_id: int) -> None:
        with self.store.write() as session:
            session.delete(self._owned(session, AIInsight, insight_id, "Insight"))

    def clear_insights(self, campaign_id: int) -> int:
        with self.store.write() as session:
            self._owned(session, Campaign, campaign_id, self.KIND)
            gone = session.execute(
                delete(AIInsight).where(
                    AIInsight.campaign_id == campaign_id, AIInsight.user_id == self.user.id
                )
            )
            return int(getattr(gone, "rowcount", 0) or 0)

    # ------------------------------------------------------------------ chat
    def _chat_campaign(self, campaign_id: int | None) -> None:
        if campaign_id is None:
            return
        with self.store.read() as session:
            self._owned(session, Campaign, campaign_id, self.KIND)

    def _chat_context(self, campaign_id: int | None) -> dict[str, Any] | None:
        if campaign_id is None:
            return None
        try:
            return ctx.base_context(self._facts(campaign_id))
        except ValidationError:  # not scored yet: say what the campaign is, without figures
            with self.store.read() as session:
                campaign = self._owned(session, Campaign, campaign_id, self.KIND)
                return {
                    "campaign": {"id": campaign.id, "name": campaign.name},
                    "note": "This campaign has not been scored yet; there are no figures.",
                }

    def chat(
        self,
        campaign_id: int | None,
        message: str,
        *,
        on_delta: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> ChatRecord:
        """Send ``message`` and stream the reply; returns the stored assistant message.

        The analyst's message is committed first. Stop (``cancel``) keeps the partial reply as
        ``stopped`` and returns it; a failure stores a ``failed`` reply (the error message) and
        raises :class:`AIError`. No key, or the rate limit, refuse before anything is stored.
        """
        text = clean_message(message)
        self._chat_campaign(campaign_id)
        key, _ = self._key()
        if key is None:
            raise AIError(NO_KEY, reason="no_key")
        context = self._chat_context(campaign_id)
        self.limiter.acquire(1)
        asked = self.chats.add(campaign_id, ChatRole.USER, text, created_at=self.clock())
        history = self.chats.context_window(campaign_id, asked.id)
        messages = prompts.chat_messages(context, history, text)
        client = ChatClient(self.settings, key)
        model = self.settings.model
        try:
            reply = client.stream(messages, on_delta=on_delta, cancel=cancel)
        except AIError as exc:
            self.chats.add(
                campaign_id,
                ChatRole.ASSISTANT,
                str(exc),
                status="failed",
                model=model,
                created_at=self.clock(),
            )
            raise
        finally:
            client.close()
        return self.chats.add(
            campaign_id,
            ChatRole.ASSISTANT,
            reply.text,
            status="stopped" if reply.stopped else "ok",
            model=model,
            created_at=self.clock(),
        )

    def chat_history(
        self, campaign_id: int | None, *, limit: int | None = None
    ) -> list[ChatRecord]:
        """The conversation, oldest first (``limit``: only the last messages)."""
        self._chat_campaign(campaign_id)
        return self.chats.history(campaign_id, limit)

    def clear_chat(self, campaign_id: int | None) -> int:
        self._chat_campaign(campaign_id)
        return self.chats.clear(campaign_id)
