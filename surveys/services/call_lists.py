"""Call lists: created by level 2 from a rule and built as a job; closed when worked [R II.14, O14, L2].

Rules (``CallList.purpose``):

- ``QUOTA``: the quarterly survey sample of O14 per MO — for each MO (or the one given) and each part of the quota
  (passed; informed and not passed), as many persons as the quota still lacks after the persons surveyed this
  quarter (from any list) and those still waiting on an open item, drawn at random from the candidates
  (surveys.quotas says who they are); a person whose item closed without a survey may be drawn again;
- ``FOLLOWUP``: the persons of an informing batch sent by phone, to reach them by a call;
- ``NOT_REACHED``: the persons whose items of this quarter ended without reaching them (all tries used), again.

The random draw is ``ORDER BY md5(seed:person_id)`` within each MO and part: the seed is recorded on the list, so
the same seed over the same candidates gives the same sample (:func:`call_list_sample` redraws it for an audit).
Left out and counted on the list: persons who refused informing, persons with no phone, persons already on an
open list of the same purpose — the last also held by the partial unique index on CallItem, so no builder can
put a person on two open lists of one purpose, and builders of one SMO run in turn (a lock).
The whole build is one transaction and one set of statements (a temporary table of candidates, counts, one
``INSERT … SELECT``), whatever the size of the region.
"""

from __future__ import annotations

import secrets

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal import locks
from omsportal.jobs.dispatch import enqueue_job
from omsportal.jobs.models import JobStatus
from omsportal.regional import regional_rules
from omsportal.scoping import restrict
from participants.models import Organization, OrganizationKind, Role, User
from screening.selectors.passed import passed_sql
from surveys.models import CallList, CallPurpose, ItemState, QuestionnaireVersion
from surveys.quotas import informed_facts_sql, quarter_bounds, sql_quota

CALL_LIST_BUILD = "surveys.call_list_build"
SEED_MAX = 2**62


class CallListError(ValueError):
    """A rule that cannot be built: the Russian message says which field and why."""


def call_list_create(
    *,
    user: User,
    purpose: str,
    year: int,
    quarter: int,
    version: QuestionnaireVersion | None,
    mo: Organization | None = None,
    seed: int | None = None,
    rule: dict | None = None,
) -> CallList:
    """Create the list (PENDING) and start its build; the seed is drawn here unless given (to rebuild a sample)."""
    if user.role != Role.SMO_L2 or not user.organization_id:
        raise PermissionError("level 2 of an SMO builds call lists")
    if purpose not in CallPurpose.values:
        raise CallListError(_("Правило: одно из предложенных."))
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise CallListError(_("Период: год 2000–2100, квартал 1–4."))
    if mo is not None and mo.kind != OrganizationKind.MO:
        raise CallListError(_("МО: выберите медицинскую организацию."))
    if seed is not None and not 0 <= seed < SEED_MAX:
        raise CallListError(_("Зерно выборки: целое число от 0 до 2^62."))
    if version is not None and not restrict(QuestionnaireVersion.objects.all(), user).filter(pk=version.pk).exists():
        raise CallListError(_("Выберите анкету вашей СМО или общую анкету."))
    rule = dict(rule or {})
    if purpose == CallPurpose.FOLLOWUP and not str(rule.get("batch", "")).isdigit():
        raise CallListError(_("Дозвон после рассылки: укажите номер рассылки."))
    with transaction.atomic():
        call_list = CallList.objects.create(
            smo_id=user.organization_id,
            mo=mo,
            year=year,
            quarter=quarter,
            purpose=purpose,
            rule=rule,
            seed=secrets.randbelow(SEED_MAX) if seed is None else seed,
            version=version,
            created_by=user,
        )
        enqueue_job(CALL_LIST_BUILD, call_list.pk)
    return call_list


@transaction.atomic
def call_list_close(*, user: User, call_list: CallList) -> int:
    """Close the list: its persons may go on a new list of the same purpose; items not yet closed stay as they are
    (they are no longer handed out). Returns the number of items released."""
    if user.role != Role.SMO_L2 or call_list.smo_id != user.organization_id:
        raise PermissionError("level 2 of the list's SMO closes it")
    CallList.objects.filter(pk=call_list.pk).update(is_open=False, closed_at=timezone.now())
    return call_list.items.filter(is_open=True).update(is_open=False)


# --- the build (run by the job kit) ---------------------------------------------------------------------------


def _candidates_quota(call_list: CallList) -> tuple[str, list]:
    """(person_id, mo_id, stratum) of the quota's candidates of the list's SMO and quarter, with the need per
    (MO, stratum) left after this quarter's quota lists."""
    start, end = quarter_bounds(call_list.year, call_list.quarter)
    on = min(end, timezone.localdate())
    informed_sql, informed_params = informed_facts_sql(start, end)
    mo_filter_p = "AND p.mo_id = %s" if call_list.mo_id else ""
    mo_filter_i = "AND i.mo_id = %s" if call_list.mo_id else ""
    sql = f"""
        WITH passed AS ({passed_sql()}),
        passed_c AS (
            SELECT DISTINCT p.person_id, p.mo_id, 'PASSED' AS stratum
            FROM passed p
            JOIN participants_policyperiod pp ON pp.person_id = p.person_id AND pp.smo_id = %s
                AND pp.date_from <= %s AND (pp.date_to IS NULL OR pp.date_to >= %s)
            WHERE p.year = %s AND p.passed_on BETWEEN %s AND %s {mo_filter_p}
        ),
        informed_c AS (
            SELECT DISTINCT i.person_id, i.mo_id, 'INFORMED' AS stratum
            FROM ({informed_sql}) i
            WHERE i.smo_id = %s {mo_filter_i} AND NOT EXISTS (
                SELECT 1 FROM passed p WHERE p.person_id = i.person_id AND p.year = %s AND p.passed_on <= %s
            )
        )
        SELECT DISTINCT ON (person_id) person_id, mo_id, stratum
        FROM (SELECT * FROM passed_c UNION ALL SELECT * FROM informed_c) c
        ORDER BY person_id, stratum DESC
    """  # noqa: S608 # nosec B608 - constants of this module and the ORM's SQL; values are parameters
    params: list = [call_list.smo_id, on, on, call_list.year, start, end]
    if call_list.mo_id:
        params.append(call_list.mo_id)
    params += [*informed_params, call_list.smo_id]
    if call_list.mo_id:
        params.append(call_list.mo_id)
    params += [call_list.year, end]
    return sql, params


def _candidates_followup(call_list: CallList) -> tuple[str, list]:
    """The persons of the SMO's informing batch named by the rule (its phone messages, else all of them)."""
    from informing.models import Batch, BatchMessage

    batch_id = int(call_list.rule.get("batch", 0))
    if not Batch.objects.filter(pk=batch_id, smo_id=call_list.smo_id).exists():
        raise CallListError(_("Рассылка № %(n)s этой СМО не найдена.") % {"n": batch_id})
    messages = BatchMessage.objects.filter(batch_id=batch_id)
    if messages.filter(channel="PHONE").exists():
        messages = messages.filter(channel="PHONE")
    qs = messages.order_by().values("person_id", "mo_id").distinct()
    sql, params = qs.query.sql_with_params()
    # Each person in the quota's part they belong to in the list's quarter (passed, informed and not passed), as a
    # quota list would put them, so that their survey counts toward that part; the others are OTHER.
    groups_sql, groups_params = _candidates_quota(call_list)
    return (
        f"""SELECT DISTINCT ON (m.person_id) m.person_id, coalesce(g.mo_id, m.mo_id) AS mo_id,
                   coalesce(g.stratum, 'OTHER') AS stratum
            FROM ({sql}) m LEFT JOIN ({groups_sql}) g ON g.person_id = m.person_id
            ORDER BY m.person_id""",  # noqa: S608 # nosec B608 - the ORM's SQL and this module's; values are parameters
        [*params, *groups_params],
    )


def _candidates_not_reached(call_list: CallList) -> tuple[str, list]:
    """The persons of this SMO's items of the quarter closed as not reached (all tries used), latest item first;
    not those surveyed in the quarter since (reached on another list)."""
    sql = """
        SELECT DISTINCT ON (i.person_id) i.person_id, i.mo_id, i.stratum
        FROM surveys_callitem i JOIN surveys_calllist l ON l.id = i.call_list_id
        WHERE i.smo_id = %s AND l.year = %s AND l.quarter = %s AND i.outcome = 'NOT_REACHED'
          AND l.id <> %s AND (%s::bigint IS NULL OR i.mo_id = %s)
          AND NOT EXISTS (SELECT 1 FROM surveys_surveyresponse r WHERE r.person_id = i.person_id
                          AND r.smo_id = i.smo_id AND r.year = l.year AND r.quarter = l.quarter)
        ORDER BY i.person_id, i.id DESC
    """
    return sql, [call_list.smo_id, call_list.year, call_list.quarter, call_list.pk, call_list.mo_id, call_list.mo_id]


CANDIDATES = {
    CallPurpose.QUOTA: _candidates_quota,
    CallPurpose.FOLLOWUP: _candidates_followup,
    CallPurpose.NOT_REACHED: _candidates_not_reached,
}


def _fill_candidates(cursor, call_list: CallList) -> None:
    """The temporary table ``cand``: every candidate with the phone to call, opt-out and the open-list mark."""
    sql, params = CANDIDATES[call_list.purpose](call_list)
    cursor.execute("DROP TABLE IF EXISTS cand")
    cursor.execute(
        f"""
        CREATE TEMP TABLE cand ON COMMIT DROP AS
        SELECT c.person_id, c.mo_id, c.stratum,
               COALESCE(NULLIF(p.phone, ''), (
                   SELECT e.phone FROM screening_listentry e
                   WHERE e.person_id = c.person_id AND e.year = %s AND e.phone <> '' LIMIT 1
               ), '') AS phone,
               p.informing_opt_out AS opted_out,
               EXISTS (SELECT 1 FROM surveys_callitem o
                       WHERE o.person_id = c.person_id AND o.purpose = %s AND o.is_open) AS on_open,
               md5(%s || ':' || c.person_id::text) AS draw
        FROM ({sql}) c JOIN participants_person p ON p.id = c.person_id
        """,  # noqa: S608 # nosec B608 - the candidates' SQL is this module's own
        [call_list.year, call_list.purpose, str(call_list.seed), *params],
    )


def _need_sql(call_list: CallList) -> tuple[str, list]:
    """Per (MO, stratum) how many persons the list takes: for QUOTA the quota less the persons already surveyed this
    quarter (from any list of the SMO) and less those still waiting on an open item of the quarter (not yet closed);
    everyone otherwise. Persons whose item closed without a survey (refused, not reached, wrong number) no longer
    count, so the quota is refilled by the next build."""
    if call_list.purpose != CallPurpose.QUOTA:
        return "SELECT mo_id, stratum, 2147483647 AS need FROM cand GROUP BY mo_id, stratum", []
    rules = regional_rules()
    # The quota counts all candidates of the MO (excluded ones too: they are part of "passed" / "informed").
    sql = f"""
        SELECT c.mo_id, c.stratum,
               GREATEST(0, CASE WHEN c.stratum = 'PASSED' THEN {sql_quota("c.n", rules.survey_quota_passed_percent)}
                                ELSE {sql_quota("c.n", rules.survey_quota_informed_percent)} END
                        - COALESCE(t.taken, 0)) AS need
        FROM (SELECT mo_id, stratum, COUNT(*)::int AS n FROM cand GROUP BY mo_id, stratum) c
        LEFT JOIN (
            SELECT u.mo_id, u.stratum, COUNT(DISTINCT u.person_id)::int AS taken FROM (
                SELECT r.mo_id, r.stratum, r.person_id FROM surveys_surveyresponse r
                WHERE r.smo_id = %s AND r.year = %s AND r.quarter = %s AND r.person_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM surveys_callitem x WHERE x.id = r.item_id AND x.call_list_id = %s)
                UNION ALL
                SELECT i.mo_id, i.stratum, i.person_id
                FROM surveys_callitem i JOIN surveys_calllist l ON l.id = i.call_list_id
                WHERE l.smo_id = %s AND l.year = %s AND l.quarter = %s AND l.id <> %s
                  AND i.is_open AND i.state <> 'DONE'
            ) u
            GROUP BY u.mo_id, u.stratum
        ) t ON t.mo_id = c.mo_id AND t.stratum = c.stratum
    """  # noqa: S608 # nosec B608 - the quota expressions are integers of this module
    # The list's own items and surveys never count (an audit's redraw of a worked list draws as its build did).
    period = [call_list.smo_id, call_list.year, call_list.quarter]
    return sql, [*period, call_list.pk, *period, call_list.pk]


def _already_sampled_sql(call_list: CallList) -> tuple[str, list]:
    """Not drawn again for the quota: persons surveyed this quarter, and persons waiting on an open item of the
    quarter (they count as taken); a person whose item closed without a survey may be drawn again."""
    if call_list.purpose != CallPurpose.QUOTA:
        return "FALSE", []
    return (
        "(EXISTS (SELECT 1 FROM surveys_surveyresponse sr WHERE sr.person_id = c.person_id AND sr.smo_id = %s"
        " AND sr.year = %s AND sr.quarter = %s AND NOT EXISTS (SELECT 1 FROM surveys_callitem sx"
        " WHERE sx.id = sr.item_id AND sx.call_list_id = %s))"
        " OR EXISTS (SELECT 1 FROM surveys_callitem s JOIN surveys_calllist sl ON sl.id = s.call_list_id"
        " WHERE s.person_id = c.person_id AND sl.smo_id = %s AND sl.year = %s AND sl.quarter = %s"
        " AND sl.id <> %s AND s.is_open AND s.state <> 'DONE'))",
        [call_list.smo_id, call_list.year, call_list.quarter, call_list.pk] * 2,
    )


def _drawn_sql(call_list: CallList) -> tuple[str, list]:
    """The persons the draw takes: eligible candidates ranked by the seeded hash within (MO, stratum), up to need."""
    need_sql, need_params = _need_sql(call_list)
    sampled_sql, sampled_params = _already_sampled_sql(call_list)
    sql = f"""
        SELECT r.person_id, r.mo_id, r.stratum, r.phone FROM (
            SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.mo_id, c.stratum ORDER BY c.draw, c.person_id) AS rank
            FROM cand c
            WHERE NOT c.opted_out AND c.phone <> '' AND NOT c.on_open AND NOT {sampled_sql}
        ) r JOIN ({need_sql}) n ON n.mo_id IS NOT DISTINCT FROM r.mo_id AND n.stratum = r.stratum
        WHERE r.rank <= n.need
    """  # noqa: S608 # nosec B608 - this module's own fragments
    return sql, [*sampled_params, *need_params]


def call_list_build(call_list_id: int, progress) -> None:
    """Build the items of a claimed (RUNNING) list in one transaction; the counts of those left out on the list."""
    with transaction.atomic():
        call_list = CallList.objects.select_for_update().get(pk=call_list_id)
        with connection.cursor() as cursor:
            locks.xact_lock(cursor, locks.CALL_LIST_SMO, call_list.smo_id)
            try:
                _fill_candidates(cursor, call_list)
            except CallListError as exc:
                CallList.objects.filter(pk=call_list.pk).update(
                    status=JobStatus.REJECTED, message=str(exc), finished_at=timezone.now()
                )
                return
            cursor.execute(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE opted_out),"
                " COUNT(*) FILTER (WHERE NOT opted_out AND phone = ''),"
                " COUNT(*) FILTER (WHERE NOT opted_out AND phone <> '' AND on_open) FROM cand"
            )
            total, opted_out, no_phone, on_open = cursor.fetchone()
            progress.write(records_total=total)
            drawn_sql, drawn_params = _drawn_sql(call_list)
            now = timezone.now()
            cursor.execute(
                f"""
                INSERT INTO surveys_callitem (call_list_id, person_id, mo_id, smo_id, purpose, is_open, stratum, phone,
                    state, outcome, tries, tried_slots, due_at)
                SELECT %s, d.person_id, d.mo_id, %s, %s, TRUE, d.stratum, LEFT(d.phone, 50), %s, '', 0, '', %s
                FROM ({drawn_sql}) d
                ON CONFLICT DO NOTHING
                """,  # noqa: S608 # nosec B608 - this module's own fragments
                [call_list.pk, call_list.smo_id, call_list.purpose, ItemState.READY, now, *drawn_params],
            )
            created = cursor.rowcount
        CallList.objects.filter(pk=call_list.pk).update(
            status=JobStatus.DONE,
            finished_at=timezone.now(),
            records_read=total,
            items_created=created,
            left_out_opted_out=opted_out,
            left_out_no_phone=no_phone,
            left_out_on_open_list=on_open,
            message=_("Строк: %(n)s.") % {"n": created},
        )


def call_list_sample(call_list: CallList) -> list[int]:
    """The person ids the list's rule and seed draw on today's data (for an audit of a sample: equal to the list's
    persons while the data have not changed). Read-only: runs in a transaction that is rolled back."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            _fill_candidates(cursor, call_list)
            # The list's own items count as taken elsewhere for the open-list check: ignore them.
            cursor.execute(
                "UPDATE cand SET on_open = EXISTS (SELECT 1 FROM surveys_callitem o WHERE o.person_id = cand.person_id"
                " AND o.purpose = %s AND o.is_open AND o.call_list_id <> %s)",
                [call_list.purpose, call_list.pk],
            )
            drawn_sql, drawn_params = _drawn_sql(call_list)
            cursor.execute(f"SELECT person_id FROM ({drawn_sql}) d ORDER BY person_id", drawn_params)  # noqa: S608 # nosec B608
            ids = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return ids

