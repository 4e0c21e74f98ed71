from django.urls import path

from users import views

urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/time-zone/", views.time_zone_update, name="time_zone_update"),
    path("accounts/profile/tokens/", views.api_token_create, name="api_token_create"),
    path("accounts/profile/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("audit/", views.audit_log, name="audit_log"),
]
