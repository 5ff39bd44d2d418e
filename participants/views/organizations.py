"""Views: the directory of participants (MOs, SMOs, the Fund, the Ministry) and an organization's page [R II.24]."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Length
from django.urls import path

from omsportal.views.base import ScopedDetailView, ScopedListView
from participants.access import READ_DIRECTORY
from participants.models import District, MedicalWorker, Organization, OrganizationKind

# The directory lists clinics first: they are what SMOs and the Fund look up most.
KIND_ORDER = [OrganizationKind.MO, OrganizationKind.SMO, OrganizationKind.FUND, OrganizationKind.MINISTRY]


def _kind_rank():
    return Case(
        *(When(kind=kind, then=Value(rank)) for rank, kind in enumerate(KIND_ORDER)),
        output_field=IntegerField(),
    )


class OrganizationListView(ScopedListView):
    """All participants with address, hours, phone and the responsible person, filterable by kind and text."""

    capability = READ_DIRECTORY
    model = Organization
    template_name = "participants/organization_list.html"
    context_object_name = "organizations"

    def get_base_queryset(self):
        qs = Organization.objects.annotate(kind_rank=_kind_rank())
        kind = self.request.GET.get("kind", "")
        if kind in OrganizationKind.values:
            qs = qs.filter(kind=kind)
        text = self.request.GET.get("q", "").strip()
        if text:
            qs = qs.filter(
                Q(code__startswith=text)
                | Q(name__icontains=text)
                | Q(short_name__icontains=text)
                | Q(address__icontains=text)
            )
        if self.request.GET.get("inactive") != "1":
            qs = qs.filter(is_active=True)
        return qs.order_by("kind_rank", "code")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = dict(
            self.scoped(Organization.objects.filter(is_active=True))
            .values_list("kind")
            .annotate(n=Count("pk"))
            .values_list("kind", "n")
        )
        context["kinds"] = [
            {"value": kind.value, "label": kind.label, "count": counts.get(kind.value, 0)} for kind in KIND_ORDER
        ]
        context["kind"] = self.request.GET.get("kind", "")
        context["q"] = self.request.GET.get("q", "")
        return context


class OrganizationDetailView(ScopedDetailView):
    """One participant: contacts and, for an MO, its districts and medical workers."""

    capability = READ_DIRECTORY
    model = Organization
    template_name = "participants/organization_detail.html"
    context_object_name = "organization"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organization = self.object
        if organization.kind == OrganizationKind.MO:
            context["districts"] = list(
                District.objects.filter(mo=organization)
                .annotate(worker_count=Count("workers"))
                .order_by(Length("number"), "number")
            )
            context["workers"] = list(
                MedicalWorker.objects.filter(mo=organization).select_related("district").order_by("full_name")
            )
        return context


urlpatterns = [
    path("organizations/", OrganizationListView.as_view(), name="organizations"),
    path("organizations/<int:pk>/", OrganizationDetailView.as_view(), name="organization_detail"),
]
