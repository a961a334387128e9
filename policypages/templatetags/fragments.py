"""``{% fragment key %}…{% endfragment %}``: the enclosed output kept in the default cache under ``key``, rendered
afresh when ``key`` is empty. Keys come from ``policypages.cache.fragment_key``, which ends them with the content
version, so a fragment never outlives a publish; Django's ``{% cache %}`` would store under an empty key too."""

from django import template
from django.core.cache import caches

register = template.Library()

TIMEOUT = 24 * 60 * 60  # orphaned versions expire; a current one is rendered at most once a day


class FragmentNode(template.Node):
    def __init__(self, nodelist, key):
        self.nodelist, self.key = nodelist, key

    def render(self, context):
        key = self.key.resolve(context)
        if not key:
            return self.nodelist.render(context)
        cache = caches["default"]
        key = f"fragment:{key}"
        html = cache.get(key)
        if html is None:
            html = self.nodelist.render(context)
            cache.set(key, html, TIMEOUT)
        return html


@register.tag
def fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes one argument, the key")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, parser.compile_filter(bits[1]))
