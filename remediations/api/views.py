"""The remediations and root-causes API. Each view validates the shape of the request, makes one service or
selector call and renders; the same services and access rules as the pages.

Who may call: case workers (specialists, managers, admins) and partner team members; requesters get 403. Each
remediation is fetched through `selectors.remediation_get_for_user`: another team's remediation answers 404 to
a partner, as the pages do. Errors come back as `{"detail", "code", "fields"}` (`escalations.api.exceptions`):
400 invalid input, 403 not allowed, 404 not found, 409 a move the lifecycle does not allow.
"""

from django.db.models import Count, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from escalations.api.serializers import ErrorSerializer
from escalations.errors import InvalidInput
from remediations import access, conf, selectors, services
from remediations.api import serializers
from remediations.filters import RemediationFilter, RootCauseFilter
from remediations.models import Remediation, RootCause

REMEDIATIONS = "remediations"
ROOT_CAUSES = "root causes"
REMEDIATION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The remediation's id.")
ROOT_CAUSE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The root cause's id.")
WEEKS = OpenApiParameter(
    "weeks", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Weeks before and after shipping (default 8)."
)
ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each problem.",
    403: "Not signed in, or not allowed to do this.",
    404: "No such remediation (or root cause) that you can see, or no such page of a list.",
    409: "A move the lifecycle does not allow from the current status.",
}


def errors(*status_codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in status_codes}


class SeesRemediations(BasePermission):
    message = "Remediations are for specialists, managers and partner teams."

    def has_permission(self, request, view):
        return access.sees_remediations(request.user)


class RemediationApiView(APIView):
    permission_classes = [SeesRemediations]
    # Services name the problem statement as the model does.
    domain_error_fields = {"description": "problem_statement"}


def _detail(remediation_id: int, user) -> Remediation:
    """A remediation with what its representation needs, through the one door for access."""
    return selectors.remediation_get_for_user(user=user, pk=remediation_id)


def _render(remediation, request, *, status_code=status.HTTP_200_OK) -> Response:
    fresh = (
        selectors.remediations_visible_to(user=request.user)
        .select_related("owner_team", "owner", "created_by")
        .prefetch_related("root_causes", Prefetch("escalations"))
        .annotate(escalation_count=Count("escalations", distinct=True))
        .get(pk=remediation.pk)
    )
    data = serializers.RemediationSerializer(fresh, context={"request": request}).data
    headers = {"Location": data["url"]} if status_code == status.HTTP_201_CREATED else None
    return Response(data, status=status_code, headers=headers)


class RemediationListView(generics.ListAPIView):
    permission_classes = [SeesRemediations]
    serializer_class = serializers.RemediationSerializer
    filterset_class = RemediationFilter
    domain_error_fields = {"description": "problem_statement"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return Remediation.objects.none()
        return selectors.remediation_list(user=self.request.user).prefetch_related("root_causes", "escalations")

    @extend_schema(
        tags=[REMEDIATIONS],
        summary="List the remediations you may see",
        description="Case workers see every remediation, partner team members their teams'. Soonest due first.",
        responses={200: serializers.RemediationSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[REMEDIATIONS],
        summary="Propose a remediation",
        description=(
            "Case workers propose to any team, partner team members to their own. It starts as `proposed`; the "
            "owner team is emailed. Root causes must be active drivers; escalations are references you may see."
        ),
        request=serializers.RemediationInputSerializer,
        responses={201: serializers.RemediationSerializer, **errors(400, 403)},
    )
    def post(self, request):
        serializer = serializers.RemediationInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        remediation = services.remediation_create(acting_user=request.user, **serializer.service_arguments())
        return _render(remediation, request, status_code=status.HTTP_201_CREATED)


class RemediationDetailView(RemediationApiView):
    @extend_schema(
        tags=[REMEDIATIONS],
        summary="One remediation",
        parameters=[REMEDIATION_ID],
        responses={200: serializers.RemediationSerializer, **errors(403, 404)},
    )
    def get(self, request, pk):
        return _render(_detail(pk, request.user), request)

    @extend_schema(
        tags=[REMEDIATIONS],
        summary="Change a remediation",
        description=(
            "Send only what changes. Details: the owner team, managers, or whoever proposed it while proposed. "
            "The owner team: managers (or the proposer while proposed). Linked root causes and escalations "
            "(each list replaces the current one): case workers and the owner team. The status changes only "
            "through `transition/`. Remediations are declined, never deleted."
        ),
        parameters=[REMEDIATION_ID],
        request=serializers.RemediationInputSerializer,
        responses={200: serializers.RemediationSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request, pk):
        remediation = _detail(pk, request.user)
        serializer = serializers.RemediationInputSerializer(
            data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        services.remediation_edit(
            acting_user=request.user, remediation=remediation, changes=serializer.service_arguments()
        )
        return _render(remediation, request)


class RemediationTransitionView(RemediationApiView):
    @extend_schema(
        tags=[REMEDIATIONS],
        summary="Move a remediation along its lifecycle",
        description=(
            "proposed → accepted → in_progress → shipped → verified; proposed, accepted or in_progress → declined "
            "(`reason` required); shipped → in_progress (reopen). Only the owner team's members and managers move "
            "it; any other move answers 409 naming the moves that are possible."
        ),
        parameters=[REMEDIATION_ID],
        request=serializers.TransitionInputSerializer,
        responses={200: serializers.RemediationSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        remediation = _detail(pk, request.user)
        serializer = serializers.TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.remediation_transition(acting_user=request.user, remediation=remediation, **serializer.validated_data)
        return _render(remediation, request)


class RemediationUpdatesView(RemediationApiView):
    @extend_schema(
        tags=[REMEDIATIONS],
        summary="The remediation's timeline",
        description="Oldest first: creation, every edit, link change, move and progress update.",
        parameters=[REMEDIATION_ID],
        responses={200: serializers.RemediationUpdateSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, pk):
        remediation = _detail(pk, request.user)
        timeline = selectors.remediation_timeline(remediation=remediation)
        return Response(serializers.RemediationUpdateSerializer(timeline, many=True).data)

    @extend_schema(
        tags=[REMEDIATIONS],
        summary="Post a progress update",
        parameters=[REMEDIATION_ID],
        request=serializers.ProgressUpdateInputSerializer,
        responses={201: serializers.RemediationUpdateSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, pk):
        remediation = _detail(pk, request.user)
        serializer = serializers.ProgressUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update = services.remediation_update_add(
            acting_user=request.user, remediation=remediation, body=serializer.validated_data["body"]
        )
        return Response(serializers.RemediationUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


class RemediationEffectivenessView(RemediationApiView):
    @extend_schema(
        tags=[REMEDIATIONS],
        summary="Did it work? Escalations with its root causes before and after shipping",
        description=(
            "Weekly counts of new escalations whose root cause is linked to the remediation, `weeks` weeks before "
            "it shipped and `weeks` after. `has_data` is false (and the numbers null) until it has shipped and "
            "that many weeks have passed."
        ),
        parameters=[REMEDIATION_ID, WEEKS],
        responses={200: serializers.EffectivenessSerializer, **errors(400, 403, 404)},
    )
    def get(self, request, pk):
        remediation = _detail(pk, request.user)
        raw = request.query_params.get("weeks") or str(conf.effectiveness_weeks())
        if not raw.isdigit() or not 1 <= int(raw) <= 52:
            raise InvalidInput("`weeks` is a whole number from 1 to 52.", field="weeks")
        effectiveness = selectors.remediation_effectiveness(remediation=remediation, weeks=int(raw))
        return Response(serializers.EffectivenessSerializer(effectiveness).data)


# Root causes


class RootCauseListView(generics.ListAPIView):
    permission_classes = [SeesRemediations]
    serializer_class = serializers.RootCauseSerializer
    filterset_class = RootCauseFilter

    def get_queryset(self):
        return RootCause.objects.select_related("parent").order_by("parent__name", "name", "pk")

    @extend_schema(
        tags=[ROOT_CAUSES],
        summary="The root-cause taxonomy",
        description="Areas (`kind=area`) and their drivers (`kind=driver`, `area=<slug>`); `is_active=true` for "
        "what pickers offer.",
        responses={200: serializers.RootCauseSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[ROOT_CAUSES],
        summary="Add an area or a driver (managers)",
        request=serializers.RootCauseInputSerializer,
        responses={201: serializers.RootCauseSerializer, **errors(400, 403)},
    )
    def post(self, request):
        serializer = serializers.RootCauseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        root_cause = services.root_cause_create(acting_user=request.user, **serializer.validated_data)
        data = serializers.RootCauseSerializer(root_cause, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


class RootCauseApiView(APIView):
    permission_classes = [SeesRemediations]

    def render(self, root_cause, request):
        root_cause = selectors.root_cause_get(pk=root_cause.pk)
        return Response(serializers.RootCauseSerializer(root_cause, context={"request": request}).data)


class RootCauseDetailView(RootCauseApiView):
    @extend_schema(
        tags=[ROOT_CAUSES],
        summary="One area or driver",
        parameters=[ROOT_CAUSE_ID],
        responses={200: serializers.RootCauseSerializer, **errors(403, 404)},
    )
    def get(self, request, pk):
        return self.render(selectors.root_cause_get(pk=pk), request)

    @extend_schema(
        tags=[ROOT_CAUSES],
        summary="Rename or describe an area or driver (managers)",
        parameters=[ROOT_CAUSE_ID],
        request=serializers.RootCauseEditInputSerializer,
        responses={200: serializers.RootCauseSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request, pk):
        root_cause = selectors.root_cause_get(pk=pk)
        serializer = serializers.RootCauseEditInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.root_cause_rename(
            acting_user=request.user,
            root_cause=root_cause,
            name=data.get("name", root_cause.name),
            description=data.get("description"),
        )
        return self.render(root_cause, request)


class RootCauseRetireView(RootCauseApiView):
    @extend_schema(
        tags=[ROOT_CAUSES],
        summary="Retire an area or driver (managers)",
        description="It stays on the cases and remediations that have it and leaves the pickers.",
        parameters=[ROOT_CAUSE_ID],
        request=None,
        responses={200: serializers.RootCauseSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, pk):
        root_cause = services.root_cause_retire(acting_user=request.user, root_cause=selectors.root_cause_get(pk=pk))
        return self.render(root_cause, request)


class RootCauseRestoreView(RootCauseApiView):
    @extend_schema(
        tags=[ROOT_CAUSES],
        summary="Put a retired area or driver back in the pickers (managers)",
        parameters=[ROOT_CAUSE_ID],
        request=None,
        responses={200: serializers.RootCauseSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, pk):
        root_cause = services.root_cause_restore(acting_user=request.user, root_cause=selectors.root_cause_get(pk=pk))
        return self.render(root_cause, request)


class RootCauseMergeView(RootCauseApiView):
    domain_error_fields = {"target": "into", "source": "into"}

    @extend_schema(
        tags=[ROOT_CAUSES],
        summary="Merge this driver into another (managers)",
        description=(
            "Every escalation with this driver moves to `into`, each with an internal event on its timeline; "
            "remediations linked to this driver are linked to `into` too; this driver is retired."
        ),
        parameters=[ROOT_CAUSE_ID],
        request=serializers.RootCauseMergeInputSerializer,
        responses={200: serializers.RootCauseMergedSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, pk):
        source = selectors.root_cause_get(pk=pk)
        serializer = serializers.RootCauseMergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = serializer.validated_data["into"]
        moved = services.root_cause_merge(
            acting_user=request.user, source=source, target=target, reason=serializer.validated_data["reason"]
        )
        return Response(serializers.RootCauseMergedSerializer({"moved": moved, "into": target.pk}).data)
