"""The decision confidence an analyst may give, checked in one place.

Its own module, free of the store: ``caliber score FILE --decision-confidence 95`` checks the
value before reading the report, and importing the campaign templates (SQLAlchemy, the store)
for that would cost the command ≈ 0.35 s of start-up.
"""

from __future__ import annotations

from caliber_desktop.errors import ValidationError

#: The range a decision confidence may take: above a coin flip, below certainty.
CONFIDENCE_RANGE = (0.5, 0.99)


def clean_confidence(raw: object) -> float | None:
    """A decision confidence (0.5–0.99, a share or a percentage), or None for the default."""
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(
            f"The decision confidence must be a number (got {raw!r}).", field="decision_confidence"
        ) from None
    if value > 1.0:  # 90 means 90 %
        value /= 100.0
    low, high = CONFIDENCE_RANGE
    if not low <= value <= high:
        raise ValidationError(
            f"The decision confidence must be between {low:.0%} and {high:.0%} (got {raw!r}).",
            field="decision_confidence",
            hint="90 % is the default: a site goes on a list when it is 90 % sure to belong there.",
        )
    return round(value, 4)
