"""Admins register webhook endpoints and read every delivery with its response code, error and attempts."""

from django import forms
from django.contrib import admin

from escalations.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="Receives a POST with a JSON body per event.")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, help_text="What this endpoint wants."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "events", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "event_list", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]

    @admin.display(description="events")
    def event_list(self, endpoint):
        return ", ".join(endpoint.events or [])


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "endpoint", "status", "attempts", "last_response_code", "next_attempt_at"]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["delivery_id", "dedupe_key", "last_error"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint",
        "event",
        "delivery_id",
        "payload",
        "dedupe_key",
        "status",
        "attempts",
        "last_response_code",
        "last_error",
        "next_attempt_at",
        "claimed_at",
        "created_at",
        "delivered_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
