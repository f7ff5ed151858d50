"""Campaign templates: CRUD, names, the "in use" rule, copying into campaigns, settings rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from caliber_desktop.errors import ConflictError, NotFoundError, ValidationError
from caliber_desktop.models import Campaign, labels
from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.services.records import SETTING_FIELDS, CampaignSettings
from caliber_desktop.services.workspace import Workspace

OTHER_SETTINGS: dict[str, Any] = {
    "platform": "pulsepoint",
    "goal": "awareness",
    "channel": "display",
    "ctr_sensitivity": False,
    "analysis_level": "domain",
}


def stored_weights(ws: Workspace, campaign_id: int) -> dict[str, float] | None:
    with ws.store.read() as session:
        row = session.get(Campaign, campaign_id)
        assert row is not None
        return row.custom_weights


# ----------------------------------------------------------------------------- CRUD


def test_create_get_list_update_delete(workspace: Workspace, settings) -> None:
    service = workspace.templates
    created = service.create(
        "  Video   action  ", settings, description=" cpa ", custom_weights={"vcr": 2, "ctr": "0.5"}
    )
    assert created.name == "Video action"
    assert created.description == "cpa"
    assert created.settings == CampaignSettings.from_mapping(settings)
    assert created.custom_weights == {"vcr": 2.0, "ctr": 0.5}
    assert created.campaigns_using == 0
    assert service.get(created.id) == created

    second = service.create("Display awareness", OTHER_SETTINGS)
    assert [t.id for t in service.list()] == [second.id, created.id]  # newest first

    updated = service.update(
        created.id,
        name="Video action v2",
        description="new",
        settings={"goal": "awareness", "ctr_sensitivity": "no"},
        custom_weights={"vcr": 1},
    )
    assert (updated.name, updated.description) == ("Video action v2", "new")
    assert updated.settings.goal is Goal.AWARENESS
    assert updated.settings.ctr_sensitivity is False
    assert updated.settings.channel is Channel.VIDEO  # untouched fields stay
    assert updated.custom_weights == {"vcr": 1.0}
    assert service.get(created.id) == updated

    service.delete(created.id)
    with pytest.raises(NotFoundError):
        service.get(created.id)
    assert [t.id for t in service.list()] == [second.id]


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 256])
def test_a_template_needs_a_sensible_name(workspace: Workspace, settings, name) -> None:
    with pytest.raises(ValidationError) as caught:
        workspace.templates.create(name, settings)
    assert caught.value.field == "name"
    assert workspace.templates.list() == []


@pytest.mark.parametrize(
    ("weights", "problem"),
    [({"ctr": "lots"}, "number"), ({"ctr": -1}, "zero or more"), ({"a": 0, "b": 0}, "above zero")],
)
def test_custom_weights_are_checked(workspace: Workspace, settings, weights, problem) -> None:
    with pytest.raises(ValidationError, match=problem) as caught:
        workspace.templates.create("Weighted", settings, custom_weights=weights)
    assert caught.value.field == "custom_weights"


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize("second", ["Display", "DISPLAY", "  display ", "dIsPlAy"])
def test_duplicate_names_are_refused_case_insensitively(
    workspace: Workspace, settings, second
) -> None:
    workspace.templates.create("Display", settings)
    with pytest.raises(ConflictError, match="already have a template named"):
        workspace.templates.create(second, settings)
    assert len(workspace.templates.list()) == 1


@given(
    name=st.text(
        alphabet=st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F),
        min_size=1,
        max_size=12,
    ),
    data=st.data(),
)
@hsettings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_duplicate_names_are_refused_for_any_letter_case(
    workspace: Workspace, settings, name: str, data: st.DataObject
) -> None:
    """Accented capitals too: SQLite's lower() folds only ASCII, the rule must not."""
    variant = "".join(
        data.draw(st.sampled_from(sorted({ch, ch.upper(), ch.lower()}))) for ch in name
    )
    # "Same name" means equal after Unicode case folding (so "ı".upper() == "I" is another name).
    clashes = [
        v for v in (variant, variant.upper(), variant.lower()) if v.casefold() == name.casefold()
    ]
    first = workspace.templates.create(name, settings)
    try:
        for clash in clashes:
            with pytest.raises(ConflictError):
                workspace.templates.create(clash, settings)
        assert [t.id for t in workspace.templates.list()] == [first.id]
    finally:
        for template in workspace.templates.list():
            workspace.templates.delete(template.id)


def test_renaming_to_a_taken_name_is_refused(workspace: Workspace, settings) -> None:
    first = workspace.templates.create("First", settings)
    workspace.templates.create("Second", settings)
    with pytest.raises(ConflictError):
        workspace.templates.update(first.id, name="SECOND")
    assert workspace.templates.get(first.id).name == "First"


def test_a_template_can_change_the_case_of_its_own_name(workspace: Workspace, settings) -> None:
    template = workspace.templates.create("display awareness", settings)
    renamed = workspace.templates.update(template.id, name="Display Awareness")
    assert renamed.name == "Display Awareness"
    assert workspace.templates.update(template.id, name="Display Awareness").name == (
        "Display Awareness"
    )


def test_two_users_may_use_the_same_name(workspace: Workspace, settings, add_user) -> None:
    other = add_user(workspace, "uid-b", "b@example.com")
    workspace.templates.create("Shared name", settings)
    workspace.bind(other)
    assert workspace.templates.create("shared NAME", settings).name == "shared NAME"


# ----------------------------------------------------------------------------- in use


def test_a_template_in_use_cannot_be_deleted_until_its_campaign_is(
    workspace: Workspace, settings
) -> None:
    template = workspace.templates.create("Busy template", settings)
    campaign = workspace.campaigns.create("Q4 Retail push", template_id=template.id)
    assert workspace.templates.get(template.id).campaigns_using == 1

    with pytest.raises(ConflictError) as caught:
        workspace.templates.delete(template.id)
    assert "Q4 Retail push" in str(caught.value)
    assert "Busy template" in str(caught.value)
    assert workspace.templates.get(template.id).campaigns_using == 1

    workspace.campaigns.delete(campaign.id)
    assert workspace.templates.get(template.id).campaigns_using == 0
    workspace.templates.delete(template.id)
    assert workspace.templates.list() == []


# ----------------------------------------------------------------------------- copying


def test_a_campaign_copies_all_settings_and_weights_and_keeps_them(
    workspace: Workspace, settings
) -> None:
    weights = {"vcr": 3.0, "ctr": 0.25, "viewability": 1.0}
    template = workspace.templates.create(
        "Source",
        {**settings, "platform": "pulsepoint"},
        custom_weights=weights,
    )
    expected = CampaignSettings(
        platform=Platform.PULSEPOINT,
        goal=Goal.ACTION,
        channel=Channel.VIDEO,
        ctr_sensitivity=True,
        analysis_level=AnalysisLevel.SUPPLY_VENDOR,
    )
    campaign = workspace.campaigns.create("Copy", template_id=template.id)
    assert campaign.template_id == template.id
    assert campaign.settings == expected
    assert campaign.custom_weights == weights
    assert stored_weights(workspace, campaign.id) == weights

    workspace.templates.update(template.id, settings=OTHER_SETTINGS, custom_weights={"ctr": 9})
    assert workspace.templates.get(template.id).settings == CampaignSettings.from_mapping(
        OTHER_SETTINGS
    )

    assert workspace.campaigns.get(campaign.id).settings == expected
    assert workspace.campaigns.get(campaign.id).custom_weights == weights
    assert stored_weights(workspace, campaign.id) == weights


def test_settings_given_with_a_template_override_single_fields(
    workspace: Workspace, settings
) -> None:
    template = workspace.templates.create("Base", settings)
    campaign = workspace.campaigns.create(
        "Tweaked", template_id=template.id, settings={"channel": "display"}
    )
    assert campaign.settings.channel is Channel.DISPLAY
    assert campaign.settings.goal is Goal.ACTION
    assert workspace.templates.get(template.id).settings.channel is Channel.VIDEO


# ----------------------------------------------------------------------------- settings rules


@pytest.mark.parametrize("missing", SETTING_FIELDS)
@pytest.mark.parametrize("how", ["absent", "none", "empty"])
def test_each_missing_explicit_setting_is_named(
    workspace: Workspace, settings, missing: str, how: str
) -> None:
    raw = dict(settings)
    if how == "absent":
        del raw[missing]
    else:
        raw[missing] = None if how == "none" else ""

    for create in (
        lambda: workspace.templates.create("No " + missing, raw),
        lambda: workspace.campaigns.create("No " + missing, settings=raw),
    ):
        with pytest.raises(ValidationError) as caught:
            create()
        assert caught.value.field == missing
        word = labels.in_sentence(labels.setting(missing))
        assert f"Missing campaign setting: {word}." in str(caught.value)
    assert workspace.templates.list() == []
    assert workspace.campaigns.list().total == 0


def test_several_missing_settings_are_all_named(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        workspace.campaigns.create("Bare", settings={"platform": "trade_desk"})
    message = str(caught.value)
    assert "Missing campaign settings: goal, channel, CTR sensitivity, analysis level." in message
    assert caught.value.field == "goal"


def test_no_settings_and_no_template_is_refused(workspace: Workspace) -> None:
    with pytest.raises(ValidationError, match="all five settings are required"):
        workspace.campaigns.create("Nothing")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("platform", "dv360"),
        ("goal", "reach"),
        ("channel", "radio"),
        ("analysis_level", "publisher"),
        ("ctr_sensitivity", "sometimes"),
    ],
)
def test_invalid_values_are_named(workspace: Workspace, settings, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        workspace.templates.create("Bad", {**settings, field: value})
    assert caught.value.field == field
    assert field in str(caught.value)
    assert repr(value) in str(caught.value)
    assert workspace.templates.list() == []


def test_values_are_accepted_in_friendly_spellings(workspace: Workspace) -> None:
    record = workspace.templates.create(
        "Friendly",
        {
            "platform": "Trade Desk",
            "goal": "ACTION",
            "channel": " CTV ",
            "ctr_sensitivity": "yes",
            "analysis_level": "supply-vendor",
        },
    )
    assert record.settings == CampaignSettings(
        Platform.TRADE_DESK, Goal.ACTION, Channel.CTV, True, AnalysisLevel.SUPPLY_VENDOR
    )


@pytest.mark.parametrize("channel", ["ctv", "audio"])
def test_pulsepoint_cannot_be_scored_for_ctv_or_audio(
    workspace: Workspace, settings, channel: str
) -> None:
    raw = {**settings, "platform": "pulsepoint", "channel": channel}
    with pytest.raises(ValidationError, match="PulsePoint") as caught:
        workspace.templates.create("PP " + channel, raw)
    assert caught.value.field == "channel"
    with pytest.raises(ValidationError, match="PulsePoint"):
        workspace.campaigns.create("PP " + channel, settings=raw)

    template = workspace.templates.create("PP display", {**raw, "channel": "display"})
    with pytest.raises(ValidationError, match="PulsePoint"):
        workspace.templates.update(template.id, settings={"channel": channel})
    with pytest.raises(ValidationError, match="PulsePoint"):
        workspace.campaigns.create("PP", template_id=template.id, settings={"channel": channel})
    assert workspace.templates.get(template.id).settings.channel is Channel.DISPLAY


def test_unknown_setting_names_are_refused(workspace: Workspace, settings) -> None:
    template = workspace.templates.create("Known", settings)
    with pytest.raises(ValidationError) as caught:
        workspace.templates.update(template.id, settings={"budget": 10})
    assert caught.value.field == "budget"


def test_a_template_carries_its_decision_confidence_to_its_campaigns(
    workspace: Workspace, settings
) -> None:
    service = workspace.templates
    sure = service.create("Sure", settings, decision_confidence=95)  # 95 means 95 %
    assert sure.decision_confidence == 0.95
    assert service.create("Default", OTHER_SETTINGS).decision_confidence is None
    campaign = workspace.campaigns.create("From sure", template_id=sure.id)
    assert campaign.decision_confidence == 0.95
    own = workspace.campaigns.create("Own", template_id=sure.id, decision_confidence=0.8)
    assert own.decision_confidence == 0.8
    assert service.update(sure.id, decision_confidence=None).decision_confidence is None
    assert service.update(sure.id, name="Sure v2").decision_confidence is None  # unchanged
    assert workspace.campaigns.get(campaign.id).decision_confidence == 0.95  # a copy


@pytest.mark.parametrize("value", [0.3, 1.5, 100, "high", -1])
def test_a_decision_confidence_outside_50_to_99_percent_is_refused(
    workspace: Workspace, settings, value: object
) -> None:
    with pytest.raises(ValidationError, match="decision confidence") as caught:
        workspace.templates.create("Odd", settings, decision_confidence=value)  # type: ignore[arg-type]
    assert caught.value.field == "decision_confidence"
