from django.urls import path

from escalations import case_actions, dashboard, views

app_name = "escalations"

urlpatterns = [
    path("new/", views.file_new, name="new"),
    path("new/accounts/", views.account_suggestions, name="account_suggestions"),
    path("new/similar/", views.similar_escalations, name="similar"),
    path("queue/", views.queue, name="queue"),
    path("triage/", dashboard.triage, name="triage"),
    path("triage/views/", dashboard.saved_view_create, name="triage_save_view"),
    path("triage/views/<int:pk>/delete/", dashboard.saved_view_delete, name="triage_delete_view"),
    path("triage/bulk/", dashboard.bulk_update, name="triage_bulk"),
    path("mine/", views.mine, name="mine"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("outbox/", views.outbox, name="outbox"),
    path("handoffs/<int:handoff_id>/acknowledge/", case_actions.handoff_acknowledge, name="handoff_acknowledge"),
    path("handoffs/<int:handoff_id>/answer/", case_actions.handoff_answer, name="handoff_answer"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/triage/", case_actions.triage, name="triage_case"),
    path("<str:reference>/reject/", case_actions.reject, name="reject"),
    path("<str:reference>/duplicate/", case_actions.mark_duplicate, name="duplicate"),
    path("<str:reference>/resolve/", case_actions.resolve, name="resolve"),
    path("<str:reference>/status/", case_actions.change_status, name="status"),
    path("<str:reference>/assign/", case_actions.assign, name="assign"),
    path("<str:reference>/priority/", case_actions.change_priority, name="priority"),
    path("<str:reference>/email/", case_actions.email_customer, name="email"),
    path("<str:reference>/email/compose/", case_actions.email_compose, name="email_compose"),
    path("<str:reference>/call/", case_actions.log_call, name="call"),
    path("<str:reference>/handoff/", case_actions.hand_off, name="handoff"),
    path("<str:reference>/filed/", views.filed, name="filed"),
    path("<str:reference>/comment/", views.comment, name="comment"),
    path("<str:reference>/follow/", views.follow, name="follow"),
    path("<str:reference>/watch/", views.watch, name="watch"),
    path("<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
