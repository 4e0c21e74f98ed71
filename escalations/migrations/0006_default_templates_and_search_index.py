from django.db import migrations

# Must stay identical to escalations.selectors.SEARCH_DOCUMENT_SQL for PostgreSQL to use the index.
SEARCH_DOCUMENT_SQL = (
    "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || coalesce(reference, ''))"
)

TEMPLATES = [
    (
        10,
        "greeting",
        "First contact",
        "{{ reference }}: we are on it — {{ escalation.title }}",
        "Hello {{ contact_name }},\n\nI am {{ specialist }} from the escalations team, and I now own your case "
        "{{ reference }} about “{{ escalation.title }}”.\n\nHere is what we know so far and what happens next:\n\n"
        "- \n\nI will update you at least once a day until it is solved.\n\nBest regards,\n{{ specialist }}\n"
        "Escalations team",
    ),
    (
        20,
        "update",
        "Progress update",
        "{{ reference }}: update on {{ escalation.title }}",
        "Hello {{ contact_name }},\n\nAn update on {{ reference }}:\n\n- \n\nNext step: \n\nBest regards,\n"
        "{{ specialist }}\nEscalations team",
    ),
    (
        30,
        "resolution",
        "Resolution",
        "{{ reference }} resolved: {{ escalation.title }}",
        "Hello {{ contact_name }},\n\nGood news: {{ reference }} is resolved.\n\nWhat happened: \n\nWhat we "
        "changed: \n\nIf anything is still not right, reply to this email and the case reopens.\n\nBest regards,\n"
        "{{ specialist }}\nEscalations team",
    ),
]


def add_templates(apps, schema_editor):
    CommunicationTemplate = apps.get_model("escalations", "CommunicationTemplate")
    for order, slug, name, subject, body in TEMPLATES:
        CommunicationTemplate.objects.get_or_create(
            slug=slug, defaults={"order": order, "name": name, "subject": subject, "body": body}
        )


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS escalation_search_idx ON escalations_escalation USING GIN ({SEARCH_DOCUMENT_SQL})"
        )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS escalation_search_idx")


class Migration(migrations.Migration):
    dependencies = [("escalations", "0005_casework")]

    operations = [
        migrations.RunPython(add_templates, migrations.RunPython.noop),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
