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


def question_results(
    user: User, year: int, quarter: int, questionnaire: Questionnaire, *, mo_id: int | None = None
) -> tuple[int, list[QuestionResult]]:
    """(responses, per question of the current version: answers per option, the scale's average, texts)."""
    responses = _responses(user, year, quarter, questionnaire, mo_id)
    total = responses.count()
    version = QuestionnaireVersion.objects.filter(questionnaire=questionnaire).order_by("-number").first()
    questions = version.questions if version else []
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
    for question in questions:
        code, kind = question["code"], question["kind"]
        result = QuestionResult(code=code, text=question["text"], kind=kind, answered=answered.get(code, 0))
        given = counts.get(code, {})
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
            result.options = [(value, label, given.get(value, 0)) for value, label in question["options"]]
        elif kind == QuestionKind.SCALE:
            points = range(question["min"], question["max"] + 1)
            result.options = [(str(n), str(n), given.get(str(n), 0)) for n in points]
            weight = sum(n * given.get(str(n), 0) for n in points)
            result.average = round(weight / result.answered, 2) if result.answered else None
        elif show_texts:
            result.texts = sorted(given)[:MAX_TEXTS]
        results.append(result)
    return total, results
