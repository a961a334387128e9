"""Messages sent to people are Chinese content, kept as templates in ``templates/programmes/notifications``:
the first line is the subject, the rest the body."""

from django.template.loader import render_to_string


def render_message(name, context):
    text = render_to_string(f"programmes/notifications/{name}.txt", context).strip()
    subject, _sep, body = text.partition("\n")
    return subject.strip()[:200], body.strip()
