"""Bench: the one scoping mechanism at region scale — what an SMO and an MO user wait for.

Runs in the lists bench database (a 1,000,000-person register with seed_demo's users, and an MO's list for next
year; it seeds the register and uploads the lists bench's list itself when the database has none) and times, for
the SMO insuring the most persons and for the MO with the longest list: the count of visible persons, a
surname-prefix search (first page), an ENP search, a person card, and for the SMO the list overview and the first
page of its list entries. Each query is the portal's own (participants.scoping, participants.selectors,
screening.selectors_lists), run twice; the second (warm) time is printed.

Run: ``python -m bench --only scoping`` (alone, or after ``--only lists``: then it reuses that register and list).
"""

from __future__ import annotations

import datetime
import time
from urllib.parse import urlsplit

from bench import line
from bench.lists import _seed, lists_database_url, upload_list


def _timed(label: str, func) -> None:
    func()
    start = time.perf_counter()
    result = func()
    line(label, f"{(time.perf_counter() - start) * 1000:,.0f} ms ({result})")


def run(args) -> None:
    from bench import setup_django

    url = lists_database_url()
    line("database", urlsplit(url).path.lstrip("/"))
    _seed(url, args.persons, args.seed, False)
    setup_django(url)
    from django.db import connection
    from django.db.models import Count

    from participants.models import PolicyPeriod, Role, User
    from participants.scoping import persons_visible_to
    from participants.selectors import PersonSearch, person_search
    from screening.models import ListEntry
    from screening.selectors_lists import list_entries_for_user, list_overview

    year = datetime.date.today().year + 1
    if not ListEntry.objects.filter(year=year).exists():
        line("list", f"none for {year}: the lists bench's list is uploaded first")
        upload_list(url, args.list_records, big=False, year=year, uploads=1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the lists bench may have just written; autovacuum may be off
    smo_id = (
        PolicyPeriod.objects.filter(date_to__isnull=True)
        .values("smo_id").annotate(n=Count("id")).order_by("-n").values_list("smo_id", flat=True).first()
    )  # fmt: skip
    smo = User.objects.filter(role=Role.SMO_L2, organization_id=smo_id).first()
    mo_id = (
        ListEntry.objects.values("mo_id").annotate(n=Count("id")).order_by("-n").values_list("mo_id", flat=True).first()
    )
    mo = User.objects.filter(role=Role.MO_STAFF, **({"organization_id": mo_id} if mo_id else {})).first()
    if smo is None or mo is None:
        name = urlsplit(url).path.lstrip("/")
        raise SystemExit(f"{name} has no SMO level-2 or MO user: seed it again (python -m bench --only lists --reseed)")
    sample = persons_visible_to(smo).order_by("id").first()
    prefix = sample.last_name[:3]
    for who, user in (("SMO " + smo.organization.code, smo), ("MO " + mo.organization.code, mo)):
        _timed(f"{who}: persons visible (count)", lambda u=user: f"{persons_visible_to(u).count():,}")
        by_surname = PersonSearch(last_name=prefix)
        _timed(
            f"{who}: surname «{prefix}…», first page",
            lambda u=user, c=by_surname: len(person_search(user=u, criteria=c).order_by("last_name")[:50]),
        )
        _timed(f"{who}: ENP search", lambda u=user: person_search(user=u, criteria=PersonSearch(q=sample.enp)).count())
        _timed(f"{who}: person card", lambda u=user: persons_visible_to(u).filter(pk=sample.pk).exists())
    _timed(
        f"SMO {smo.organization.code}: list overview {year}", lambda: len(list_overview(user=smo, year=year)["rows"])
    )
    _timed(
        f"SMO {smo.organization.code}: list entries, first page",
        lambda: len(list(list_entries_for_user(user=smo, year=year)[:50])),
    )
    connection.close()


if __name__ == "__main__":
    from bench.__main__ import main

    main(["--only", "scoping"])
