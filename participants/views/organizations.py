"""Views: the directory of participants (MOs, SMOs, the Fund, the Ministry) and an organization's page [R II.24]."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.generic import DetailView, ListView

from omsportal.scoping import organizations_visible_to
from participants.models import District, MedicalWorker, OrganizationKind

# The directory lists clinics first: they are what SMOs and the Fund look up most.
KIND_ORDER = [OrganizationKind.MO, OrganizationKind.SMO, OrganizationKind.FUND, OrganizationKind.MINISTRY]


def _kind_rank():
    return Case(
        *(When(kind=kind, then=Value(rank)) for rank, kind in enumerate(KIND_ORDER)),
        output_field=IntegerField(),
    )


class OrganizationListView(LoginRequiredMixin, ListView):
    """All participants with address, hours, phone and the responsible person, filterable by kind and text."""

    template_name = "participants/organization_list.html"
    context_object_name = "organizations"

    def get_queryset(self):
        qs = organizations_visible_to(self.request.user).annotate(kind_rank=_kind_rank())
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
            organizations_visible_to(self.request.user)
            .filter(is_active=True)
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


class OrganizationDetailView(LoginRequiredMixin, DetailView):
    """One participant: contacts and, for an MO, its districts and medical workers."""

    template_name = "participants/organization_detail.html"
    context_object_name = "organization"

    def get_object(self, queryset=None):
        return get_object_or_404(organizations_visible_to(self.request.user), pk=self.kwargs["pk"])

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
