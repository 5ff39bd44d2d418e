"""The base of every HTML page: sign-in, the capability, the scope (404 outside it) and the read audit.

A page declares the capability it needs (from its app's access.py); a role without it gets 404, the same answer
as "no such page", and a write (POST, ...) by a role that may only read gets 403::

    class CallListView(ScopedListView):
        capability = READ_CALLS                 # who may open the page
        write_capability = WORK_CALLS           # who may POST to it (default: whoever may open it)
        model = CallItem                        # scoped by the declaration of CallItem in surveys/access.py
        template_name = "surveys/calls.html"
        paginate_by = 50

        def get_base_queryset(self):            # never get_queryset(): the base scopes what this returns
            return CallItem.objects.select_related("person").filter(list__year=self.year)

A list page over a model that holds personal data writes one LIST audit entry with the ids on the page, a detail
page one VIEW entry; ``audit_query()`` adds what the user asked for. :class:`ScopedObjectMixin` gives other views
(forms, downloads, pages of several models) the same ``scoped()`` / ``get_scoped_object()`` / ``audit_read()``.
Guards fail when the class is built or routed, not in production: a routed view without a capability, a scoped
view overriding ``get_queryset()``, a model with no declared scope.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from omsportal.access import Capability, guard_scoped_class, model_access
from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.scoping import restrict

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class PortalMixin(LoginRequiredMixin):
    """Signed in, and the role holds ``capability`` (else 404); writes need ``write_capability`` (else 403).

    ``write_scope`` says who sees what a write would change at all (default: whoever may open the page): a write
    by anyone else is 404, as an outsider's read would be; a member who may only read gets 403 [conventions:
    owner 200, read-only member 403, outsider 404].
    """

    capability: Capability | None = None
    write_capability: Capability | None = None
    write_scope: Capability | None = None
    read_only_message: str | None = None  # the 403's text; default "Ваша роль позволяет только просмотр."

    @classmethod
    def as_view(cls, **initkwargs):
        if not isinstance(cls.capability, Capability):
            raise ImproperlyConfigured(f"{cls.__name__} declares no capability: every page says who may open it")
        return super().as_view(**initkwargs)

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not self.capability.allows(user):
            raise Http404("No such page for this role")
        if request.method not in SAFE_METHODS:
            if self.write_scope is not None and not self.write_scope.allows(user):
                raise Http404("No such page for this role")
            if not self.may_write(user):
                raise PermissionDenied(self.read_only_message or gettext("Ваша роль позволяет только просмотр."))
        return super().dispatch(request, *args, **kwargs)

    def may_write(self, user) -> bool:
        return (self.write_capability or self.capability).allows(user)


class PortalView(PortalMixin, View):
    """A page that is not a list or a detail of one model (an overview, a form posting to a service)."""


class PortalTemplateView(PortalMixin, TemplateView):
    """A page rendered from a template and a context."""


class ScopedObjectMixin:
    """The scope of ``model`` for the request's user, and the read audit of models that hold personal data."""

    model: type[Model] | None = None
    audit_object_type: str | None = None  # default: the model's declaration

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        guard_scoped_class(cls, vars(cls).get("model"))

    def get_base_queryset(self) -> QuerySet:
        """The unscoped rows of the page; override to filter, annotate or order them."""
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a model or get_base_queryset()")
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet:
        return self.scoped(self.get_base_queryset())

    def scoped(self, queryset: QuerySet) -> QuerySet:
        return restrict(queryset, self.request.user)

    def get_scoped_object(self, queryset: QuerySet | None = None, **lookup):
        """One row within the user's scope, else 404 (another organization's row does not exist for you)."""
        queryset = self.get_queryset() if queryset is None else self.scoped(queryset)
        try:
            return queryset.get(**lookup)
        except queryset.model.DoesNotExist as exc:
            raise Http404(f"{queryset.model.__name__} not found") from exc

    def audit_query(self) -> dict:
        """What the user asked for, for the audit entry (the page's filters); override to add more."""
        return {key: value for key, value in self.request.GET.items() if value}

    def audit_read(self, action: str, rows: Iterable[Model], *, query: dict | None = None, model=None) -> None:
        """Write the read audit if the rows' model holds personal data (the model's declaration says which ids)."""
        rows = list(rows)
        access = model_access(model or (rows[0].__class__ if rows else self.model))
        if not access.holds_personal_data:
            return
        audit_record(
            user=self.request.user,
            action=action,
            person_ids=access.personal(rows),
            query=self.audit_query() if query is None else query,
            request=self.request,
            object_type=self.audit_object_type or access.object_type,
        )


class ScopedListView(ScopedObjectMixin, PortalMixin, ListView):
    """A paginated list of one model's rows within the user's scope; a list of persons' data is audited (LIST)."""

    audit_action = AuditAction.LIST

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["object_list"]
        if self.should_audit():
            self.audit_read(self.audit_action, rows, model=self.model or self.get_base_queryset().model)
        return context

    def should_audit(self) -> bool:
        return True


class ScopedDetailView(ScopedObjectMixin, PortalMixin, DetailView):
    """One row within the user's scope (404 outside); reading a person's data is audited (VIEW)."""

    def get_object(self, queryset=None):
        obj = self.get_scoped_object(pk=self.kwargs[self.pk_url_kwarg])
        self.audit_read(AuditAction.VIEW, [obj])
        return obj
