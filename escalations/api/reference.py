"""What a case refers to, read-only: accounts, categories, partner teams, service-level policies and calendars.
And a specialist's saved dashboard views (their own only).

Lists are paginated like every API list (`?page=`, 25 a page) and filtered by the shared FilterSets.
"""

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from escalations import selectors, services
from escalations.api import reference_serializers as serializers
from escalations.api.casework import WorksCases
from escalations.api.views import errors
from escalations.filters import AccountFilter, SLAPolicyFilter
from escalations.lifecycle import OPEN_STATUSES
from escalations.models import Account, BusinessCalendar, Category, Escalation, SavedView, SLAPolicy
from users.access import works_cases
from users.models import PartnerTeam

REFERENCE_DATA = "reference data"
SERVICE_LEVELS = "service levels"
SAVED_VIEWS = "saved views"


def _id(raw: str, what: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound(f"No {what} {raw}.")
    return int(raw)


def _list_schema(tag: str, summary: str, serializer, description: str = ""):
    return extend_schema_view(
        get=extend_schema(
            tags=[tag],
            summary=summary,
            description=description,
            responses={200: serializer(many=True), **errors(400, 403, 404)},
        )
    )


def _detail_schema(tag: str, summary: str, serializer, parameter: OpenApiParameter):
    return extend_schema_view(
        get=extend_schema(
            tags=[tag], summary=summary, parameters=[parameter], responses={200: serializer, **errors(403, 404)}
        )
    )


# Everyone may look accounts up (to file a case); only case workers read the customer's contact, as on the case
# page. (A comment, not a docstring: drf-spectacular would publish a docstring as the operation's description.)
class AccountReadMixin:
    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or works_cases(self.request.user):
            return serializers.AccountSerializer
        return serializers.AccountWithoutContactSerializer


def _accounts():
    # A correlated count, worked out only for the page's rows (a grouped join would count every open case of every
    # account for each page of 25).
    open_count = (
        Escalation.objects.filter(account=OuterRef("pk"), status__in=[s.value for s in OPEN_STATUSES])
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Account.objects.annotate(open_escalation_count=Coalesce(Subquery(open_count), 0)).order_by("name", "pk")


@_list_schema(
    REFERENCE_DATA,
    "Customer accounts",
    serializers.AccountSerializer,
    "`q` matches the start of the acct_ id or any part of the name; `tier` narrows by tier.",
)
class AccountListView(AccountReadMixin, generics.ListAPIView):
    filterset_class = AccountFilter

    def get_queryset(self):
        return _accounts()


@_detail_schema(
    REFERENCE_DATA,
    "One customer account",
    serializers.AccountSerializer,
    OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. acct_globex01"),
)
class AccountDetailView(AccountReadMixin, generics.RetrieveAPIView):
    lookup_field = "external_id"

    def get_queryset(self):
        return _accounts()


@_list_schema(REFERENCE_DATA, "Product areas (categories)", serializers.CategorySerializer, "Active ones first.")
class CategoryListView(generics.ListAPIView):
    serializer_class = serializers.CategorySerializer
    queryset = Category.objects.order_by("-is_active", "name", "pk")


def _partner_teams():
    return PartnerTeam.objects.annotate(member_count=Count("memberships")).order_by("name", "pk")


@_list_schema(REFERENCE_DATA, "Partner teams", serializers.PartnerTeamSerializer)
class PartnerTeamListView(generics.ListAPIView):
    serializer_class = serializers.PartnerTeamSerializer

    def get_queryset(self):
        return _partner_teams()


@_detail_schema(
    REFERENCE_DATA,
    "One partner team",
    serializers.PartnerTeamSerializer,
    OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH),
)
class PartnerTeamDetailView(generics.RetrieveAPIView):
    serializer_class = serializers.PartnerTeamSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return _partner_teams()


@_list_schema(
    SERVICE_LEVELS,
    "Service-level policies",
    serializers.SLAPolicySerializer,
    "Every version, by priority and tier; `current=true` for the ones in force.",
)
class SLAPolicyListView(generics.ListAPIView):
    serializer_class = serializers.SLAPolicySerializer
    filterset_class = SLAPolicyFilter
    queryset = SLAPolicy.objects.select_related("calendar").order_by("priority", "account_tier", "-version", "pk")


@_detail_schema(
    SERVICE_LEVELS,
    "One service-level policy version",
    serializers.SLAPolicySerializer,
    OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
)
class SLAPolicyDetailView(APIView):
    def get(self, request, pk):
        policies = SLAPolicy.objects.select_related("calendar")
        policy = policies.filter(pk=_id(pk, "service-level policy")).first()
        if policy is None:
            raise NotFound(f"No service-level policy {pk}.")
        return Response(serializers.SLAPolicySerializer(policy).data)


def _calendars():
    return BusinessCalendar.objects.prefetch_related("hours", Prefetch("holidays")).order_by("name", "pk")


@_list_schema(SERVICE_LEVELS, "Business calendars", serializers.BusinessCalendarSerializer)
class CalendarListView(generics.ListAPIView):
    serializer_class = serializers.BusinessCalendarSerializer

    def get_queryset(self):
        return _calendars()


@_detail_schema(
    SERVICE_LEVELS,
    "One business calendar",
    serializers.BusinessCalendarSerializer,
    OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
)
class CalendarDetailView(APIView):
    def get(self, request, pk):
        calendar = _calendars().filter(pk=_id(pk, "calendar")).first()
        if calendar is None:
            raise NotFound(f"No calendar {pk}.")
        return Response(serializers.BusinessCalendarSerializer(calendar).data)


class SavedViewListView(generics.ListAPIView):
    permission_classes = [WorksCases]
    serializer_class = serializers.SavedViewSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return SavedView.objects.none()
        return selectors.saved_views_for(user=self.request.user)

    @extend_schema(
        tags=[SAVED_VIEWS],
        summary="Your saved dashboard views",
        responses={200: serializers.SavedViewSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[SAVED_VIEWS],
        summary="Save a dashboard view",
        description=f"Names are unique per person (case-insensitively); at most {services.SAVED_VIEWS_MAX} each.",
        request=serializers.SavedViewInputSerializer,
        responses={201: serializers.SavedViewSerializer, **errors(400, 403)},
    )
    def post(self, request):
        serializer = serializers.SavedViewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved_view = services.saved_view_create(acting_user=request.user, **serializer.validated_data)
        return Response(serializers.SavedViewSerializer(saved_view).data, status=status.HTTP_201_CREATED)


class SavedViewDetailView(APIView):
    permission_classes = [WorksCases]

    @extend_schema(
        tags=[SAVED_VIEWS],
        summary="Delete one of your saved views",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, **errors(403, 404)},
    )
    def delete(self, request, pk):
        saved_view = selectors.saved_views_for(user=request.user).filter(pk=_id(pk, "saved view")).first()
        if saved_view is None:
            raise NotFound(f"No saved view {pk} of yours.")
        services.saved_view_delete(acting_user=request.user, saved_view=saved_view)
        return Response(status=status.HTTP_204_NO_CONTENT)
