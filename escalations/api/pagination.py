"""Paging for API lists that can hold a million rows."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from escalations.pages import CappedPaginator


class CappedPageNumberPagination(PageNumberPagination):
    """Page numbers as usual, but `count` stops at `COUNT_CAP` (then `count_is_capped` is true and the pages end
    there): counting every match of a broad filter over a million escalations costs more than the page itself."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_is_capped": self.page.paginator.is_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": "True when there are more matches than `count` (the count stops at 10,000).",
        }
        response["required"] = [*response.get("required", []), "count_is_capped"]
        return response
