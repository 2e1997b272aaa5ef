"""Qunyun's URLs: pages, the REST API, the admin and the language switcher."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from qunyun.accounts.views import LoginView
from qunyun.api import api

urlpatterns = [
    path("", include("qunyun.dashboard.urls")),
    path("", include("qunyun.members.urls")),
    path("", include("qunyun.ingest.urls")),
    path("", include("qunyun.audit.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
