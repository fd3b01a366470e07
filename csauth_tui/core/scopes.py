"""The known Contentsquare scopes and the one combination rule."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import RuleError

KNOWN_SCOPES: dict[str, str] = {
    "metrics": "Metrics API",
    "data-export": "Data Export API",
    "enrichment": "Enrichment API",
    "surveys": "Responses API (Voice of Customer)",
    "speed-analysis": "Speed Analysis Lab API",
}

EXCLUSIVE_SCOPE = "enrichment"


def normalize(scopes: Iterable[str]) -> tuple[str, ...]:
    """Strip, drop empties and duplicates, keep the user's order."""
    seen: dict[str, None] = {}
    for scope in scopes:
        for part in str(scope).split():
            seen.setdefault(part, None)
    return tuple(seen)


def combination_error(scopes: Iterable[str]) -> str | None:
    """Why this set of scopes cannot go in one token request, or None."""
    scopes = normalize(scopes)
    if not scopes:
        return "no scope given: pick at least one (e.g. metrics)"
    if EXCLUSIVE_SCOPE in scopes and len(scopes) > 1:
        others = ", ".join(s for s in scopes if s != EXCLUSIVE_SCOPE)
        return f"'enrichment' cannot be combined with other scopes ({others}); request it alone"
    return None


def unknown(scopes: Iterable[str]) -> list[str]:
    """Scopes this version does not know: worth a warning, never a refusal."""
    return [s for s in normalize(scopes) if s not in KNOWN_SCOPES]


def check(scopes: Iterable[str]) -> tuple[str, ...]:
    """Normalized scopes, or RuleError when they cannot be requested together."""
    scopes = normalize(scopes)
    problem = combination_error(scopes)
    if problem:
        raise RuleError(problem)
    return scopes
