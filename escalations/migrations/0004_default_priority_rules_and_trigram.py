from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (order, name, tier, min customers affected, min revenue at risk, needs regulatory exposure, priority)
DEFAULT_RULES = [
    (10, "Regulatory or legal exposure", "", None, None, True, "P1"),
    (20, "Strategic account with $100k+ at risk", "strategic", None, 100000, False, "P1"),
    (30, "1,000+ customers affected", "", 1000, None, False, "P1"),
    (40, "Strategic account", "strategic", None, None, False, "P2"),
    (50, "Enterprise account with $10k+ at risk", "enterprise", None, 10000, False, "P2"),
    (60, "50+ customers affected", "", 50, None, False, "P2"),
    (70, "Starter account", "starter", None, None, False, "P4"),
    (1000, "Everything else", "", None, None, False, "P3"),
]


def add_default_rules(apps, schema_editor):
    PriorityRule = apps.get_model("escalations", "PriorityRule")
    if PriorityRule.objects.exists():
        return
    PriorityRule.objects.bulk_create(
        PriorityRule(
            order=order,
            name=name,
            tier=tier,
            min_customers_affected=customers,
            min_revenue_at_risk=revenue,
            requires_regulatory_exposure=regulatory,
            priority=priority,
        )
        for order, name, tier, customers, revenue, regulatory, priority in DEFAULT_RULES
    )


class Migration(migrations.Migration):
    dependencies = [("escalations", "0003_intake_links_priority_rules")]

    operations = [
        TrigramExtension(),  # PostgreSQL only; a no-op on SQLite
        migrations.RunPython(add_default_rules, migrations.RunPython.noop),
    ]
