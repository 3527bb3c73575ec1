"""``GET /api/files/tags?q=``: the tag names on the files the user may read (theirs
and those shared with them), for the composer's ``#tag`` menu."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import file_tag_names_for_user


class FileTagListApi(APIView):
    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
        limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)

    @extend_schema(
        operation_id="files_tags",
        parameters=[InputSerializer],
        responses=inline_serializer(
            "FileTags",
            {
                "results": inline_serializer(
                    "FileTag",
                    {
                        "name": serializers.CharField(),
                        "files": serializers.IntegerField(),
                        "shared_by": serializers.ListField(
                            child=serializers.EmailField(),
                            help_text="the owners of the files shared with you that "
                            "carry the tag (empty: only your own files do)",
                        ),
                    },
                    many=True,
                )
            },
        ),
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        tags = file_tag_names_for_user(user=request.user, prefix=data["q"], limit=data["limit"])
        return Response({"results": tags})
