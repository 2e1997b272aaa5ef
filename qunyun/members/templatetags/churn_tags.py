"""Churn risk in templates: the stored reasons as sentences, a risk as a percentage."""

from __future__ import annotations

from typing import Any

from django import template

from qunyun.members.churn_words import churn_reason_sentences, feature_label

register = template.Library()


@register.filter
def churn_reasons_text(reasons: list[dict[str, Any]]) -> list[str]:
    """``member.churn_reasons|churn_reasons_text`` → the reasons in the active language."""
    return churn_reason_sentences(reasons)


@register.filter
def churn_feature_label(feature: str) -> str:
    return feature_label(feature)


@register.filter
def churn_percent(value: float | None, digits: int = 0) -> str:
    """0.4567 → "46%" (digits=0) or "45.7%" (digits=1); empty when there is no value."""
    if value is None:
        return ""
    return f"{value * 100:.{int(digits)}f}%"
