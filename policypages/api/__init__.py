"""Public, read-only JSON API of the published policies and notices (mounted under /api/v1/ by
``policypages.api_urls``). Reads live in ``policypages.api.selectors``; the views stay thin."""
