"""What the informing pages share: which SMO a page is about (the user's own; the Fund picks one)."""

from __future__ import annotations

from django.http import Http404

from participants.models import Organization, OrganizationKind, Role


def page_smo(request) -> Organization:
    """The SMO of the page: an SMO user's own (naming another SMO is a 404); the Fund's choice (``?smo=<id>``, else
    the first SMO)."""
    user = request.user
    if user.role == Role.FUND:
        smos = Organization.objects.filter(kind=OrganizationKind.SMO).order_by("code")
        chosen = request.GET.get("smo") or request.POST.get("smo")
        if chosen and chosen.isdigit():
            smo = smos.filter(pk=int(chosen)).first()
            if smo is None:
                raise Http404("No such SMO")
            return smo
        smo = smos.first()
        if smo is None:
            raise Http404("No SMO")
        return smo
    if user.organization_id is None or user.organization.kind != OrganizationKind.SMO:
        raise Http404("Not an SMO user")
    chosen = request.GET.get("smo") or request.POST.get("smo")
    if chosen and chosen != str(user.organization_id):
        # Another SMO's page does not exist for an SMO user (the same 404 as any outsider's), rather than
        # silently showing their own under the other SMO's address.
        raise Http404("No such SMO")
    return user.organization


def smo_choices(request) -> list[Organization]:
    if request.user.role != Role.FUND:
        return []
    return list(Organization.objects.filter(kind=OrganizationKind.SMO).order_by("code"))
