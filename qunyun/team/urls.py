from django.urls import path

from qunyun.team import views

urlpatterns = [
    path("w/<slug:slug>/team/", views.team, name="team"),
    path("invite/<str:secret>/", views.invitation, name="team_invitation"),
]
