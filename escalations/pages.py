"""What every server-rendered page shares: paging a list, keeping its filters in links, showing a refusal on a form."""

from django.core.paginator import Page, Paginator

from escalations.errors import DomainError

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE) -> Page:
    """The page of `queryset` the request asks for (`?page=`); out-of-range or junk numbers give the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The request's query string minus `page`, for the pagination links of a filtered list."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def show_domain_error(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)
