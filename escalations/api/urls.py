# DRF views are exempt from the site's LoginRequiredMiddleware (which only knows sessions): DRF authenticates
# each call itself, by session or token, and refuses strangers with a JSON 403.
from django.urls import path

from escalations.api import views

app_name = "escalations_api"

urlpatterns = [
    path("escalations/", views.EscalationListView.as_view(), name="escalation-list"),
    path("escalations/<str:reference>/", views.EscalationDetailView.as_view(), name="escalation-detail"),
    path("escalations/<str:reference>/comments/", views.EscalationCommentsView.as_view(), name="comments"),
    path("escalations/<str:reference>/attachments/", views.EscalationAttachmentsView.as_view(), name="attachments"),
    path(
        # Any segment, not <int:…>: a malformed id gets the API's JSON 404 rather than the site's HTML one.
        "escalations/<str:reference>/attachments/<str:attachment_id>/",
        views.EscalationAttachmentDownloadView.as_view(),
        name="attachment-detail",
    ),
    path("escalations/<str:reference>/watch/", views.EscalationWatchView.as_view(), name="watch"),
    path("escalations/<str:reference>/follow/", views.EscalationFollowView.as_view(), name="follow"),
]
