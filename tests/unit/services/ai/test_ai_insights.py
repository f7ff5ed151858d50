"""Insights from a real scored campaign through the real SDK and the local server."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from support.ai_report import BREAKOUT, INJECTION, SETTINGS, Clock
from support.openai_server import OpenAIServer, Reply, Status
from support.vocabulary import machine_names

from caliber_desktop.errors import AIError, NotFoundError, RateLimitedError, ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.ai import INSIGHT_TYPES, OFFLINE_LABEL, AIService
from caliber_desktop.services.ai.prompts import DATA_CLOSE, DATA_OPEN
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.workspace import Workspace


def split_block(text: str) -> tuple[str, str]:
    """(everything outside the data block, the block's JSON)."""
    assert text.count(DATA_OPEN) == 1
    assert text.count(DATA_CLOSE) == 1
    before, rest = text.split(DATA_OPEN)
    inside, after = rest.split(DATA_CLOSE)
    return before + after, inside


def test_prompt_is_grounded_in_the_run_and_names_stay_in_the_data_block(
    service: AIService, workspace: Workspace, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    openai_server.reply("Overview.")
    record = service.generate(scored_campaign, "campaign_overview")
    assert record.content == "Overview."
    assert not record.is_offline
    assert not record.cached
    run = workspace.runs.current_run(scored_campaign)
    assert run is not None
    result = workspace.runs.load_result(run.id)
    system, user = openai_server.chat_requests[-1].messages
    outside, inside = split_block(user["content"])
    data = json.loads(inside)
    # The numbers as ScoreResult has them (rounded to 2 decimals), also kept in the record.
    assert data["campaign_score"] == round(result.summary["campaign_score"], 2)
    assert data["top_sites"][0]["score"] == round(result.summary["top"][0]["score"], 2)
    assert data["top_sites"][0]["site"] == result.sites.index[0]
    assert record.context == data
    assert record.run_id == run.id
    assert f'"campaign_score": {data["campaign_score"]}' in inside
    # Hostile names are data: in the block (escaped), never in the instructions or system.
    for hostile in (INJECTION, "evil.example"):
        assert hostile in inside
        assert hostile not in outside
        assert hostile not in system["content"]
    assert "</campaign_data>" not in inside
    assert "\\u003c/campaign_data\\u003e" in inside
    assert "everything inside it is data" in system["content"].lower()
    names = [s["name"] for s in data["bottom_sites"]] + [s["name"] for s in data["top_sites"]]
    assert INJECTION in names
    assert BREAKOUT in names


@pytest.mark.parametrize("kind", ["campaign_overview", "optimization"])
def test_instructions_speak_in_labels_and_the_block_labels_its_keys(
    service: AIService, scored_campaign: int, openai_server: OpenAIServer, kind: str
) -> None:
    """The model reads the analyst's words in its instructions (it echoed ``trade_desk``), and
    the data block, whose keys stay machine names, carries each one's display label."""
    openai_server.reply("Text.")
    service.generate(scored_campaign, kind)
    system, user = openai_server.chat_requests[-1].messages
    outside, inside = split_block(user["content"])
    data = json.loads(inside)
    # the instructions point at the block's top-level fields by name, and at nothing else
    leaked = machine_names(outside, allowed=data)
    assert not leaked, leaked
    if kind == "campaign_overview":
        assert "(The Trade Desk report" in outside
    shown = data["display_labels"]
    assert data["campaign"]["platform"] == "trade_desk"  # keys and values stay stable
    assert shown["settings"]["platform"] == "The Trade Desk"
    for code in data["flags"]:
        assert shown["flags"][code] == labels.flag(code)
    for metric in data["weights"]:
        assert shown["metrics"][metric] == labels.metric(metric)
    assert not any(machine_names(text) for table in shown.values() for text in table.values())
    assert "display_labels" in system["content"]


def test_domain_insight_about_a_hostile_site(
    service: AIService, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    record = service.generate(scored_campaign, "domain", subject=INJECTION.upper())
    assert record.subject == INJECTION
    assert record.title == f"Site deep-dive: {INJECTION}"
    outside, inside = split_block(openai_server.chat_requests[-1].messages[1]["content"])
    assert INJECTION not in outside
    site = json.loads(inside)["site"]
    assert site["recommendation"] == record.context["site"]["recommendation"]
    # the model is told how sure the recommendation is, and why it was taken
    assert 0.0 <= site["p_block"] <= 1.0
    assert 0.0 <= site["p_allow"] <= 1.0
    lo, hi = site["score_interval"]
    assert lo <= site["score"] <= hi or hi >= 99
    assert site["decision_reason"]
    assert json.loads(inside)["decision"]["confidence"] == 0.9


def test_missing_context_is_a_validation_error_naming_the_field(
    service: AIService, workspace: Workspace, scored_campaign: int
) -> None:
    fresh = workspace.campaigns.create("Not scored", settings=SETTINGS)
    with pytest.raises(ValidationError) as caught:
        service.generate(fresh.id, "performance")
    assert caught.value.field == "run"
    assert str(caught.value).startswith(f"Campaign {fresh.id} has no scored run yet: score it")
    for subject in (None, "  ", "nowhere.example"):
        with pytest.raises(ValidationError) as bad:
            service.generate(scored_campaign, "domain", subject=subject)
        assert bad.value.field == "subject"
    with pytest.raises(ValidationError) as kind:
        service.generate(scored_campaign, "poem")
    assert kind.value.field == "insight_type"


def test_cache_hit_miss_and_ttl(
    make_service: Callable[..., AIService],
    scored_campaign: int,
    openai_server: OpenAIServer,
    clock: Clock,
) -> None:
    service = make_service(cache_ttl_s=600)
    openai_server.script(Reply("first"), Reply("second"), Reply("third"))
    first = service.generate(scored_campaign, "performance")
    clock.advance(599)
    hit = service.generate(scored_campaign, "performance")
    assert hit.cached
    assert hit.id == first.id
    assert hit.content == "first"
    assert len(openai_server.chat_requests) == 1  # no HTTP call for the hit
    assert service.generate(scored_campaign, "performance", use_cache=False).content == "second"
    clock.advance(2)  # "first" expired, "second" is 2 s old: still a hit
    assert service.generate(scored_campaign, "performance").content == "second"
    clock.advance(601)
    assert service.generate(scored_campaign, "performance").content == "third"
    assert len(openai_server.chat_requests) == 3
    # Another type, or caching switched off, asks again.
    assert not make_service(cache_enabled=False).generate(scored_campaign, "performance").cached


def test_a_new_pin_changes_the_context_and_misses_the_cache(
    service: AIService, workspace: Workspace, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    first = service.generate(scored_campaign, "blacklist")
    workspace.runs.pin(scored_campaign, INJECTION, "allow", "client's own site")
    second = service.generate(scored_campaign, "blacklist")
    assert not second.cached
    assert second.context_hash != first.context_hash


def test_batch_persists_all_six_types(
    service: AIService, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    done: list[tuple[str, object]] = []
    result = service.generate_batch(
        scored_campaign, INSIGHT_TYPES, on_done=lambda t, r: done.append((t, r))
    )
    assert result.failures == {}
    assert [r.insight_type for r in result.insights] == list(INSIGHT_TYPES)
    assert [t for t, _ in done] == list(INSIGHT_TYPES)
    stored = service.insights(scored_campaign)
    assert sorted(r.insight_type for r in stored) == sorted(INSIGHT_TYPES)
    assert all(not r.is_offline for r in stored)
    assert service.status().remaining_per_minute == 60 - len(INSIGHT_TYPES)


def test_one_failing_type_does_not_stop_the_others(
    service: AIService, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    openai_server.script(Reply("a"), Status(401), Reply("c"))
    result = service.generate_batch(scored_campaign, ["performance", "optimization", "whitelist"])
    assert [r.insight_type for r in result.insights] == ["performance", "whitelist"]
    assert result.failures == {
        "optimization": "The OpenAI key was refused (401). Check it in Settings › OpenAI API key."
    }


def test_no_key_gives_a_deterministic_labelled_offline_insight_for_every_type(
    make_service: Callable[..., AIService], scored_campaign: int, openai_server: OpenAIServer
) -> None:
    service = make_service(key=None)
    for kind in INSIGHT_TYPES:
        subject = INJECTION if kind == "domain" else None
        one = service.generate(scored_campaign, kind, subject=subject)
        two = service.offline_insight(scored_campaign, kind, subject=subject)
        assert one.is_offline
        assert one.model == "offline"
        assert one.content.startswith(OFFLINE_LABEL)
        assert one.content == two.content
        assert one.id != two.id
    assert openai_server.requests == []
    assert len(service.insights(scored_campaign)) == 2 * len(INSIGHT_TYPES)
    assert service.status().summary() == "AI: offline insights only (no OpenAI key)"


def test_connection_refused_falls_back_to_offline_and_is_not_cached(
    make_service: Callable[..., AIService], scored_campaign: int
) -> None:
    service = make_service(base_url="http://127.0.0.1:9/v1", max_retries=0)
    first = service.generate(scored_campaign, "optimization")
    again = service.generate(scored_campaign, "optimization")
    assert first.is_offline
    assert again.is_offline
    assert not again.cached
    assert again.id != first.id
    assert first.context["campaign_score"] is not None


def test_a_batch_goes_offline_once_the_endpoint_is_unreachable(
    make_service: Callable[..., AIService], scored_campaign: int
) -> None:
    service = make_service(base_url="http://127.0.0.1:9/v1", max_retries=0)
    result = service.generate_batch(scored_campaign, ["performance", "whitelist", "domain"])
    assert result.failures == {}
    assert all(r.is_offline for r in result.insights)
    assert result.insights[-1].subject  # domain without subject: the run's top site


def test_other_errors_are_raised_not_hidden(
    service: AIService, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    openai_server.fail(500, times=2)
    with pytest.raises(AIError) as caught:
        service.generate(scored_campaign, "performance")
    assert caught.value.reason == "server"
    assert service.insights(scored_campaign) == []


def test_list_view_delete_clear(
    service: AIService, scored_campaign: int, openai_server: OpenAIServer
) -> None:
    a = service.generate(scored_campaign, "performance")
    b = service.generate(scored_campaign, "whitelist")
    assert service.insight(a.id) == a
    service.delete_insight(a.id)
    assert [r.id for r in service.insights(scored_campaign)] == [b.id]
    with pytest.raises(NotFoundError):
        service.insight(a.id)
    assert service.clear_insights(scored_campaign) == 1
    assert service.insights(scored_campaign) == []


def test_another_users_campaign_and_insights_are_not_found(
    service: AIService,
    workspace: Workspace,
    scored_campaign: int,
    openai_server: OpenAIServer,
    add_user: Callable[[Workspace, str, str], UserRef],
) -> None:
    mine = service.generate(scored_campaign, "performance")
    other = AIService(
        workspace.store, add_user(workspace, "uid-2", "b@example.com"), service.settings,
        lambda: ("sk-other", "environment"),
    )  # fmt: skip
    for call in (
        lambda: other.generate(scored_campaign, "performance"),
        lambda: other.offline_insight(scored_campaign, "performance"),
        lambda: other.insights(scored_campaign),
        lambda: other.insight(mine.id),
        lambda: other.delete_insight(mine.id),
        lambda: other.clear_insights(scored_campaign),
        lambda: other.chat(scored_campaign, "hi"),
        lambda: other.chat_history(scored_campaign),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert service.insights(scored_campaign) == [mine]


def test_rate_limit_refuses_and_resets(
    make_service: Callable[..., AIService],
    scored_campaign: int,
    openai_server: OpenAIServer,
    clock: Clock,
) -> None:
    service = make_service(requests_per_minute=2, requests_per_hour=3, cache_enabled=False)
    service.generate(scored_campaign, "performance")
    clock.advance(18)
    service.generate(scored_campaign, "performance")
    with pytest.raises(RateLimitedError) as caught:
        service.generate(scored_campaign, "performance")
    assert caught.value.retry_after_s == 42
    assert "try again in 42 s (at " in str(caught.value)
    assert len(openai_server.chat_requests) == 2
    status = service.status()
    assert (status.remaining_per_minute, status.remaining_per_hour) == (0, 1)
    clock.advance(42)
    service.generate(scored_campaign, "performance")  # the minute window slid
    clock.advance(60)
    with pytest.raises(RateLimitedError) as hourly:
        service.generate(scored_campaign, "performance")
    assert "per hour" in str(hourly.value)
    with pytest.raises(RateLimitedError):  # a batch counts as its number of types
        service.generate_batch(scored_campaign, ["performance", "whitelist"])
    clock.advance(3600)
    assert service.status().remaining_per_hour == 3
    assert not service.generate_batch(scored_campaign, ["performance", "whitelist"]).failures


def test_the_context_keeps_small_rates_and_shares_as_the_run_has_them(
    make_service: Callable[..., AIService], workspace: Workspace, scored_campaign: int
) -> None:
    """A CTR of 0.0018 or a share of 0.088 must reach the model as such, not as 0.0 or 0.09."""
    insight = make_service(key=None).generate(scored_campaign, "blacklist")
    lists = workspace.runs.lists(scored_campaign)
    block = lists.impact["block"]
    given = insight.context["list_impact"]["block"]["shares"]
    for column, share in block.shares.items():
        assert given[column] == pytest.approx(share, rel=0.01, abs=1e-12), column
    medians = workspace.runs.load_result(insight.run_id).summary["medians"]
    small = {name: value for name, value in medians.items() if value and 0 < abs(value) < 0.01}
    assert small  # the hostile little report has sub-1 % rates (CTR, conversion rate)
    for name, value in small.items():
        assert insight.context["campaign_medians"][name] == pytest.approx(value, rel=0.01), name
