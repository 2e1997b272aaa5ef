"""Qunyun's URLs: pages, the REST API, the admin and the language switcher."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from qunyun.accounts.views import LimitedAdminAuthenticationForm, answers_lock_with_429, login
from qunyun.api import api

admin.site.login_form = LimitedAdminAuthenticationForm

urlpatterns = [
    path("", include("qunyun.dashboard.urls")),
    path("", include("qunyun.members.urls")),
    path("", include("qunyun.ingest.urls")),
    path("", include("qunyun.audit.urls")),
    path("", include("qunyun.scheduling.urls")),
    path("", include("qunyun.team.urls")),
    path("", include("qunyun.privacy.urls")),
    path("accounts/login/", login, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # The back office's login, with the same lock and the same 429 as the login above.
    path("admin/login/", answers_lock_with_429(admin.site.login), name="admin_login"),
    path("admin/", admin.site.urls),
]

handler404 = "qunyun.api_requests.page_not_found"
handler500 = "qunyun.api_requests.server_error"
