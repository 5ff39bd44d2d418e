"""Survey results per MO and quarter: counts of answers per question and option, never persons' names [R II.14].

Set-based: one statement counts every answer of the scoped responses (``jsonb_each`` over the answers, a multiple
choice unnested), one more counts the responses per MO. An MO's staff read their MO's results (the scope of
SurveyResponse), SMO levels 2 and 3 their SMO's, the Fund all; free-text answers are shown as texts to the SMO and
the Fund only (a free text may name someone), to an MO as a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q

from omsportal.scoping import restrict
from participants.models import Organization, Role, User
from surveys.models import QuestionKind, Questionnaire, QuestionnaireVersion, SurveyResponse
from surveys.questionnaires import CHOICE_KINDS

MAX_TEXTS = 200


@dataclass
class QuestionResult:
    code: str
    text: str
    kind: str
    answered: int = 0
    options: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, count)
    average: float | None = None
    texts: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)  # the form's versions that asked it
    current: bool = True  # asked by the newest version (else only by an older one)

    def share(self, count: int) -> float:
        return round(100 * count / self.answered, 1) if self.answered else 0.0


def _responses(user: User, year: int, quarter: int, questionnaire: Questionnaire, mo_id: int | None):
    qs = restrict(SurveyResponse.objects.all(), user).filter(
        year=year, quarter=quarter, version__questionnaire=questionnaire
    )
    return qs.filter(mo_id=mo_id) if mo_id else qs


def results_by_mo(user: User, year: int, quarter: int, questionnaire: Questionnaire) -> list[dict]:
    """Responses per MO of the quarter (and per part of the quota)."""
    rows = (
        _responses(user, year, quarter, questionnaire, None)
        .order_by()
        .values("mo_id")
        .annotate(
            total=Count("id"),
            passed=Count("id", filter=Q(stratum="PASSED")),
            informed=Count("id", filter=Q(stratum="INFORMED")),
        )
    )
    rows = list(rows)
    mos = Organization.objects.in_bulk([row["mo_id"] for row in rows if row["mo_id"]])
    for row in rows:
        row["mo"] = mos.get(row["mo_id"])
    return sorted(rows, key=lambda row: row["mo"].code if row["mo"] else "")


def merged_questions(questionnaire: Questionnaire) -> list[tuple[dict, list[int], bool]]:
    """Every question ever asked by the form, merged by question code across its versions: (the question as its
    newest version asking it puts it — text, kind, options with those of older versions appended —, the versions
    that asked it, whether the newest version asks it). The newest version's questions come first, in its order,
    then those of older versions only (removed or renamed), so no answer given for an older version is lost."""
    versions = list(QuestionnaireVersion.objects.filter(questionnaire=questionnaire).order_by("-number"))
    merged: dict[str, dict] = {}
    asked: dict[str, list[int]] = {}
    for version in versions:
        for question in version.questions:
            code = question["code"]
            asked.setdefault(code, []).append(version.number)
            if code not in merged:
                merged[code] = {**question, "options": list(question.get("options") or [])}
                continue
            known = merged[code]
            if known["kind"] in CHOICE_KINDS:
                values = {value for value, _label in known["options"]}
                known["options"] += [[v, label] for v, label in question.get("options") or [] if v not in values]
            elif known["kind"] == QuestionKind.SCALE and question["kind"] == QuestionKind.SCALE:
                known["min"], known["max"] = min(known["min"], question["min"]), max(known["max"], question["max"])
    newest = {q["code"] for q in versions[0].questions} if versions else set()
    return [(merged[code], sorted(asked[code]), code in newest) for code in merged]


def question_results(
    user: User, year: int, quarter: int, questionnaire: Questionnaire, *, mo_id: int | None = None
) -> tuple[int, list[QuestionResult]]:
    """(responses, per question of any version — merged by code, merged_questions —: answers per option, the
    scale's average, texts). A question only older versions asked is shown when it has answers in the period; an
    answer whose value no version lists any more is shown under its value."""
    responses = _responses(user, year, quarter, questionnaire, mo_id)
    total = responses.count()
    questions = merged_questions(questionnaire)
    sub_sql, sub_params = responses.order_by().values("answers").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.key, v.value, COUNT(*)
            FROM ({sub_sql}) r
            CROSS JOIN LATERAL jsonb_each(r.answers) a
            CROSS JOIN LATERAL (
                SELECT jsonb_array_elements_text(a.value) WHERE jsonb_typeof(a.value) = 'array'
                UNION ALL SELECT a.value #>> '{{}}' WHERE jsonb_typeof(a.value) <> 'array'
            ) v(value)
            GROUP BY a.key, v.value
            """,  # noqa: S608 # nosec B608 - the ORM's own SQL of the scoped responses; values are parameters
            sub_params,
        )
        counts: dict[str, dict[str, int]] = {}
        for key, value, n in cursor.fetchall():
            counts.setdefault(key, {})[value] = n
        cursor.execute(
            f"SELECT a.key, COUNT(*) FROM ({sub_sql}) r CROSS JOIN LATERAL jsonb_each(r.answers) a GROUP BY a.key",  # noqa: S608 # nosec B608
            sub_params,
        )
        answered = dict(cursor.fetchall())
    show_texts = user.role != Role.MO_STAFF
    results = []
    for question, asked_by, current in questions:
        code, kind = question["code"], question["kind"]
        if not current and not answered.get(code):
            continue
        result = QuestionResult(code=code, text=question["text"], kind=kind, answered=answered.get(code, 0),
                                versions=asked_by, current=current)  # fmt: skip
        given = counts.get(code, {})
        if kind in CHOICE_KINDS:
            result.options = [(value, label, given.get(value, 0)) for value, label in question["options"]]
            listed = {value for value, _label in question["options"]}
            result.options += [(value, value, n) for value, n in sorted(given.items()) if value not in listed]
        elif kind == QuestionKind.SCALE:
            points = range(question["min"], question["max"] + 1)
            result.options = [(str(n), str(n), given.get(str(n), 0)) for n in points]
            result.options += [(v, v, n) for v, n in sorted(given.items()) if v not in {str(p) for p in points}]
            weight = sum(n * given.get(str(n), 0) for n in points)
            result.average = round(weight / result.answered, 2) if result.answered else None
        elif show_texts:
            result.texts = sorted(given)[:MAX_TEXTS]
        results.append(result)
    return total, results
