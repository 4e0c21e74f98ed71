"""The published service levels shown to requesters when they file, per priority.

These are the promises in words. The SLA engine (business-hours clocks per policy and calendar) computes
the actual due times; until a case has clocks, this table is what a requester is told to expect.
"""

PUBLISHED_TARGETS = {
    "P1": {"first_response": "1 hour, around the clock", "updates": "every 4 hours", "resolution": "24 hours"},
    "P2": {"first_response": "4 business hours", "updates": "every business day", "resolution": "3 business days"},
    "P3": {"first_response": "1 business day", "updates": "every 2 business days", "resolution": "5 business days"},
    "P4": {"first_response": "1 business day", "updates": "every 3 business days", "resolution": "10 business days"},
}


def published_targets(priority: str) -> dict[str, str]:
    return PUBLISHED_TARGETS[priority]
