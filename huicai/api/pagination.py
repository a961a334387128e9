"""Every list of the API is paginated the same way: ``{"count", "next", "previous", "results"}``, ``?page=`` and
``?page_size=`` (at most 200), in a stable order (the view orders by a unique key last, so a row never appears on
two pages nor on none while the data stands still)."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


def paginated(request, view, items, serialize):
    """The paginated response for ``items`` (an ordered queryset or list) in a function or APIView view;
    ``serialize`` turns one page of items into a list of dicts."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serialize(page))


def paginated_schema(serializer_class):
    """The OpenAPI shape of a page of ``serializer_class`` for views that paginate with :func:`paginated`."""
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    return inline_serializer(
        f"Paginated{serializer_class.__name__.removesuffix('Serializer')}List",
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
