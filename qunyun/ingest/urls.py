from django.urls import path

from qunyun.ingest import views

urlpatterns = [
    path("w/<slug:slug>/imports/", views.imports, name="imports"),
    path("w/<slug:slug>/imports/<int:run_id>/", views.import_run, name="import_run"),
    path("w/<slug:slug>/imports/<int:run_id>/rerun/", views.rerun_import, name="rerun_import"),
]
