from django.urls import path

from escalations import views

app_name = "escalations"

urlpatterns = [
    path("new/", views.file_new, name="new"),
    path("new/accounts/", views.account_suggestions, name="account_suggestions"),
    path("new/similar/", views.similar_escalations, name="similar"),
    path("queue/", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("outbox/", views.outbox, name="outbox"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/filed/", views.filed, name="filed"),
    path("<str:reference>/comment/", views.comment, name="comment"),
    path("<str:reference>/follow/", views.follow, name="follow"),
    path("<str:reference>/watch/", views.watch, name="watch"),
    path("<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
