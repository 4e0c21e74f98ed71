# DRF views are exempt from the site's LoginRequiredMiddleware (which only knows sessions): DRF authenticates
# each call itself, by session or token, and refuses strangers with a JSON 403.
# Any segment for ids, not <int:…>: a malformed id gets the API's JSON 404 rather than the site's HTML one.
from django.urls import path

from escalations.api import casework, reference, views

app_name = "escalations_api"

CASE = "escalations/<str:reference>/"

urlpatterns = [
    path("escalations/", views.EscalationListView.as_view(), name="escalation-list"),
    path(CASE, views.EscalationDetailView.as_view(), name="escalation-detail"),
    path(f"{CASE}comments/", views.EscalationCommentsView.as_view(), name="comments"),
    path(f"{CASE}events/", casework.EscalationEventsView.as_view(), name="events"),
    path(f"{CASE}attachments/", views.EscalationAttachmentsView.as_view(), name="attachments"),
    path(
        f"{CASE}attachments/<str:attachment_id>/",
        views.EscalationAttachmentDownloadView.as_view(),
        name="attachment-detail",
    ),
    path(f"{CASE}watch/", views.EscalationWatchView.as_view(), name="watch"),
    path(f"{CASE}follow/", views.EscalationFollowView.as_view(), name="follow"),
    # The lifecycle: one action per kind of change, each calling the service the case page calls.
    path(f"{CASE}triage/", casework.TriageView.as_view(), name="triage"),
    path(f"{CASE}assign/", casework.AssignView.as_view(), name="assign"),
    path(f"{CASE}priority/", casework.PriorityView.as_view(), name="priority"),
    path(f"{CASE}transition/", casework.TransitionView.as_view(), name="transition"),
    path(f"{CASE}resolve/", casework.ResolveView.as_view(), name="resolve"),
    path(f"{CASE}reopen/", casework.ReopenView.as_view(), name="reopen"),
    path(f"{CASE}reject/", casework.RejectView.as_view(), name="reject"),
    path(f"{CASE}duplicate/", casework.DuplicateView.as_view(), name="duplicate"),
    # Talking to the customer, and handing work to partner teams.
    path(f"{CASE}communications/", casework.CommunicationsView.as_view(), name="communications"),
    path(f"{CASE}emails/", casework.EmailCustomerView.as_view(), name="emails"),
    path(f"{CASE}calls/", casework.LogCallView.as_view(), name="calls"),
    path(f"{CASE}handoffs/", casework.CaseHandoffsView.as_view(), name="case-handoffs"),
    path("handoffs/", casework.HandoffListView.as_view(), name="handoff-list"),
    path("handoffs/<str:pk>/", casework.HandoffDetailView.as_view(), name="handoff-detail"),
    path("handoffs/<str:pk>/acknowledge/", casework.HandoffAcknowledgeView.as_view(), name="handoff-acknowledge"),
    path("handoffs/<str:pk>/answer/", casework.HandoffAnswerView.as_view(), name="handoff-answer"),
    path("communication-templates/", casework.CommunicationTemplateListView.as_view(), name="template-list"),
    # What cases refer to (read-only), and saved dashboard views.
    path("accounts/", reference.AccountListView.as_view(), name="account-list"),
    path("accounts/<str:external_id>/", reference.AccountDetailView.as_view(), name="account-detail"),
    path("categories/", reference.CategoryListView.as_view(), name="category-list"),
    path("partner-teams/", reference.PartnerTeamListView.as_view(), name="partner-team-list"),
    path("partner-teams/<str:slug>/", reference.PartnerTeamDetailView.as_view(), name="partner-team-detail"),
    path("sla-policies/", reference.SLAPolicyListView.as_view(), name="sla-policy-list"),
    path("sla-policies/<str:pk>/", reference.SLAPolicyDetailView.as_view(), name="sla-policy-detail"),
    path("sla-calendars/", reference.CalendarListView.as_view(), name="sla-calendar-list"),
    path("sla-calendars/<str:pk>/", reference.CalendarDetailView.as_view(), name="sla-calendar-detail"),
    path("saved-views/", reference.SavedViewListView.as_view(), name="saved-view-list"),
    path("saved-views/<str:pk>/", reference.SavedViewDetailView.as_view(), name="saved-view-detail"),
]
