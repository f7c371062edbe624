"""Routes of the pipeline board, the forecast and an opportunity's history fragment."""

from django.urls import path

from accounts.views import pipeline as views

urlpatterns = [
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/more/", views.pipeline_column, name="pipeline-column"),
    path("pipeline/<int:pk>/move/", views.pipeline_move, name="pipeline-move"),
    path("forecast/", views.forecast, name="forecast"),
]
