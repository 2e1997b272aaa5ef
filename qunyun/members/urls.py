from django.urls import path

from qunyun.members import views

urlpatterns = [
    path("w/<slug:slug>/merge/", views.merge_suggestions, name="merge_suggestions"),
    path("w/<slug:slug>/merge/find/", views.find_duplicates, name="find_duplicates"),
    path("w/<slug:slug>/merge/decide/", views.decide_suggestions, name="decide_suggestions"),
    path(
        "w/<slug:slug>/merge/<int:suggestion_id>/",
        views.decide_suggestion,
        name="decide_suggestion",
    ),
    path(
        "w/<slug:slug>/identities/<int:identity_id>/unmerge/",
        views.unmerge_identity,
        name="unmerge_identity",
    ),
]
