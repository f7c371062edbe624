"""Routes of activities: the account activity list, tasks, the calendar and events, notes."""

from django.urls import path

from accounts.views import activities as views
from accounts.views import calendar as calendar_views
from accounts.views import record_actions

urlpatterns = [
    path("accounts/<int:pk>/activities/", views.account_activities, name="account-activities"),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/mine/", views.my_tasks, name="my-tasks"),
    path("tasks/bulk/", record_actions.task_bulk, name="task-bulk"),
    path("tasks/export.csv", record_actions.task_export, name="task-export"),
    path("tasks/new/", views.task_create, name="task-create"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/edit/", views.task_update, name="task-update"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task-delete"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task-complete"),
    path("calendar/", calendar_views.calendar_view, name="calendar"),
    path("events/new/", calendar_views.event_create, name="event-create"),
    path("events/repetition/", views.event_repetition_words, name="event-repetition-words"),
    path("events/<int:pk>/", calendar_views.event_detail, name="event-detail"),
    path("events/<int:pk>/edit/", calendar_views.event_update, name="event-update"),
    path("events/<int:pk>/delete/", calendar_views.event_delete, name="event-delete"),
    path("events/<int:pk>/move/", calendar_views.event_move, name="event-move"),
    path("events/<int:pk>/cancel-occurrence/", calendar_views.event_cancel_occurrence, name="event-cancel-occurrence"),
    path("notes/new/", views.note_create, name="note-create"),
    path("notes/<int:pk>/", views.note_detail, name="note-detail"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note-delete"),
]
