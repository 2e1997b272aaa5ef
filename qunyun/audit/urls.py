from django.urls import path

from qunyun.audit import views

urlpatterns = [
    path("w/<slug:slug>/audit/", views.audit_log, name="audit_log"),
]
