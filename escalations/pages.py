"""What every server-rendered page shares: paging a list, keeping its filters in links, showing a refusal on a form."""

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property

from escalations.errors import DomainError

PAGE_SIZE = 25
# Past this many rows a list says "10,000+" and pages no further: counting (and OFFSET-ing through) a million
# matching rows would cost more than the page itself, and nobody pages through 400 pages of 25.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` rows (`SELECT count(*) FROM (… LIMIT cap + 1)`).

    `is_capped` says there are more; the pages then cover the first `cap` rows (the cap is a multiple of every page
    size), so the deepest OFFSET is bounded too.
    """

    def __init__(self, object_list, per_page, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap or COUNT_CAP

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @cached_property
    def is_capped(self) -> bool:
        return self._counted > self.cap

    @cached_property
    def _counted(self) -> int:
        # Without the ordering: any cap + 1 matching rows will do, and PostgreSQL may then use any index.
        return self.object_list.order_by()[: self.cap + 1].count()


def paginate(request, queryset, per_page: int = PAGE_SIZE) -> Page:
    """The page of `queryset` the request asks for (`?page=`); out-of-range or junk numbers give the nearest page."""
    return CappedPaginator(queryset, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The request's query string minus `page`, for the pagination links of a filtered list."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def show_domain_error(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)
