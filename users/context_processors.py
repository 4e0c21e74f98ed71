from django.urls import reverse


def navigation(request):
    """The navigation links the signed-in user's role may use, in the order they appear."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = []
    if user.works_cases:
        links.append(("Triage", reverse("escalations:triage")))
    links.append(("My escalations", reverse("escalations:mine")))
    links.append(("File an escalation", reverse("escalations:new")))
    if user.role == user.Role.PARTNER or user.is_manager:
        links.append(("Handoffs", reverse("escalations:handoffs")))
    if user.works_cases:
        links.append(("Unmatched mail", reverse("mail:unmatched")))
        links.append(("Remediations", reverse("remediations:board")))
        links.append(("Root causes", reverse("remediations:root_causes")))
    elif user.role == user.Role.PARTNER:
        links.append(("What my team owes", reverse("remediations:owed")))
    if user.works_cases or user.role == user.Role.PARTNER:
        links.append(("Reports", reverse("reports:index")))
    links.append(("Outbox" if user.is_manager else "My email", reverse("escalations:outbox")))
    if user.is_manager:
        links.append(("Audit log", reverse("audit_log")))
    if user.is_staff:
        links.append(("Admin", reverse("admin:index")))
    current = request.path
    return {"nav_links": [(label, url, current.startswith(url)) for label, url in links]}
