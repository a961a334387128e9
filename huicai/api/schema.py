def only_public_api(endpoints, **kwargs):
    """The OpenAPI document describes our versioned API, not Wagtail's internal admin API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
