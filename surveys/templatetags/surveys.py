"""Template helpers of the survey form: the answer to a question, the points of a scale."""

from django import template

register = template.Library()


@register.filter
def answer(answers, code):
    """``answers[code]`` or "" (answers may be None on a preview)."""
    if not answers:
        return ""
    return answers.get(code, "")


@register.filter
def scale(question):
    return range(int(question.get("min", 1)), int(question.get("max", 5)) + 1)
