"""The shape of a questionnaire version and the one check of a form's questions and of the answers given to it.

A version's ``questions`` is an ordered list of dicts::

    {"code": "came", "text": "Вы проходили диспансеризацию?", "kind": "single", "required": true,
     "options": [["yes", "Да"], ["no", "Нет"]]}
    {"code": "why", "text": "Почему?", "kind": "multi", "required": true,
     "options": [["time", "Нет времени"], ...], "show_if": {"question": "came", "in": ["no"]}}
    {"code": "score", "text": "Оцените", "kind": "scale", "min": 1, "max": 5}
    {"code": "comment", "text": "Пожелания", "kind": "text"}

``show_if`` is the simple condition of the issue (ask B only if A is "no"): the question is asked when the answer
to an earlier choice or scale question is one of ``in``. A hidden question is never required and its answer, if
sent, is dropped. The form editor, the operators' page and the API all check through :func:`check_questions`
and :func:`clean_answers`, so a form cannot be saved in a shape the answer check does not understand.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from surveys.models import QuestionKind

CODE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTI)
MAX_QUESTIONS = 100
MAX_OPTIONS = 50
MAX_TEXT_ANSWER = 2000
MAX_LABEL = 500


class QuestionsError(ValueError):
    """The questions of a form are not valid: ``errors`` are Russian messages naming the question and field."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _where(number: int, field: str) -> str:
    return _("Вопрос %(number)s, поле «%(field)s»") % {"number": number, "field": field}


def check_questions(questions: Any) -> list[dict]:
    """The questions, normalized (kinds, required as bool, options as [value, label]); QuestionsError if not valid."""
    if not isinstance(questions, list) or not questions:
        raise QuestionsError([_("В анкете должен быть хотя бы один вопрос (список вопросов).")])
    if len(questions) > MAX_QUESTIONS:
        raise QuestionsError([_("В анкете не больше %(max)s вопросов.") % {"max": MAX_QUESTIONS}])
    errors: list[str] = []
    seen: dict[str, dict] = {}
    clean: list[dict] = []
    for number, raw in enumerate(questions, start=1):
        if not isinstance(raw, dict):
            errors.append(_("Вопрос %(number)s: ожидается объект с полями code, text, kind.") % {"number": number})
            continue
        code, text, kind = raw.get("code"), raw.get("text"), raw.get("kind")
        if not isinstance(code, str) or not CODE.match(code):
            errors.append(_where(number, "code") + ": " + _("латинские строчные буквы, цифры и _, с буквы, до 30"))
            continue
        if code in seen:
            errors.append(_where(number, "code") + ": " + _("код «%(code)s» уже есть в анкете") % {"code": code})
            continue
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_LABEL:
            errors.append(_where(number, "text") + ": " + _("текст вопроса обязателен (до 500 знаков)"))
        if kind not in QuestionKind.values:
            errors.append(_where(number, "kind") + ": " + _("одно из: single, multi, scale, text"))
            continue
        question: dict = {
            "code": code,
            "text": (text or "").strip(),
            "kind": kind,
            "required": bool(raw.get("required")),
        }
        if kind in CHOICE_KINDS:
            options = raw.get("options")
            values = []
            if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
                errors.append(_where(number, "options") + ": " + _("от 2 до 50 вариантов [значение, подпись]"))
            else:
                for option in options:
                    if (
                        not isinstance(option, list | tuple)
                        or len(option) != 2
                        or not all(isinstance(part, str) and part.strip() for part in option)
                    ):
                        errors.append(_where(number, "options") + ": " + _("вариант — пара [значение, подпись]"))
                        break
                    values.append([option[0].strip(), option[1].strip()])
                if len({value for value, _label in values}) != len(values):
                    errors.append(_where(number, "options") + ": " + _("значения вариантов повторяются"))
            question["options"] = values
        elif kind == QuestionKind.SCALE:
            low, high = raw.get("min", 1), raw.get("max", 5)
            if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high <= 10):
                errors.append(_where(number, "min/max") + ": " + _("целые числа, 0 ≤ min < max ≤ 10"))
            question["min"], question["max"] = low, high
        condition = raw.get("show_if")
        if condition is not None:
            target = seen.get(condition.get("question")) if isinstance(condition, dict) else None
            allowed = set(_answer_values(target)) if target else set()
            wanted = condition.get("in") if isinstance(condition, dict) else None
            if target is None or target["kind"] == QuestionKind.TEXT:
                errors.append(
                    _where(number, "show_if")
                    + ": "
                    + _("условие ссылается на предыдущий вопрос с вариантами или шкалой")
                )
            elif not isinstance(wanted, list) or not wanted or not set(map(str, wanted)) <= allowed:
                errors.append(_where(number, "show_if") + ": " + _("«in» — непустой список значений того вопроса"))
            else:
                question["show_if"] = {"question": target["code"], "in": [str(value) for value in wanted]}
        seen[code] = question
        clean.append(question)
    if errors:
        raise QuestionsError(errors)
    return clean


def _answer_values(question: dict) -> list[str]:
    if question["kind"] in CHOICE_KINDS:
        return [value for value, _label in question.get("options", [])]
    if question["kind"] == QuestionKind.SCALE:
        return [str(n) for n in range(question["min"], question["max"] + 1)]
    return []


def is_asked(question: dict, answers: dict) -> bool:
    """Whether the question is asked, given the answers so far (its ``show_if`` condition)."""
    condition = question.get("show_if")
    if not condition:
        return True
    given = answers.get(condition["question"])
    if given is None:
        return False
    given_values = {str(v) for v in given} if isinstance(given, list) else {str(given)}
    return bool(given_values & set(condition["in"]))


def clean_answers(questions: list[dict], raw: dict) -> tuple[dict, dict[str, str]]:
    """The answers to keep ({code: value}: a string, a list of strings, an int for a scale) and the errors per
    question code, in Russian. Hidden questions are dropped, required visible ones must be answered."""
    answers: dict = {}
    errors: dict[str, str] = {}
    for question in questions:
        code, kind = question["code"], question["kind"]
        if not is_asked(question, answers):
            continue
        value = raw.get(code)
        if isinstance(value, list) and kind != QuestionKind.MULTI:
            value = value[0] if value else None
        if value in (None, "", []):
            if question.get("required"):
                errors[code] = _("Обязательный вопрос.")
            continue
        allowed = _answer_values(question)
        if kind == QuestionKind.SINGLE:
            if str(value) not in allowed:
                errors[code] = _("Выберите один из вариантов.")
                continue
            answers[code] = str(value)
        elif kind == QuestionKind.MULTI:
            values = value if isinstance(value, list) else [value]
            values = [str(v) for v in values]
            if not set(values) <= set(allowed):
                errors[code] = _("Выберите варианты из списка.")
                continue
            answers[code] = [v for v in allowed if v in values]
        elif kind == QuestionKind.SCALE:
            if str(value) not in allowed:
                errors[code] = _("Оценка от %(min)s до %(max)s.") % {"min": question["min"], "max": question["max"]}
                continue
            answers[code] = int(value)
        else:
            text = str(value).strip()
            if len(text) > MAX_TEXT_ANSWER:
                errors[code] = _("Не больше %(max)s знаков.") % {"max": MAX_TEXT_ANSWER}
                continue
            if text:
                answers[code] = text
            elif question.get("required"):
                errors[code] = _("Обязательный вопрос.")
    return answers, errors


def option_label(question: dict, value) -> str:
    for option_value, label in question.get("options", []):
        if option_value == str(value):
            return label
    return str(value)
