from django.urls import path

from remediations import views

app_name = "remediations"

urlpatterns = [
    path("", views.board, name="board"),
    path("list/", views.remediation_list, name="list"),
    path("owed/", views.owed, name="owed"),
    path("new/", views.create, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/updates/", views.update_add, name="update"),
    path("root-causes/", views.root_causes, name="root_causes"),
    path("root-causes/new/", views.root_cause_create, name="root_cause_create"),
    path("root-causes/merge/", views.root_cause_merge, name="root_cause_merge"),
    path("root-causes/change/<str:reference>/", views.root_cause_change, name="root_cause_change"),
    path("root-causes/<int:pk>/", views.driver_detail, name="root_cause"),
    path("root-causes/<int:pk>/retire/", views.root_cause_retire, name="root_cause_retire"),
    path("root-causes/<int:pk>/restore/", views.root_cause_restore, name="root_cause_restore"),
]
