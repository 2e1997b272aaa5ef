from django.urls import path

from qunyun.dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("w/<slug:slug>/", views.overview, name="overview"),
    path("w/<slug:slug>/members/", views.members, name="members"),
    path("w/<slug:slug>/members/<int:member_id>/", views.member_profile, name="member_profile"),
]
