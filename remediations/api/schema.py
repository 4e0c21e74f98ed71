"""Schema helpers: remediation enums get their own names, so they never collide with the escalation ones.

drf-spectacular names an enum after its field (`status`, `priority`); escalations and remediations both have
fields by those names with different choices. A `NamedChoiceField` is broken out into a component of its own
name (`RemediationStatusEnum`, …) and referenced, so the generated names stay stable and warning-free.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


class NamedChoiceField(serializers.ChoiceField):
    def __init__(self, *args, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(*args, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def get_name(self):
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        choices = self.target.choices
        return {
            "type": "string",
            "enum": list(choices),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.items()),
        }
