from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def report_cell(table, row, column):
    """One table cell: links as links, percentages with a sign, missing values as a dash."""
    value = row.get(column.key)
    if value is None:
        return mark_safe('<span class="muted" title="No data">—</span>')
    if column.kind == "link" and isinstance(value, dict):
        return format_html('<a href="{}">{}</a>', value["url"], value["text"])
    text = table.cell_text(row, column)
    if column.kind == "count" and isinstance(value, int):
        text = f"{value:,}"
    elif column.kind == "percent":
        text = f"{value:.1f}"
    elif column.kind == "rate":
        text = f"{value:.2f}"
    return text
