"""Template helpers of reports: a value of a row (dict) by a key held in a variable; the label of an evidence key."""

from django import template

register = template.Library()


@register.filter
def get(row, key):
    return row.get(key) if hasattr(row, "get") else None


@register.filter
def evidence_label(key):
    from reports.evidence import label

    return label(key)
