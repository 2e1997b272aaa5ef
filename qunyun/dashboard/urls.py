from django.urls import path

from qunyun.dashboard import churn_views, export_views, status_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", status_views.healthz, name="healthz"),
    path("status/", status_views.installation, name="installation_status"),
    path("w/<slug:slug>/", views.overview, name="overview"),
    path("w/<slug:slug>/members/", views.members, name="members"),
    path("w/<slug:slug>/members/<int:member_id>/", views.member_profile, name="member_profile"),
    path("w/<slug:slug>/churn/", churn_views.churn, name="churn"),
    path(
        "w/<slug:slug>/export/<slug:table>.<slug:fmt>",
        export_views.export_table,
        name="export_table",
    ),
]
