"""Set-based identification of a staged list against the register: a few SQL statements for the whole batch.

Every check of domain.md §4 runs over all staged rows of one upload at once (joins on ENP, SNILS and
name key + date of birth; period joins on the processing date), never a query per record. Intermediate results
live in temporary tables of the processing transaction:

- ``scr_ident``: staged row → register person, how it was found (1 ENP, 2 SNILS, 3 name+DR) and how many matched;
- ``scr_chk``: identified rows with the register facts on the processing date (policy, SMO, attachment, death);
- ``scr_err``: every record-level error found in SQL (2xx–6xx, 102 on N_ZAP/IDDOKT), keyed by staged row;
- ``scr_acc``: the accepted rows, the MO's new list.

All SQL here is static text; values go in as parameters. Only the eligibility CASE is generated, from the
integer numbers of the rule set (screening.eligibility).
"""

# ruff: noqa: S608 - table names come from model _meta, every value is a query parameter
from __future__ import annotations

import datetime
from dataclasses import dataclass

from participants.models import AttachmentPeriod, MedicalWorker, Organization, Person, PolicyPeriod
from screening.eligibility import RuleSet, sql_ineligibility_reason
from screening.models import ListEntry, ListStaging, ProtocolError, StageEvent, YearPlan, YearPlanLine

T_STAGING = ListStaging._meta.db_table
T_PERSON = Person._meta.db_table
T_POLICY = PolicyPeriod._meta.db_table
T_ATTACH = AttachmentPeriod._meta.db_table
T_ENTRY = ListEntry._meta.db_table
T_EVENT = StageEvent._meta.db_table
T_ERROR = ProtocolError._meta.db_table
T_WORKER = MedicalWorker._meta.db_table
T_ORG = Organization._meta.db_table
T_PLAN = YearPlan._meta.db_table
T_PLANLINE = YearPlanLine._meta.db_table

_MONTHS = (
    "ARRAY['январь','февраль','март','апрель','май','июнь','июль','август','сентябрь','октябрь','ноябрь','декабрь']"
)
_MEASURE_RU = "CASE {col} WHEN 'DVN' THEN 'ДВН' WHEN 'PMO' THEN 'ПМО' WHEN 'DN' THEN 'ДН' ELSE {col} END"
_LABEL = (
    "left(concat_ws(' ', nullif(s.last_name, ''), nullif(s.first_name, ''), nullif(s.patronymic, ''), "
    "to_char(s.birth_date, 'YYYY-MM-DD')), 300)"
)


@dataclass(frozen=True)
class Batch:
    """What the SQL needs to know about the upload being identified."""

    upload_id: int
    mo_id: int
    mo_code: str
    year: int
    day: datetime.date  # the processing date: the register as of this day
    region: str  # two-digit region code of this instance (SMO code prefix)
    rules: RuleSet

    @property
    def params(self) -> dict:
        return {
            "u": self.upload_id,
            "mo": self.mo_id,
            "mo_code": self.mo_code,
            "year": self.year,
            "day": self.day,
            "region": self.region,
        }


def prepare(cursor) -> None:
    """(Re)create the temporary work tables; dropped again by :func:`cleanup` (also safe inside savepoints)."""
    # Hash joins of a region-sized batch against the register fit in memory instead of spilling to disk
    # (the server default of 4 MB is meant for many small queries); local to the processing transaction.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute(
        "DROP TABLE IF EXISTS scr_ident, scr_chk, scr_err, scr_acc;"
        "CREATE TEMP TABLE scr_ident (sid bigint PRIMARY KEY, person_id bigint, method smallint, matches int,"
        " name_key varchar(310), birth_date date, death_date date);"
        "CREATE TEMP TABLE scr_err (sid bigint NOT NULL, code smallint NOT NULL, field varchar(30) NOT NULL,"
        " base_element varchar(30) NOT NULL, comment text NOT NULL, per_person boolean NOT NULL);"
    )


def cleanup(cursor) -> None:
    cursor.execute("DROP TABLE IF EXISTS scr_ident, scr_chk, scr_err, scr_acc")


def identify(cursor, batch: Batch) -> None:
    """Find each well-formed staged row in the register: by ENP; else by SNILS; else by name key + date of birth."""
    p = batch.params
    cursor.execute(
        f"""
        INSERT INTO scr_ident (sid, person_id, method, matches, name_key, birth_date, death_date)
        SELECT s.id, p.id, 1, 1, p.name_key, p.birth_date, p.death_date
          FROM {T_STAGING} s JOIN {T_PERSON} p ON p.enp = s.enp
         WHERE s.upload_id = %(u)s AND s.format_ok AND s.enp IS NOT NULL
        """,
        p,
    )
    # With statistics the planner sees that few rows are left for SNILS and name+DR and probes their indexes
    # instead of scanning the whole register again.
    cursor.execute("ANALYZE scr_ident")
    cursor.execute(
        f"""
        INSERT INTO scr_ident (sid, person_id, method, matches, name_key, birth_date, death_date)
        SELECT s.id, min(p.id), 2, count(*), min(p.name_key), min(p.birth_date), min(p.death_date)
          FROM {T_STAGING} s JOIN {T_PERSON} p ON p.snils = s.snils
         WHERE s.upload_id = %(u)s AND s.format_ok AND s.snils IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM scr_ident i WHERE i.sid = s.id)
         GROUP BY s.id
        """,
        p,
    )
    cursor.execute(
        f"""
        INSERT INTO scr_ident (sid, person_id, method, matches, name_key, birth_date, death_date)
        SELECT s.id, min(p.id), 3, count(*), min(p.name_key), min(p.birth_date), min(p.death_date)
          FROM {T_STAGING} s JOIN {T_PERSON} p ON p.name_key = s.name_key AND p.birth_date = s.birth_date
         WHERE s.upload_id = %(u)s AND s.format_ok
           AND NOT EXISTS (SELECT 1 FROM scr_ident i WHERE i.sid = s.id)
         GROUP BY s.id
        """,
        p,
    )
    cursor.execute("ANALYZE scr_ident")


def identification_errors(cursor, batch: Batch) -> None:
    """201 not found, 202 several match, 203 found by ENP/SNILS with another surname, name or date of birth."""
    cursor.execute(
        f"""
        INSERT INTO scr_err (sid, code, field, base_element, comment, per_person)
        SELECT s.id, 201, '', 'SV_PR_MER',
               'Не найден в регистре застрахованных лиц ни по ЕНП, ни по СНИЛС, ни по ФИО и дате рождения', true
          FROM {T_STAGING} s
         WHERE s.upload_id = %(u)s AND s.format_ok
           AND NOT EXISTS (SELECT 1 FROM scr_ident i WHERE i.sid = s.id)
        UNION ALL
        SELECT i.sid, 202, CASE i.method WHEN 2 THEN 'SNILS' ELSE 'FAM' END, 'SV_PR_MER',
               'В регистре найдено лиц: ' || i.matches
               || CASE i.method WHEN 2 THEN ' с этим СНИЛС' ELSE ' с такими ФИО и датой рождения' END
               || '; укажите ЕНП', true
          FROM scr_ident i
         WHERE i.matches > 1
        UNION ALL
        SELECT p.sid, 203,
               CASE WHEN split_part(p.name_key, '|', 1) <> split_part(s.name_key, '|', 1) THEN 'FAM'
                    WHEN split_part(p.name_key, '|', 2) <> split_part(s.name_key, '|', 2) THEN 'IM'
                    ELSE 'DR' END,
               'SV_PR_MER',
               'Лицо найдено по ' || CASE p.method WHEN 1 THEN 'ЕНП' ELSE 'СНИЛС' END || ', но не совпадает: '
               || concat_ws(', ',
                    CASE WHEN split_part(p.name_key, '|', 1) <> split_part(s.name_key, '|', 1) THEN 'фамилия' END,
                    CASE WHEN split_part(p.name_key, '|', 2) <> split_part(s.name_key, '|', 2) THEN 'имя' END,
                    CASE WHEN p.birth_date <> s.birth_date THEN 'дата рождения' END),
               true
          FROM scr_ident p
          JOIN {T_STAGING} s ON s.id = p.sid
         WHERE p.method IN (1, 2) AND p.matches = 1
           AND (split_part(p.name_key, '|', 1) <> split_part(s.name_key, '|', 1)
                OR split_part(p.name_key, '|', 2) <> split_part(s.name_key, '|', 2)
                OR p.birth_date <> s.birth_date)
        """,
        batch.params,
    )
    cursor.execute("ANALYZE scr_err")
    # The identified persons with the register facts on the processing date.
    cursor.execute(
        f"""
        CREATE TEMP TABLE scr_chk AS
        SELECT DISTINCT ON (i.sid)
               i.sid, i.person_id, i.birth_date, i.death_date,
               pol.smo_id, pol.smo_code, att.mo_code AS att_mo_code
          FROM scr_ident i
          LEFT JOIN {T_POLICY} pol
                 ON pol.person_id = i.person_id AND pol.date_from <= %(day)s
                AND (pol.date_to IS NULL OR pol.date_to >= %(day)s)
          LEFT JOIN {T_ATTACH} att
                 ON att.person_id = i.person_id AND att.date_from <= %(day)s
                AND (att.date_to IS NULL OR att.date_to >= %(day)s)
         WHERE i.matches = 1
           AND NOT EXISTS (SELECT 1 FROM scr_err e WHERE e.sid = i.sid)
         ORDER BY i.sid, pol.date_from DESC NULLS LAST, att.date_from DESC NULLS LAST
        """,
        batch.params,
    )
    cursor.execute("ANALYZE scr_chk")
    cursor.execute("CREATE INDEX ON scr_chk (sid)")


def register_errors(cursor, batch: Batch) -> None:
    """302 deceased, 301 no policy, 303 insured in another region, 401 attached elsewhere, 501 not eligible,
    601 twice in the file; plus 102 on N_ZAP shared by different persons and on IDDOKT not a worker of the MO."""
    age = "(%(year)s - extract(year FROM c.birth_date)::int)"
    reason = sql_ineligibility_reason("s.measure", age, "%(year)s", batch.rules)
    cursor.execute(
        f"""
        INSERT INTO scr_err (sid, code, field, base_element, comment, per_person)
        SELECT c.sid, 302, 'DR', 'SV_PR_MER', 'Умер ' || to_char(c.death_date, 'DD.MM.YYYY'), true
          FROM scr_chk c WHERE c.death_date <= %(day)s
        UNION ALL
        SELECT c.sid, 301, 'ENP', 'SV_PR_MER',
               'Нет действующего полиса ОМС на ' || to_char(%(day)s::date, 'DD.MM.YYYY'), true
          FROM scr_chk c WHERE c.smo_code IS NULL AND (c.death_date IS NULL OR c.death_date > %(day)s)
        UNION ALL
        SELECT c.sid, 303, 'ENP', 'SV_PR_MER',
               'Застрахован в другом субъекте РФ: СМО ' || c.smo_code, true
          FROM scr_chk c WHERE left(c.smo_code, 2) <> %(region)s
        UNION ALL
        SELECT c.sid, 401, 'ENP', 'SV_PR_MER',
               CASE WHEN c.att_mo_code IS NULL
                    THEN 'Не прикреплён ни к одной МО на ' || to_char(%(day)s::date, 'DD.MM.YYYY')
                    ELSE 'Прикреплён к МО ' || c.att_mo_code END, true
          FROM scr_chk c
         WHERE c.att_mo_code IS DISTINCT FROM %(mo_code)s AND (c.death_date IS NULL OR c.death_date > %(day)s)
        UNION ALL
        SELECT c.sid, 501, 'DISP', 'SV_PL_MER', {reason}, false
          FROM scr_chk c JOIN {T_STAGING} s ON s.id = c.sid
         WHERE s.measure IN ('DVN', 'PMO') AND ({reason}) IS NOT NULL
        UNION ALL
        SELECT d.sid, 601, 'DISP', 'SV_PL_MER',
               'Лицо уже указано в файле по этому мероприятию: N_ZAP ' || d.first_n_zap, false
          FROM (SELECT c.sid, s.n_zap,
                       row_number() OVER w AS rn, first_value(s.n_zap) OVER w AS first_n_zap
                  FROM scr_chk c JOIN {T_STAGING} s ON s.id = c.sid
                 WHERE s.measure <> ''
                WINDOW w AS (PARTITION BY c.person_id, s.measure ORDER BY s.n_zap, s.id)) d
         WHERE d.rn > 1
        """,
        batch.params,
    )
    cursor.execute(
        f"""
        INSERT INTO scr_err (sid, code, field, base_element, comment, per_person)
        SELECT s.id, 102, 'N_ZAP', 'SV_PR_MER', 'Номер записи N_ZAP ' || s.n_zap || ' повторяется у разных лиц', true
          FROM {T_STAGING} s
          JOIN (SELECT n_zap FROM {T_STAGING}
                 WHERE upload_id = %(u)s AND format_ok
                 GROUP BY n_zap
                HAVING count(*) > 1
                   AND (min(coalesce(enp, '')) <> max(coalesce(enp, ''))
                        OR min(coalesce(snils, '')) <> max(coalesce(snils, '')) OR min(name_key) <> max(name_key)
                        OR min(birth_date) <> max(birth_date))) dup ON dup.n_zap = s.n_zap
         WHERE s.upload_id = %(u)s AND s.format_ok
        UNION ALL
        SELECT s.id, 102, 'IDDOKT', 'SV_PL_MER',
               'Врач с СНИЛС ' || s.doctor_snils || ' не указан среди медицинских работников МО', false
          FROM {T_STAGING} s
         WHERE s.upload_id = %(u)s AND s.format_ok AND s.measure = 'DN' AND s.doctor_snils <> ''
           AND EXISTS (SELECT 1 FROM {T_WORKER} w WHERE w.mo_id = %(mo)s)
           AND NOT EXISTS (SELECT 1 FROM {T_WORKER} w WHERE w.mo_id = %(mo)s AND w.snils = s.doctor_snils)
        """,
        batch.params,
    )


def other_mo_errors(cursor, batch: Batch) -> None:
    """602: already on another MO's list for the year and measure. Run under the year lock (see list_upload)."""
    cursor.execute(
        f"""
        INSERT INTO scr_err (sid, code, field, base_element, comment, per_person)
        SELECT c.sid, 602, 'DISP', 'SV_PL_MER', 'Уже включён в список МО ' || o.code || ' на ' || %(year)s || ' год',
               false
          FROM scr_chk c
          JOIN {T_STAGING} s ON s.id = c.sid
          JOIN {T_ENTRY} e ON e.person_id = c.person_id AND e.year = %(year)s AND e.measure = s.measure
          JOIN {T_ORG} o ON o.id = e.mo_id
         WHERE e.mo_id <> %(mo)s
        """,
        batch.params,
    )


def accept(cursor, batch: Batch) -> int:
    """Collect the accepted rows (identified, no error) into scr_acc; returns how many."""
    cursor.execute("ANALYZE scr_err")
    cursor.execute(
        f"""
        CREATE TEMP TABLE scr_acc AS
        SELECT s.id AS sid, s.n_zap, s.measure, s.month, s.quarter, s.doctor_snils, s.district, s.phone,
               c.person_id, c.smo_id, c.smo_code
          FROM scr_chk c JOIN {T_STAGING} s ON s.id = c.sid
         WHERE s.measure <> '' AND NOT EXISTS (SELECT 1 FROM scr_err e WHERE e.sid = c.sid)
        """,
        batch.params,
    )
    accepted = cursor.rowcount
    # Temporary tables are never auto-analyzed: without statistics the planner loops over them.
    cursor.execute("CREATE INDEX ON scr_acc (person_id, measure); ANALYZE scr_acc")
    return accepted


def write_errors(cursor, batch: Batch) -> None:
    """The SQL-found errors as protocol rows; an error about the person is written once per N_ZAP, not per measure."""
    cursor.execute(
        f"""
        INSERT INTO {T_ERROR} (upload_id, n_zap, code, severity, field, base_element, comment, measure, person_label)
        SELECT DISTINCT ON (s.n_zap, e.code, e.field, CASE WHEN e.per_person THEN '' ELSE s.measure END)
               %(u)s, s.n_zap, e.code, 'E', e.field, e.base_element, left(e.comment, 500),
               CASE WHEN e.per_person THEN '' ELSE s.measure END, {_LABEL}
          FROM scr_err e JOIN {T_STAGING} s ON s.id = e.sid
         ORDER BY s.n_zap, e.code, e.field, CASE WHEN e.per_person THEN '' ELSE s.measure END, s.id
        """,
        batch.params,
    )


def replace_entries(cursor, batch: Batch, measures: list[str]) -> int:
    """Make the accepted rows the MO's list for the year and each measure of the file; returns the rows on it.

    Persons who stay on the list keep their entry (and with it the stage events already posted against it); the
    rest of the old list is deleted and newcomers are inserted. The result is exactly the new file's accepted
    records, in the same transaction as the protocol, so a reader never sees a mix of two files.
    """
    p = dict(batch.params, measures=measures)
    # Entries of persons who left the list go; their stage events stay, detached (on_delete=SET_NULL).
    cursor.execute(
        f"""
        CREATE TEMP TABLE scr_gone ON COMMIT DROP AS
        SELECT e.id FROM {T_ENTRY} e
         WHERE e.mo_id = %(mo)s AND e.year = %(year)s AND e.measure = ANY(%(measures)s)
           AND NOT EXISTS (SELECT 1 FROM scr_acc a WHERE a.person_id = e.person_id AND a.measure = e.measure)
        """,
        p,
    )
    if cursor.rowcount:
        cursor.execute(
            f"UPDATE {T_EVENT} se SET entry_id = NULL FROM scr_gone g WHERE se.entry_id = g.id;"
            f"DELETE FROM {T_ENTRY} e USING scr_gone g WHERE e.id = g.id"
        )
    cursor.execute("DROP TABLE scr_gone")
    cursor.execute(
        f"""
        INSERT INTO {T_ENTRY} (upload_id, mo_id, year, measure, month, quarter, doctor_snils, person_id, smo_id,
                               smo_code, district, phone, n_zap, state, state_date, health_group, created_at)
        SELECT %(u)s, %(mo)s, %(year)s, a.measure, a.month, a.quarter, a.doctor_snils, a.person_id, a.smo_id,
               a.smo_code, a.district, a.phone, a.n_zap, 'LISTED', NULL, '', now()
          FROM scr_acc a
         ORDER BY a.measure, a.person_id  -- index order of the unique key: inserts touch pages in sequence
        ON CONFLICT (year, measure, person_id) DO UPDATE
           SET upload_id = EXCLUDED.upload_id, month = EXCLUDED.month, quarter = EXCLUDED.quarter,
               doctor_snils = EXCLUDED.doctor_snils, smo_id = EXCLUDED.smo_id, smo_code = EXCLUDED.smo_code,
               district = EXCLUDED.district, phone = EXCLUDED.phone, n_zap = EXCLUDED.n_zap
         WHERE {T_ENTRY}.mo_id = EXCLUDED.mo_id
           -- an unchanged entry is not rewritten: a re-upload of the same list writes nothing
           AND ({T_ENTRY}.month, {T_ENTRY}.quarter, {T_ENTRY}.doctor_snils, {T_ENTRY}.smo_id, {T_ENTRY}.smo_code,
                {T_ENTRY}.district, {T_ENTRY}.phone, {T_ENTRY}.n_zap)
               IS DISTINCT FROM (EXCLUDED.month, EXCLUDED.quarter, EXCLUDED.doctor_snils, EXCLUDED.smo_id,
                                 EXCLUDED.smo_code, EXCLUDED.district, EXCLUDED.phone, EXCLUDED.n_zap)
        """,
        p,
    )
    # Every accepted row is now on the MO's list: 602 (under the year lock) left no row of another MO's list.
    cursor.execute("SELECT count(*) FROM scr_acc")
    return cursor.fetchone()[0]


def plan_warnings(cursor, batch: Batch, measures: list[str]) -> int:
    """701: per measure of the file covered by the approved plan, one warning per month where the accepted total
    differs from the MO's plan line (a missing line plans 0) [R II.1]. DN rows given by quarter only are not
    counted by month."""
    cursor.execute(
        f"""
        WITH covered AS (
            SELECT DISTINCT l.measure
              FROM {T_PLANLINE} l JOIN {T_PLAN} pl ON pl.id = l.plan_id
             WHERE pl.year = %(year)s AND pl.status = 'APPROVED' AND l.measure = ANY(%(measures)s)
        ), planned AS (
            SELECT l.measure, l.month, sum(l.quantity) AS quantity
              FROM {T_PLANLINE} l JOIN {T_PLAN} pl ON pl.id = l.plan_id
             WHERE pl.year = %(year)s AND pl.status = 'APPROVED' AND l.mo_id = %(mo)s
             GROUP BY l.measure, l.month
        ), accepted AS (
            SELECT measure, month, count(*) AS n FROM scr_acc WHERE month IS NOT NULL GROUP BY measure, month
        )
        INSERT INTO {T_ERROR} (upload_id, n_zap, code, severity, field, base_element, comment, measure, person_label)
        SELECT %(u)s, NULL, 701, 'W', 'MONTH', 'ZL_LIST',
               {_MEASURE_RU.format(col="c.measure")} || ', ' || ({_MONTHS})[g.month] || ': принято '
               || coalesce(a.n, 0) || ', по плану ' || coalesce(pd.quantity, 0),
               c.measure, ''
          FROM covered c
          CROSS JOIN generate_series(1, 12) AS g(month)
          LEFT JOIN planned pd ON pd.measure = c.measure AND pd.month = g.month
          LEFT JOIN accepted a ON a.measure = c.measure AND a.month = g.month
         WHERE coalesce(a.n, 0) <> coalesce(pd.quantity, 0)
         ORDER BY c.measure, g.month
        """,
        dict(batch.params, measures=measures),
    )
    return cursor.rowcount
