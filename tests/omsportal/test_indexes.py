"""No index of the project's tables is paid for twice: a plain btree index whose columns lead another btree index.

Every insert writes every index of its table; the audit log gets a row on every card, search and "next call", the
register's periods and the stage events get a million rows at a time. Django gives each foreign key an index of
its own unless told not to (``db_index=False``), so a foreign key that leads a composite index or a unique
constraint had two. The third-party tables (auth, guardian and guardian's base of our person permissions) are
theirs, not ours.
"""

from __future__ import annotations

import pytest
from django.db import connection

PROJECT_PREFIXES = ("participants_", "screening_", "informing_", "surveys_", "reports_", "omsportal_")
# Django's own tables of our user model (its groups and permissions) and guardian's base of our person permissions.
NOT_OURS = {
    "participants_personuserobjectpermission",
    "participants_user_groups",
    "participants_user_user_permissions",
}

BTREE_INDEXES = """
    SELECT t.relname, c.relname, string_to_array(i.indkey::text, ' ')::int[], i.indisunique,
           i.indpred IS NOT NULL OR i.indexprs IS NOT NULL
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_am am ON am.oid = c.relam
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = current_schema() AND am.amname = 'btree'
"""


def redundant_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(BTREE_INDEXES)
        rows = [row for row in cursor.fetchall() if row[0].startswith(PROJECT_PREFIXES) and row[0] not in NOT_OURS]
    found = []
    for table, name, columns, unique, partial in rows:
        if unique or partial:
            continue  # a unique or partial index says something a wider one does not
        for other_table, other, other_columns, _unique, other_partial in rows:
            if (
                other_table == table
                and other != name
                and not other_partial
                and len(other_columns) > len(columns)
                and other_columns[: len(columns)] == columns
            ):
                found.append(f"{table}.{name} is led by {other}")
    return sorted(found)


@pytest.mark.django_db
def test_no_project_index_is_the_leading_part_of_another():
    assert redundant_indexes() == []


@pytest.mark.django_db
def test_the_check_finds_an_index_led_by_another():
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX "audit_user_alone" ON participants_auditlog (user_id)')
    assert redundant_indexes() == ["participants_auditlog.audit_user_alone is led by audit_user_at"]


@pytest.mark.django_db
def test_the_periods_keep_their_one_open_period_rules():
    """The migrations dropped each foreign key's own index by name, not the partial unique indexes on the column."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN ('policy_one_open', 'attach_one_open') ORDER BY 1"
        )
        assert [row[0] for row in cursor.fetchall()] == ["attach_one_open", "policy_one_open"]
