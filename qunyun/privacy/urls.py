from django.urls import path

from qunyun.privacy import views

urlpatterns = [
    path("w/<slug:slug>/privacy/", views.privacy_requests, name="privacy_requests"),
    path(
        "w/<slug:slug>/privacy/requests/<int:request_id>/export/",
        views.export_for_request,
        name="privacy_request_export",
    ),
    path(
        "w/<slug:slug>/privacy/requests/<int:request_id>/erase/",
        views.erase_for_request,
        name="privacy_request_erase",
    ),
]
