"""The shape of a report in JSON: the same tables as the page, with raw numbers (no rounding for display)."""

from rest_framework import serializers


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(help_text="text, count, percent, hours, rate, date, datetime or link.")


class TableSerializer(serializers.Serializer):
    title = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="One object per row keyed by column key; a link is {text, url}; no value is null.",
    )
    note = serializers.CharField(allow_blank=True)


class SummaryItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class BreachPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = serializers.ListField(child=serializers.DictField())


class ReportSerializer(serializers.Serializer):
    report = serializers.CharField()
    title = serializers.CharField()
    filters = serializers.DictField(child=serializers.CharField(), help_text="The filters applied, as URL parameters.")
    summary = SummaryItemSerializer(many=True)
    tables = serializers.DictField(child=TableSerializer(), help_text="Keyed by table key, as in the CSV links.")
    breaches = BreachPageSerializer(required=False, help_text="SLA attainment only: one page of the breach list.")
