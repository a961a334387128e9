"""The API's JSON renderer: the parser keeps malformed Unicode out, but a row stored before that (or written by
another path) must not turn every read of it into a 500. Text that cannot be encoded is shown with U+FFFD in
place of each lone surrogate; well-formed data renders exactly as DRF renders it."""

from rest_framework import renderers

from huicai.text import well_formed_text


def scrub(value):
    """``value`` with every lone surrogate in its keys and strings replaced by U+FFFD (iteratively)."""
    if isinstance(value, str):
        return well_formed_text(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(scrub(data), accepted_media_type, renderer_context)
