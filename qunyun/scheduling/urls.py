from django.urls import path

from qunyun.scheduling import views

urlpatterns = [
    path("w/<slug:slug>/schedules/", views.schedules, name="schedules"),
]
