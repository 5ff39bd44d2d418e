"""Views: login, logout, password change and the home page of each role."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from omsportal.access import SIGNED_IN
from omsportal.navigation import home_sections, menu_for
from omsportal.views.base import PortalTemplateView


class HomeView(PortalTemplateView):
    """The start page of a role: what this role does on the portal and where to go."""

    capability = SIGNED_IN
    template_name = "participants/home.html"

    def get(self, request, *args, **kwargs):
        from reports.home import home_view  # the Fund's home is its dashboard, the Ministry's its coverage view

        view = home_view(request.user)
        return view(request) if view else super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from reports.home import home_obligations

        context = super().get_context_data(**kwargs)
        context["sections"] = home_sections(menu_for(self.request.user))
        context["owed"] = home_obligations(self.request.user)  # the organization's own obligations
        return context


urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
