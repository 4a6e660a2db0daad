"""Applying a relaxation that a person chose from the ones an infeasible draw proposed."""

from __future__ import annotations

from typing import Any, Mapping

from flask_babel import lazy_gettext as _l

from panel_service.errors import PanelError
from solvers.diagnose import apply_relaxation
from solvers.model import PanelRules, Relaxation


def apply(rules: PanelRules, relaxation: Mapping[str, Any]) -> PanelRules:
    """Return `rules` with one relaxation applied; unknown or stale ones raise PanelError."""
    try:
        return apply_relaxation(rules, Relaxation(str(relaxation.get("code")), dict(relaxation.get("params") or {})))
    except (KeyError, TypeError, ValueError) as error:
        raise PanelError(
            _l("The relaxation %(value)s cannot be applied (%(problem)s); choose one of those the failed draw proposed."),
            code="invalid_relaxation",
            value=str(dict(relaxation))[:200],
            problem=str(error)[:200],
        ) from None
