from django.urls import path

from escalations import views

app_name = "escalations"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("outbox/", views.outbox, name="outbox"),
    path("<str:reference>/", views.detail, name="detail"),
]
