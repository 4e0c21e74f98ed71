"""The intake API. Each view validates the shape of the request, makes one service or selector call and renders.

Every escalation is fetched through `selectors.escalation_get_for_user` (the one door for access): a case the
caller may not see answers 404, exactly as the pages do. Requesters cannot edit a case after filing; they add
comments and files. Errors come back as `{"detail", "code", "fields"}` (see `escalations.api.exceptions`).
"""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from escalations import selectors, services
from escalations import views as web_views
from escalations.api import serializers
from escalations.api.pagination import CappedPageNumberPagination
from escalations.filters import MyEscalationsFilter, TriageFilter
from escalations.models import Escalation, EscalationEvent

TAG = "escalations"
REFERENCE = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The escalation's reference, e.g. ESC-1001.",
    examples=[OpenApiExample("A case", value="ESC-1001")],
)
ATTACHMENT_ID = OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)
ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each problem.",
    403: "Not signed in, or not allowed to do this.",
    404: "No such escalation (or file, or handoff) that you can see, or no such page of a list.",
    409: "Refused: a move the lifecycle does not allow from the current status, or a stale `version`.",
}


def errors(*status_codes: int) -> dict:
    return {
        code: OpenApiResponse(serializers.ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in status_codes
    }


class EscalationFilter(TriageFilter):
    """The dashboard's filters and sorts (shared with the triage page), plus open/finished `state`."""

    state = MyEscalationsFilter.base_filters["state"]

    class Meta(TriageFilter.Meta):
        pass

    def filter_state(self, queryset, name, value):
        return MyEscalationsFilter.filter_state(self, queryset, name, value)


class EscalationListView(generics.ListAPIView):
    serializer_class = serializers.EscalationSummarySerializer
    pagination_class = CappedPageNumberPagination
    filterset_class = EscalationFilter
    # Services name the new account's fields as the web form does.
    domain_error_fields = {"new_account_name": "new_account.name", "new_account_tier": "new_account.tier"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return Escalation.objects.none()
        return selectors.escalation_list_for_user(user=self.request.user)

    @extend_schema(
        tags=[TAG],
        summary="List the escalations you may see",
        description="Requesters see what they filed or watch; specialists and managers see every escalation.",
        responses={200: serializers.EscalationSummarySerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        summary="File an escalation",
        description=(
            "Validates like the web form, files the case in one transaction and queues one acknowledgement. "
            "The priority is suggested by the rule table (specialists confirm it at triage), so none is accepted "
            "here. `possible_duplicates` lists open cases that looked similar before this one was filed. "
            "Add files afterwards through the attachments sub-resource."
        ),
        request=serializers.EscalationFileInputSerializer,
        responses={201: serializers.EscalationFiledSerializer, **errors(400, 403)},
    )
    def post(self, request):
        serializer = serializers.EscalationFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Looked up before filing, so the new case never lists itself.
        possible_duplicates = selectors.similar_open_escalations(account=data["account"], title=data["title"])
        escalation = services.escalation_file(acting_user=request.user, **data)
        output = serializers.EscalationFiledSerializer(
            escalation, context={**self.get_serializer_context(), "possible_duplicates": possible_duplicates}
        )
        return Response(output.data, status=status.HTTP_201_CREATED, headers={"Location": output.data["url"]})


class EscalationDetailView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="One escalation, with the timeline and files you may see",
        parameters=[REFERENCE],
        responses={200: serializers.EscalationDetailSerializer, **errors(403, 404)},
    )
    def get(self, request, reference):
        escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
        context = {
            "request": request,
            "escalation": escalation,
            "timeline": selectors.escalation_timeline(escalation=escalation, user=request.user),
            "attachments": selectors.escalation_attachments(escalation=escalation, user=request.user),
            "is_watching": selectors.is_watching(escalation=escalation, user=request.user),
        }
        return Response(serializers.EscalationDetailSerializer(escalation, context=context).data)


class EscalationCommentsView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="The timeline entries you may see",
        description="Oldest first. Requesters see only what is shared with them; internal notes never appear.",
        parameters=[REFERENCE],
        responses={200: serializers.EventSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, reference):
        escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
        timeline = selectors.escalation_timeline(escalation=escalation, user=request.user)
        context = {"request": request, "escalation": escalation}
        return Response(serializers.EventSerializer(timeline, many=True, context=context).data)

    @extend_schema(
        tags=[TAG],
        summary="Add a comment",
        description="A shared comment tells the people following the case; only case workers write internal notes.",
        parameters=[REFERENCE],
        request=serializers.CommentInputSerializer,
        responses={201: serializers.EventSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, reference):
        escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
        serializer = serializers.CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.escalation_comment(
            acting_user=request.user,
            escalation=escalation,
            body=serializer.validated_data["body"],
            is_internal=serializer.validated_data["visibility"] == EscalationEvent.Visibility.INTERNAL,
        )
        context = {"request": request, "escalation": escalation}
        return Response(serializers.EventSerializer(event, context=context).data, status=status.HTTP_201_CREATED)


class EscalationAttachmentsView(APIView):
    parser_classes = [MultiPartParser]  # the one place the API accepts anything but JSON
    domain_error_fields = {"attachments": "file"}

    @extend_schema(
        tags=[TAG],
        summary="The files you may see",
        parameters=[REFERENCE],
        responses={200: serializers.AttachmentSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, reference):
        escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
        attachments = selectors.escalation_attachments(escalation=escalation, user=request.user)
        context = {"request": request, "escalation": escalation}
        return Response(serializers.AttachmentSerializer(attachments, many=True, context=context).data)

    @extend_schema(
        tags=[TAG],
        summary="Attach a file",
        description="multipart/form-data with one `file`; it appears on the shared timeline.",
        parameters=[REFERENCE],
        request={"multipart/form-data": serializers.AttachmentInputSerializer},
        responses={201: serializers.AttachmentSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, reference):
        escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
        serializer = serializers.AttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A comment without words is how a file joins the timeline: the service accepts files alone.
        event = services.escalation_comment(
            acting_user=request.user, escalation=escalation, body="", attachments=[serializer.validated_data["file"]]
        )
        (attachment,) = event.attachments.select_related("uploaded_by")
        context = {"request": request, "escalation": escalation}
        return Response(
            serializers.AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED
        )


class EscalationAttachmentDownloadView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Download a file",
        parameters=[REFERENCE, ATTACHMENT_ID],
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."), **errors(403, 404)},
    )
    def get(self, request, reference, attachment_id):
        if not re.fullmatch(r"[0-9]{1,18}", attachment_id):
            raise NotFound(f"No file {attachment_id} on {reference} that you can see.")
        # The same download as the page, so the access rule and the response headers live in one place.
        return web_views.attachment_download(request._request, reference=reference, attachment_id=int(attachment_id))


class EscalationWatchView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Watch an escalation",
        description="Watchers are told when the case moves. The requester always is, so cannot watch their own.",
        parameters=[REFERENCE],
        request=None,
        responses={200: serializers.WatchSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, reference):
        return self._watch(request, reference, watching=True)

    @extend_schema(
        tags=[TAG],
        summary="Stop watching an escalation",
        parameters=[REFERENCE],
        request=None,
        responses={200: serializers.WatchSerializer, **errors(400, 403, 404)},
    )
    def delete(self, request, reference):
        return self._watch(request, reference, watching=False)

    def _watch(self, request, reference, *, watching: bool):
        escalation = selectors.escalation_get_for_user(user=request.user, reference=reference)
        changed = services.escalation_watch(acting_user=request.user, escalation=escalation, watching=watching)
        return Response(serializers.WatchSerializer({"watching": watching, "changed": changed}).data)


class EscalationFollowView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Follow an open escalation instead of filing a duplicate",
        description=(
            "For a case named in `possible_duplicates`: you become a watcher and your context lands on its "
            "timeline (its owner is told). Any open escalation can be followed; finished ones answer 404."
        ),
        parameters=[REFERENCE],
        request=serializers.FollowInputSerializer,
        responses={200: serializers.WatchSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, reference):
        escalation = selectors.escalation_get_followable(reference=reference)
        serializer = serializers.FollowInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.escalation_follow(
            acting_user=request.user, escalation=escalation, context=serializer.validated_data["context"]
        )
        return Response(serializers.WatchSerializer({"watching": True, "changed": True}).data)
