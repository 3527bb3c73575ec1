"""The sharing REST API: links (``/api/files/{id}/links``, ``/api/links``) and user
shares (``/api/files/{id}/shares``, ``/api/tags/{tag}/shares``, ``/api/shares``).
Only the owner creates, lists and revokes: every door starts with the can-change check.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import file_get_for_user
from . import selectors, services
from .models import ShareLink, UserShare


class LinkOutputSerializer(serializers.ModelSerializer):
    file = serializers.UUIDField(source="file_id", read_only=True)
    filename = serializers.CharField(source="file.filename", read_only=True)
    has_password = serializers.BooleanField(read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "file",
            "filename",
            "created_at",
            "expires_at",
            "max_downloads",
            "pinned_version",
            "has_password",
            "revoked_at",
            "visits",
            "downloads",
            "active",
        ]
        read_only_fields = fields

    def get_active(self, link: ShareLink) -> bool:
        return services.link_is_live(link)


class NewLinkOutputSerializer(LinkOutputSerializer):
    url = serializers.CharField(help_text="The full /s/<token> address; shown only now.")

    class Meta(LinkOutputSerializer.Meta):
        fields = [*LinkOutputSerializer.Meta.fields, "url"]


class ShareOutputSerializer(serializers.ModelSerializer):
    file = serializers.UUIDField(source="file_id", read_only=True, allow_null=True)
    filename = serializers.SerializerMethodField()
    recipient_email = serializers.EmailField(source="recipient.email", read_only=True)

    class Meta:
        model = UserShare
        fields = ["id", "file", "filename", "tag", "recipient_email", "created_at", "revoked_at"]
        read_only_fields = fields

    def get_filename(self, share: UserShare) -> str | None:
        return share.file.filename if share.file_id else None


class FileLinksApi(APIView):
    class LinkInputSerializer(serializers.Serializer):
        expires_in = serializers.IntegerField(
            allow_null=True, min_value=0, help_text="Seconds from now; null: never expires."
        )
        password = serializers.CharField(
            required=False, allow_blank=True, trim_whitespace=False, max_length=200
        )
        max_downloads = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=1_000_000
        )
        pin_version = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        operation_id="files_links_create",
        request=LinkInputSerializer,
        responses={201: NewLinkOutputSerializer},
    )
    def post(self, request: Request, file_id: str) -> Response:
        body = self.LinkInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        file = file_get_for_user(user=request.user, file_id=file_id)
        new = services.link_create(file=file, **body.validated_data)
        data = dict(LinkOutputSerializer(new.link).data)
        path = reverse("share-page", kwargs={"token": new.token})
        data["url"] = request.build_absolute_uri(path)
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="files_links_list", responses=LinkOutputSerializer(many=True))
    def get(self, request: Request, file_id: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id)
        links = selectors.link_list_for_owner(owner=request.user, file_id=file.pk)
        return Response(LinkOutputSerializer(links, many=True).data)


class LinkListApi(APIView):
    @extend_schema(
        operation_id="links_list",
        parameters=[OpenApiParameter("file", str, required=False)],
        responses=LinkOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        file_id = request.query_params.get("file")
        file = file_get_for_user(user=request.user, file_id=file_id) if file_id else None
        links = selectors.link_list_for_owner(owner=request.user, file_id=file.pk if file else None)
        return Response(LinkOutputSerializer(links, many=True).data)


class LinkDetailApi(APIView):
    @extend_schema(operation_id="links_revoke", responses={204: None})
    def delete(self, request: Request, link_id: str) -> Response:
        link = selectors.link_get_for_owner(owner=request.user, link_id=link_id)
        services.link_revoke(link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShareInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class FileSharesApi(APIView):
    @extend_schema(
        operation_id="files_shares_create",
        request=ShareInputSerializer,
        responses={201: ShareOutputSerializer},
    )
    def post(self, request: Request, file_id: str) -> Response:
        body = ShareInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        file = file_get_for_user(user=request.user, file_id=file_id)
        share = services.share_create_for_file(file=file, email=body.validated_data["email"])
        return Response(ShareOutputSerializer(share).data, status=status.HTTP_201_CREATED)


class TagSharesApi(APIView):
    @extend_schema(
        operation_id="tags_shares_create",
        request=ShareInputSerializer,
        responses={201: ShareOutputSerializer},
    )
    def post(self, request: Request, tag: str) -> Response:
        body = ShareInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        share = services.share_create_for_tag(
            owner=request.user, tag=tag, email=body.validated_data["email"]
        )
        return Response(ShareOutputSerializer(share).data, status=status.HTTP_201_CREATED)


class ShareListApi(APIView):
    class ShareFilterSerializer(serializers.Serializer):
        file = serializers.UUIDField(required=False)
        live = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="shares_list",
        parameters=[ShareFilterSerializer],
        responses=ShareOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.ShareFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        shares = selectors.share_list_for_owner(
            owner=request.user,
            file_id=filters.validated_data.get("file"),
            live=filters.validated_data.get("live"),
        )
        return Response(ShareOutputSerializer(shares, many=True).data)


class ShareDetailApi(APIView):
    @extend_schema(operation_id="shares_revoke", responses={204: None})
    def delete(self, request: Request, share_id: str) -> Response:
        share = selectors.share_get_for_owner(owner=request.user, share_id=share_id)
        services.share_revoke(share=share)
        return Response(status=status.HTTP_204_NO_CONTENT)
