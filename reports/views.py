"""Report pages and their CSV downloads: parse the shared filters, build the report, render. Thin on purpose."""

import csv

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from escalations.pages import paginate, query_without_page
from reports import access, selectors
from reports.catalog import REPORTS_BY_SLUG, ReportSpec, reports_for
from reports.filters import ReportFilterForm
from reports.tables import Table
from users.access import role_required

BREACHES = "breaches"


def _spec(request, slug: str) -> ReportSpec:
    spec = REPORTS_BY_SLUG.get(slug)
    if spec is None:
        raise Http404("No such report.")
    if not spec.allowed(request.user):
        raise PermissionDenied(spec.denied_message)
    return spec


def _form(request) -> ReportFilterForm:
    return ReportFilterForm(request.GET, teams=access.accountable_teams(request.user))


@require_GET
@role_required(access.sees_reports, message="Reports are for specialists, managers and partner teams.")
def index(request):
    return render(request, "reports/index.html", {"reports": reports_for(request.user)})


@require_GET
def report(request, slug: str):
    spec = _spec(request, slug)
    form = _form(request)
    context = {"spec": spec, "form": form, "reports": reports_for(request.user), "query": request.GET.urlencode()}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    filters = form.report_filters()
    context.update(filters=filters, report=spec.run(filters, request.user))
    if spec.slug == "sla-attainment":
        page = paginate(request, selectors.sla_breaches(filters))
        context.update(
            breaches=selectors.breach_table(page, empty="No clock was breached in this range."),
            breach_page=page,
            page_query=query_without_page(request),
        )
    return render(request, "reports/report.html", context)


class _Echo:
    def write(self, value):
        return value


def _csv_lines(table: Table, rows):
    writer = csv.writer(_Echo())
    yield writer.writerow([column.label for column in table.columns])
    for row in rows:
        yield writer.writerow([table.cell_text(row, column) for column in table.columns])


@require_GET
def report_csv(request, slug: str, table_key: str):
    """One table of a report as CSV, with the same filters; the breach list comes whole, streamed."""
    spec = _spec(request, slug)
    form = _form(request)
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in form.errors.items())
        return HttpResponse(f"Invalid filters. {errors}", status=400, content_type="text/plain; charset=utf-8")
    filters = form.report_filters()
    if spec.slug == "sla-attainment" and table_key == BREACHES:
        table = selectors.breach_table([])
        rows = (selectors.breach_row(clock) for clock in selectors.sla_breaches(filters).iterator(chunk_size=2000))
    else:
        table = spec.run(filters, request.user).table(table_key)
        if table is None:
            raise Http404("No such table in this report.")
        rows = table.rows
    response = StreamingHttpResponse(_csv_lines(table, rows), content_type="text/csv; charset=utf-8")
    filename = f"{spec.slug}-{table.key}-{filters.start}-{filters.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
