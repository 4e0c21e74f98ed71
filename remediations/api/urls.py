# Any segment for ids, not <int:…>: a malformed id gets the API's JSON 404 rather than the site's HTML one.
from django.urls import path

from remediations.api import views

app_name = "remediations_api"

urlpatterns = [
    path("remediations/", views.RemediationListView.as_view(), name="remediation-list"),
    path("remediations/<str:pk>/", views.RemediationDetailView.as_view(), name="remediation-detail"),
    path("remediations/<str:pk>/transition/", views.RemediationTransitionView.as_view(), name="remediation-transition"),
    path("remediations/<str:pk>/updates/", views.RemediationUpdatesView.as_view(), name="remediation-updates"),
    path(
        "remediations/<str:pk>/effectiveness/",
        views.RemediationEffectivenessView.as_view(),
        name="remediation-effectiveness",
    ),
    path("root-causes/", views.RootCauseListView.as_view(), name="root-cause-list"),
    path("root-causes/<str:pk>/", views.RootCauseDetailView.as_view(), name="root-cause-detail"),
    path("root-causes/<str:pk>/retire/", views.RootCauseRetireView.as_view(), name="root-cause-retire"),
    path("root-causes/<str:pk>/restore/", views.RootCauseRestoreView.as_view(), name="root-cause-restore"),
    path("root-causes/<str:pk>/merge/", views.RootCauseMergeView.as_view(), name="root-cause-merge"),
]
