"""`/api/v1/reports/<report>/`: every report as JSON, with the page's filters and the page's numbers."""

from django.core.paginator import InvalidPage, Paginator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from escalations.api.serializers import ErrorSerializer
from escalations.models import Account, Escalation
from reports import access, selectors
from reports.api.serializers import ReportSerializer
from reports.catalog import REPORTS, REPORTS_BY_SLUG
from reports.filters import ReportFilterForm

BREACHES_PER_PAGE = 50
QUERY = OpenApiParameter.QUERY
FILTER_PARAMETERS = [
    OpenApiParameter("report", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[spec.slug for spec in REPORTS]),
    OpenApiParameter("start", OpenApiTypes.DATE, QUERY, description="First day (default: 89 days before `end`)."),
    OpenApiParameter("end", OpenApiTypes.DATE, QUERY, description="Last day, inclusive (default: today, UTC)."),
    OpenApiParameter("priority", OpenApiTypes.STR, QUERY, enum=list(Escalation.Priority.values)),
    OpenApiParameter("category", OpenApiTypes.STR, QUERY, description="A product area's slug."),
    OpenApiParameter("tier", OpenApiTypes.STR, QUERY, enum=list(Account.Tier.values)),
    OpenApiParameter("org", OpenApiTypes.STR, QUERY, description="Requesting org, exactly."),
    OpenApiParameter("specialist", OpenApiTypes.INT, QUERY, description="The case owner's user id."),
    OpenApiParameter("team", OpenApiTypes.STR, QUERY, description="A partner team's slug."),
    OpenApiParameter("weeks", OpenApiTypes.INT, QUERY, enum=[4, 8, 12], description="Remediation impact only."),
    OpenApiParameter("page", OpenApiTypes.INT, QUERY, description="SLA attainment only: page of the breach list."),
]
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid filters: `fields` names each problem."),
    403: OpenApiResponse(ErrorSerializer, description="Not signed in, or your role may not read this report."),
    404: OpenApiResponse(ErrorSerializer, description="No such report, or no such page of breaches."),
}


class ReportView(APIView):
    @extend_schema(
        tags=["reports"],
        summary="One report as JSON",
        description=(
            "The same figures as the report page for the same filters: `sla-attainment`, `volume-backlog`, "
            "`top-drivers`, `partner-accountability` (partners: their own teams only), `remediation-impact`. "
            "Case workers may read every report; partner team members only partner accountability."
        ),
        parameters=FILTER_PARAMETERS,
        responses={200: ReportSerializer, **ERRORS},
    )
    def get(self, request, report: str):
        spec = REPORTS_BY_SLUG.get(report)
        if spec is None:
            raise exceptions.NotFound(f"No report “{report}”; try one of {', '.join(REPORTS_BY_SLUG)}.")
        if not spec.allowed(request.user):
            raise exceptions.PermissionDenied(spec.denied_message)
        form = ReportFilterForm(request.query_params, teams=access.accountable_teams(request.user))
        if not form.is_valid():
            raise exceptions.ValidationError({field: list(messages) for field, messages in form.errors.items()})
        filters = form.report_filters()
        built = spec.run(filters, request.user)
        body = {
            "report": spec.slug,
            "title": spec.title,
            "filters": filters.as_query() | ({"weeks": str(filters.weeks)} if spec.uses_weeks else {}),
            "summary": [{"label": label, "value": value} for label, value in built.summary],
            "tables": {table.key: table.as_json() for table in built.tables},
        }
        if spec.slug == "sla-attainment":
            body["breaches"] = _breach_page(filters, request.query_params.get("page"))
        return Response(body)


def _breach_page(filters, page_number) -> dict:
    paginator = Paginator(selectors.sla_breaches(filters), BREACHES_PER_PAGE)
    try:
        page = paginator.page(page_number or 1)
    except InvalidPage:
        raise exceptions.NotFound("No such page of breaches.") from None
    table = selectors.breach_table(page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": table.as_json()["rows"],
    }
