"""Who is due which informing: counts per kind, MO and deadline, and the persons behind each count [R II.11]."""

from __future__ import annotations

import datetime

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date

from omsportal.models import AuditAction
from omsportal.views.base import PortalView, ScopedObjectMixin
from participants.models import Organization, Person

from ..access import READ_INFORMING
from ..due import DUE_KINDS, due_counts, due_person_rows, kind_title
from ..models import Kind
from .common import page_smo, smo_choices

PAGE_SIZE = 50


def _on(request) -> datetime.date:
    return parse_date(request.GET.get("on") or "") or timezone.localdate()


class DueView(PortalView):
    """The level-2 page: counts due per kind, MO and deadline on a day, overdue in red."""

    capability = READ_INFORMING

    def get(self, request):
        smo = page_smo(request)
        on = _on(request)
        counts = due_counts(smo_id=smo.pk, on=on)
        mos = {o.pk: o for o in Organization.objects.filter(pk__in={c.mo_id for c in counts if c.mo_id})}
        groups = []
        for kind in DUE_KINDS:
            rows = [c for c in counts if c.kind == kind]
            groups.append(
                {
                    "kind": kind,
                    "label": Kind(kind).label,
                    "rule": kind_title(kind),
                    "rows": [{"c": c, "mo": mos.get(c.mo_id)} for c in rows],
                    "due": sum(c.due for c in rows),
                    "overdue": sum(c.overdue for c in rows),
                }
            )
        context = {"smo": smo, "on": on, "groups": groups, "smos": smo_choices(request)}
        return render(request, "informing/due.html", context)


class DuePersonsView(ScopedObjectMixin, PortalView):
    """The persons behind one count (kind, MO, deadline, overdue): scoped, audited, paginated."""

    capability = READ_INFORMING
    model = Person

    def get(self, request):
        smo = page_smo(request)
        on = _on(request)
        kind = request.GET.get("kind") or Kind.INVITE
        if kind not in DUE_KINDS:
            kind = Kind.INVITE
        mo = request.GET.get("mo")
        deadline = parse_date(request.GET.get("deadline") or "")
        overdue = request.GET.get("overdue") == "1"
        rows = due_person_rows(
            smo_id=smo.pk, on=on, kind=kind, mo_ids=[int(mo)] if mo and mo.isdigit() else None,
            deadline=deadline, overdue_only=overdue,
        )  # fmt: skip
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        ids = [pid for pid, _mo, _d in page.object_list]
        persons = {p.pk: p for p in self.scoped(Person.objects.filter(pk__in=ids))}
        mos = {o.pk: o for o in Organization.objects.filter(pk__in={m for _p, m, _d in page.object_list if m})}
        lines = [
            {"person": persons[pid], "mo": mos.get(m), "deadline": d, "overdue": d is not None and d < on}
            for pid, m, d in page.object_list
            if pid in persons
        ]
        self.audit_read(AuditAction.LIST, [line["person"] for line in lines], model=Person)
        context = {
            "smo": smo, "on": on, "kind": kind, "kind_label": Kind(kind).label, "page_obj": page, "lines": lines,
            "deadline": deadline, "overdue": overdue, "mo": mo, "smos": smo_choices(request),
        }  # fmt: skip
        return render(request, "informing/due_persons.html", context)


urlpatterns = [
    path("due/", DueView.as_view(), name="due"),
    path("due/persons/", DuePersonsView.as_view(), name="due_persons"),
]
