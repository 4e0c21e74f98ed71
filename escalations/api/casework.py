"""Working a case through the API: lifecycle actions, communications with the customer, and handoffs.

Every action is a POST that validates its input, fetches the case through the one door for access
(`selectors.escalation_get_for_user`, so a case you cannot see is a 404), makes one service call (the same one the
case page makes) and answers with the case as it is now. The services refuse what the lifecycle does not allow
and stale versions (409), and changes by anyone but specialists, managers and admins (403).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from escalations import selectors, services
from escalations.api import casework_serializers as serializers
from escalations.api.serializers import EscalationSerializer, EventSerializer
from escalations.api.views import REFERENCE, errors
from escalations.filters import HandoffFilter
from escalations.lifecycle import Status
from escalations.models import Communication, CommunicationTemplate, EscalationEvent, Handoff
from remediations.api.schema import NamedChoiceField
from users.access import works_cases

LIFECYCLE = "escalation lifecycle"
COMMUNICATIONS = "communications"
HANDOFFS = "handoffs"
HANDOFF_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The handoff's id.")


class WorksCases(BasePermission):
    message = "Only specialists, managers and admins work cases."

    def has_permission(self, request, view):
        return request.user.is_authenticated and works_cases(request.user)


class SeesHandoffs(BasePermission):
    message = "Handoffs are for case workers and partner team members."

    def has_permission(self, request, view):
        user = request.user
        return user.is_authenticated and (works_cases(user) or user.role == user.Role.PARTNER)


def _case(request, reference):
    return selectors.escalation_get_for_user(user=request.user, reference=reference)


def _render_case(request, reference) -> Response:
    """The case as it is after the change, read again through the door for access."""
    escalation = _case(request, reference)
    return Response(EscalationSerializer(escalation, context={"request": request}).data)


class CaseActionView(APIView):
    """A POST on a case that validates `input_serializer` and calls `perform(request, case, data)`."""

    permission_classes = [WorksCases]
    input_serializer: type = None

    def post(self, request, reference):
        escalation = _case(request, reference)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform(request, escalation, serializer.validated_data)
        return _render_case(request, reference)

    def perform(self, request, escalation, data):
        raise NotImplementedError


def lifecycle_schema(summary: str, description: str, request):
    return extend_schema(
        tags=[LIFECYCLE],
        summary=summary,
        description=description,
        parameters=[REFERENCE],
        request=request,
        responses={200: EscalationSerializer, **errors(400, 403, 404, 409)},
    )


@lifecycle_schema(
    "Triage a new escalation",
    "Confirm its priority and product area and give it an owner, all in one step; it becomes `triaged`. "
    "Only a `new` escalation can be triaged (409 otherwise).",
    serializers.TriageInputSerializer,
)
class TriageView(CaseActionView):
    input_serializer = serializers.TriageInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_triage(
            acting_user=request.user,
            escalation=escalation,
            priority=data["priority"],
            category=data["category"],
            assignee=data["assignee"],
            expected_version=data["version"],
        )


@lifecycle_schema(
    "Give the escalation an owner (or none)",
    "The new owner is emailed unless they assigned themselves. The same owner again changes nothing.",
    serializers.AssignInputSerializer,
)
class AssignView(CaseActionView):
    input_serializer = serializers.AssignInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_assign(
            acting_user=request.user,
            escalation=escalation,
            assignee=data["assignee"],
            expected_version=data["version"],
        )


@lifecycle_schema(
    "Change the priority",
    "The service-level clocks are re-targeted from when they started; the timeline says from what to what and why.",
    serializers.PriorityInputSerializer,
)
class PriorityView(CaseActionView):
    input_serializer = serializers.PriorityInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_set_priority(
            acting_user=request.user,
            escalation=escalation,
            priority=data["priority"],
            reason=data["reason"],
            expected_version=data["version"],
        )


@lifecycle_schema(
    "Move the escalation along the lifecycle",
    "triaged → in_progress (start); in_progress ↔ waiting_on_partner / waiting_on_user; resolved → closed; "
    "resolved or closed → in_progress (reopen). A move the lifecycle does not allow answers 409 with the moves "
    "that are possible. Resolving, rejecting and marking a duplicate need more than a status: use their own actions.",
    serializers.EscalationTransitionInputSerializer,
)
class TransitionView(CaseActionView):
    input_serializer = serializers.EscalationTransitionInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_transition(
            acting_user=request.user,
            escalation=escalation,
            to_status=data["to_status"],
            reason=data["reason"],
            expected_version=data["version"],
        )


@lifecycle_schema(
    "Resolve with a summary and a root cause",
    "From triaged, in progress or waiting. The requester and watchers are emailed the summary; the resolution "
    "clock stops.",
    serializers.ResolveInputSerializer,
)
class ResolveView(CaseActionView):
    input_serializer = serializers.ResolveInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_transition(
            acting_user=request.user,
            escalation=escalation,
            to_status=Status.RESOLVED.value,
            resolution_summary=data["resolution_summary"],
            root_cause=data["root_cause"],
            expected_version=data["version"],
        )


@lifecycle_schema(
    "Reopen a resolved or closed escalation",
    "It goes back to in progress and the resolution clock starts again.",
    serializers.ReasonInputSerializer,
)
class ReopenView(CaseActionView):
    input_serializer = serializers.ReasonInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_transition(
            acting_user=request.user,
            escalation=escalation,
            to_status=Status.IN_PROGRESS.value,
            reason=data["reason"],
            expected_version=data["version"],
        )


@lifecycle_schema(
    "Reject a new escalation",
    "The reason is required; the requester is told.",
    serializers.RejectInputSerializer,
)
class RejectView(CaseActionView):
    input_serializer = serializers.RejectInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_transition(
            acting_user=request.user,
            escalation=escalation,
            to_status=Status.REJECTED.value,
            reason=data["reason"],
            expected_version=data["version"],
        )


@lifecycle_schema(
    "Mark an open escalation as a duplicate of another",
    "The timeline is kept and the requester is told. A chain of duplicates points at the first original.",
    serializers.DuplicateInputSerializer,
)
class DuplicateView(CaseActionView):
    input_serializer = serializers.DuplicateInputSerializer

    def perform(self, request, escalation, data):
        services.escalation_transition(
            acting_user=request.user,
            escalation=escalation,
            to_status=Status.DUPLICATE.value,
            duplicate_of=data["duplicate_of"],
            expected_version=data["version"],
        )


# Communications


class CommunicationsView(APIView):
    permission_classes = [WorksCases]

    @extend_schema(
        tags=[COMMUNICATIONS],
        summary="Emails and calls with the customer on this case",
        description="Oldest first, with each email's delivery status from the outbox.",
        parameters=[REFERENCE],
        responses={200: serializers.CommunicationSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, reference):
        escalation = _case(request, reference)
        communications = Communication.objects.filter(escalation=escalation).select_related(
            "template", "created_by", "outbox_message", "escalation"
        )
        return Response(
            serializers.CommunicationSerializer(communications.order_by("created_at", "pk"), many=True).data
        )


def _communication_response(communication) -> Response:
    fresh = Communication.objects.select_related("template", "created_by", "outbox_message", "escalation").get(
        pk=communication.pk
    )
    return Response(serializers.CommunicationSerializer(fresh).data, status=status.HTTP_201_CREATED)


class EmailCustomerView(APIView):
    permission_classes = [WorksCases]

    @extend_schema(
        tags=[COMMUNICATIONS],
        summary="Email the customer",
        description=(
            "Queued through the outbox, put on the timeline, and the first one stops the first-response clock. "
            "With a `template`, the subject and body you leave out are filled from it for this case."
        ),
        parameters=[REFERENCE],
        request=serializers.EmailInputSerializer,
        responses={201: serializers.CommunicationSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, reference):
        escalation = _case(request, reference)
        serializer = serializers.EmailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subject, body = data["subject"], data["body"]
        if data["template"] is not None:
            filled_subject, filled_body = services.communication_template_render(
                template=data["template"], escalation=escalation, specialist=request.user
            )
            subject, body = subject or filled_subject, body or filled_body
        communication = services.escalation_email_customer(
            acting_user=request.user,
            escalation=escalation,
            to=data["to"],
            subject=subject,
            body=body,
            template=data["template"],
        )
        return _communication_response(communication)


class LogCallView(APIView):
    permission_classes = [WorksCases]

    @extend_schema(
        tags=[COMMUNICATIONS],
        summary="Log a phone call",
        description="A connected outbound call counts as a response to the customer.",
        parameters=[REFERENCE],
        request=serializers.CallInputSerializer,
        responses={201: serializers.CommunicationSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, reference):
        escalation = _case(request, reference)
        serializer = serializers.CallInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        communication = services.escalation_log_call(
            acting_user=request.user, escalation=escalation, **serializer.validated_data
        )
        return _communication_response(communication)


class CommunicationTemplateListView(generics.ListAPIView):
    permission_classes = [WorksCases]
    serializer_class = serializers.CommunicationTemplateSerializer
    queryset = CommunicationTemplate.objects.filter(is_active=True).order_by("order", "name", "pk")

    @extend_schema(
        tags=[COMMUNICATIONS],
        summary="The team's email templates",
        description="Django template syntax over the case: {{ reference }}, {{ contact_name }}, {{ specialist }}, …",
        responses={200: serializers.CommunicationTemplateSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# Handoffs


class CaseHandoffSerializer(serializers.HandoffSerializer):
    class Meta(serializers.HandoffSerializer.Meta):
        fields = [name for name in serializers.HandoffSerializer.Meta.fields if name != "escalation"]
        read_only_fields = fields


class CaseHandoffsView(APIView):
    @extend_schema(
        tags=[HANDOFFS],
        summary="The case's handoffs you may see",
        description="Newest first. Case workers see all of them, partners their own teams', requesters none.",
        parameters=[REFERENCE],
        responses={200: CaseHandoffSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, reference):
        escalation = _case(request, reference)
        handoffs = selectors.escalation_handoffs(escalation=escalation, user=request.user)
        return Response(CaseHandoffSerializer(handoffs, many=True).data)

    @extend_schema(
        tags=[HANDOFFS],
        summary="Hand off to a partner team",
        description=(
            "The team's members and contact address are emailed. `due_at` defaults to the team's response target "
            "in business time; with `wait_on_partner` an in-progress case moves to waiting on partner too."
        ),
        parameters=[REFERENCE],
        request=serializers.HandoffInputSerializer,
        responses={201: CaseHandoffSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, reference):
        if not works_cases(request.user):
            self.permission_denied(request, message=WorksCases.message, code="permission_denied")
        escalation = _case(request, reference)
        serializer = serializers.HandoffInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = services.handoff_request(acting_user=request.user, escalation=escalation, **serializer.validated_data)
        handoff = Handoff.objects.select_related("partner_team", "requested_by", "responded_by").get(pk=handoff.pk)
        return Response(CaseHandoffSerializer(handoff).data, status=status.HTTP_201_CREATED)


class HandoffListView(generics.ListAPIView):
    permission_classes = [SeesHandoffs]
    serializer_class = serializers.HandoffSerializer
    filterset_class = HandoffFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return Handoff.objects.none()
        return selectors.handoff_list_for_user(user=self.request.user)

    @extend_schema(
        tags=[HANDOFFS],
        summary="Handoffs you may see and answer",
        description="Case workers see every handoff, partner team members their teams'. Unanswered first.",
        responses={200: serializers.HandoffSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _handoff(request, handoff_id: str) -> Handoff:
    if not handoff_id.isdigit() or len(handoff_id) > 18:
        raise NotFound(f"No handoff {handoff_id} that you can see.")
    return selectors.handoff_get_for_user(user=request.user, handoff_id=int(handoff_id))


def _render_handoff(request, handoff) -> Response:
    fresh = selectors.handoff_get_for_user(user=request.user, handoff_id=handoff.pk)
    return Response(serializers.HandoffSerializer(fresh, context={"request": request}).data)


class HandoffDetailView(APIView):
    permission_classes = [SeesHandoffs]

    @extend_schema(
        tags=[HANDOFFS],
        summary="One handoff",
        parameters=[HANDOFF_ID],
        responses={200: serializers.HandoffSerializer, **errors(403, 404)},
    )
    def get(self, request, pk):
        return _render_handoff(request, _handoff(request, pk))


class HandoffAcknowledgeView(APIView):
    permission_classes = [SeesHandoffs]

    @extend_schema(
        tags=[HANDOFFS],
        summary="Acknowledge a handoff (the partner team has seen it)",
        description="Stops the handoff response clock; the case owner is told. Only once, while open (409 after).",
        parameters=[HANDOFF_ID],
        request=None,
        responses={200: serializers.HandoffSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, pk):
        handoff = services.handoff_acknowledge(acting_user=request.user, handoff=_handoff(request, pk))
        return _render_handoff(request, handoff)


class HandoffAnswerView(APIView):
    permission_classes = [SeesHandoffs]

    @extend_schema(
        tags=[HANDOFFS],
        summary="Answer a handoff",
        description="Closes the handoff and puts the answer on the case's timeline; the case owner is told.",
        parameters=[HANDOFF_ID],
        request=serializers.HandoffAnswerInputSerializer,
        responses={200: serializers.HandoffSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk):
        handoff = _handoff(request, pk)
        serializer = serializers.HandoffAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = services.handoff_answer(
            acting_user=request.user, handoff=handoff, response=serializer.validated_data["response"]
        )
        return _render_handoff(request, handoff)


# The timeline


class EventQuerySerializer(serializers.serializers.Serializer):
    kind = NamedChoiceField(choices=EscalationEvent.Kind.choices, enum_name="EscalationEventKindEnum", required=False)
    visibility = NamedChoiceField(
        choices=EscalationEvent.Visibility.choices, enum_name="EscalationEventVisibilityEnum", required=False
    )


class EscalationEventsView(APIView):
    @extend_schema(
        tags=["escalations"],
        summary="The case's timeline: every event you may see",
        description=(
            "Oldest first: filing, status changes, owner and priority changes, comments and shared updates, internal "
            "notes (case workers only), communications, handoffs, service-level alerts. Each event says who did it, "
            "when, and (in `data`) what changed. Requesters and partners see only what is shared with requesters."
        ),
        parameters=[REFERENCE, EventQuerySerializer],
        responses={200: EventSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, reference):
        escalation = _case(request, reference)
        query = EventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = selectors.escalation_timeline(escalation=escalation, user=request.user).filter(**query.validated_data)
        return Response(EventSerializer(events, many=True, context={"request": request, "escalation": escalation}).data)
