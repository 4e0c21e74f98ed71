from django import template

from escalations.mail.addresses import reply_address as case_reply_address

register = template.Library()


@register.filter
def reply_address(escalation) -> str:
    """The address the customer's replies to this case's emails come back to."""
    return case_reply_address(escalation.reference)
