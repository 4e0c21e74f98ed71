from django.urls import path

from escalations.mail import views

app_name = "mail"

urlpatterns = [
    path("inbound/", views.inbound, name="inbound"),
    path("unmatched/", views.unmatched, name="unmatched"),
    path("unmatched/<int:pk>/", views.unmatched_detail, name="unmatched_detail"),
    path("unmatched/<int:pk>/attach/", views.unmatched_attach, name="unmatched_attach"),
    path("unmatched/<int:pk>/file/", views.unmatched_file, name="unmatched_file"),
    path("unmatched/<int:pk>/dismiss/", views.unmatched_dismiss, name="unmatched_dismiss"),
    path("signature/", views.signature, name="signature"),
]
