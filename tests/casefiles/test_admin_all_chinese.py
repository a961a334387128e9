"""Every admin screen a demo user reaches from the menu is in Chinese (issue #19 item 4).

One sweep over load_demo's data: each demo account that may enter the admin is signed in; accounts whose sidebar
menu is the same are one kind, and one of each kind crawls its admin home, its account page and every page its
menu links to (submenus included). A page fails when its text, or a menu label, holds an English word: Wagtail
strings its catalogue leaves in English, msgids of ours missing from the zh-Hans catalogue, Python's True/None,
logins. Read as text: text outside script/style/SVG/template/code, and the placeholder, title and alt attributes
and button values a person reads. Not English: URLs, paths, e-mail addresses, file extensions, codes with digits
(card numbers), the few tokens of ``TOLERATED``, and on the administrator's screens the codes of scheme data and
the logins of Wagtail's account screens (data the administrator manages by those names)."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from casefiles.selectors_opinions import person_name

pytestmark = [pytest.mark.django_db]

# Tokens a Chinese government screen prints as they are: formats and product names, and "VIP" where a policy's
# own service name has it (聊城 "专属窗口VIP服务"). "English" names that language in a language picker.
TOLERATED = {
    "PDF",
    "CSV",
    "XLSX",
    "Excel",
    "YAML",
    "JSON",
    "SHA",
    "KB",
    "MB",
    "URL",
    "API",
    "ID",
    "VIP",
    "Wagtail",
    "Huicai",
    "English",
}
# Wagtail writes this one into its templates without gettext (the screen-reader-only submit button of the search
# forms in wagtailadmin/home.html and wagtailadmin/shared/header.html): no catalogue can translate it.
WAGTAIL_HARDCODED = {"Search"}
# Wagtail's site list takes its column headings from the field names (``Column("port")``, ``Column("site_name")``,
# ``Column("root_page")`` in wagtail/sites/views.py, no label): English no catalogue reaches. The administrator's.
NOT_CRAWLED = ("/admin/sites/",)
# Wagtail's user and group screens: the administrator reads accounts by their logins there.
ACCOUNT_SCREENS = ("/admin/users/", "/admin/groups/")
NOT_TEXT = {"script", "style", "svg", "template", "noscript", "code", "pre", "kbd"}
READ_ATTRIBUTES = ("placeholder", "title", "alt")
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z'’]*[A-Za-z](?![A-Za-z0-9])")
NOT_WORDS = re.compile(
    r"https?://\S+"  # URLs
    r"|(?<!\w)/[\w/.?=&%-]*"  # paths
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|(?<![\w])\.[A-Za-z]{2,5}\b"  # file extensions
)
TOKEN = re.compile(r"[^\w.-]+")


class VisibleText(HTMLParser):
    """The text runs of a page a person reads."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.stack = []  # (tag, whether it hides its content)
        self.runs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID:
            hides = tag in NOT_TEXT or "hidden" in attrs  # an element with ``hidden`` is neither shown nor read
            self.stack.append((tag, hides))
            self.skipping += hides
        if self.skipping:
            return
        self.runs += [attrs[name] for name in READ_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.runs.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.VOID or all(open_tag != tag for open_tag, _hides in self.stack):
            return
        while self.stack:
            open_tag, hides = self.stack.pop()
            self.skipping -= hides
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.runs.append(" ".join(data.split()))


def text_runs(html):
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return [run for run in parser.runs if run not in WAGTAIL_HARDCODED]


def english_words(text, identifiers=frozenset()):
    text = " ".join(token for token in TOKEN.split(text) if token not in identifiers)
    return [word for word in WORD.findall(NOT_WORDS.sub(" ", text)) if word not in TOLERATED]


SIDEBAR_PROPS = re.compile(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', re.S)


def sidebar_dicts(html):
    """Every object in the sidebar's props, which Wagtail renders as JSON (``{% sidebar_props %}``), in order."""
    match = SIDEBAR_PROPS.search(html)
    assert match, "no sidebar on an admin page"
    stack = [json.loads(match.group(1))]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def sidebar(html):
    """The menu links and every label of the sidebar."""
    links, labels = [], []
    for node in sidebar_dicts(html):
        if isinstance(node.get("label"), str):
            labels.append(node["label"])
            if isinstance(node.get("url"), str):
                links.append(node["url"])
    return links, labels


def account_name(html):
    """The name the sidebar's account menu shows (the MainMenuModule's account dict)."""
    return next((node.get("name") for node in sidebar_dicts(html) if "avatarUrl" in node), None)


def data_names():
    """What the administrator's screens show as data: scheme data by its codes (the 代码 columns, the actor and
    fired-by columns as the files spell them), the sites' host names, the root page's title, group names."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page, Site

    from casefiles.models import Department, Scheme, Tier, WorkflowState, WorkflowTransition

    names = set(Scheme.objects.values_list("slug", flat=True)) | set(Group.objects.values_list("name", flat=True))
    for model in (Department, Tier, WorkflowState, WorkflowTransition):
        names |= set(model.objects.values_list("code", flat=True))
    names |= set(WorkflowState.objects.values_list("actor", flat=True))
    names |= set(WorkflowTransition.objects.values_list("by", flat=True))
    names |= set(Site.objects.values_list("hostname", flat=True))
    names |= set(Page.objects.filter(depth=1).values_list("title", flat=True))
    names |= {f"{app_label}.{model}" for app_label, model in ContentType.objects.values_list("app_label", "model")}
    return frozenset(names)


def findings(html, logins, identifiers):
    found = []
    for run in text_runs(html):
        shows_login = any(re.search(rf"(?<![\w.@-]){re.escape(login)}(?![\w.@-])", run) for login in logins)
        if shows_login or english_words(run, identifiers):
            found.append(repr(run[:160]))
    return found


def test_every_admin_page_a_demo_user_reaches_from_the_menu_is_in_chinese(client, demo, artifacts_dir):
    users = list(get_user_model().objects.filter(is_active=True).order_by("-is_superuser", "username"))
    logins = {user.username for user in users}
    administrators_data = data_names()
    kinds = {}
    for user in users:
        client.force_login(user)
        response = client.get("/admin/")
        if response.status_code != 200:
            continue  # applicants, employer contacts and experts have no admin
        links, _labels = sidebar(response.content.decode())
        kinds.setdefault(tuple(sorted(links)), user)
    assert len(kinds) >= 4, "the administrator and officers of several kinds"
    assert any(user.is_superuser for user in kinds.values())

    problems = []
    crawled = 0
    for links, user in kinds.items():
        client.force_login(user)
        for url in dict.fromkeys(["/admin/", "/admin/account/", *links]):
            if not urlsplit(url).path.startswith("/admin/") or urlsplit(url).path.startswith(NOT_CRAWLED):
                continue
            response = client.get(url, follow=True)
            crawled += 1
            where = f"{user.username} {url}"
            if response.status_code != 200:
                problems.append((where, f"HTTP {response.status_code}"))
                continue
            html = response.content.decode()
            final = response.request["PATH_INFO"]
            identifiers = administrators_data if user.is_superuser else frozenset()
            if user.is_superuser and final.startswith(ACCOUNT_SCREENS):
                identifiers, shown_logins = identifiers | logins, set()
            else:
                shown_logins = logins
            found = findings(html, shown_logins, identifiers)
            problems += [(where, run) for run in found]
            if found:  # the page as served, for a person to look at
                name = re.sub(r"[^\w.-]+", "_", f"{user.username}{final}").strip("_")
                Path(artifacts_dir, "admin-english").mkdir(exist_ok=True)
                Path(artifacts_dir, "admin-english", f"{name}.html").write_text(html, encoding="utf-8")
            if url == "/admin/":
                _links, labels = sidebar(html)
                if account_name(html) != person_name(user):
                    problems.append((f"{user.username} menu", f"account shown as {account_name(html)!r}"))
                problems += [(f"{user.username} menu", repr(label)) for label in labels if english_words(label)]
    assert crawled > 3 * len(kinds)
    places = {}
    for where, run in problems:
        places.setdefault(run, []).append(where)
    report = [f"{run}  ← {', '.join(at[:3])}{' …' if len(at) > 3 else ''}" for run, at in sorted(places.items())]
    assert not report, f"{len(report)} English texts on admin pages:\n" + "\n".join(report)


def test_people_are_named_family_name_first_in_our_pages_and_wagtails():
    from wagtail.admin.utils import get_user_display_name

    User = get_user_model()
    chinese, latin = (
        User(username="li", first_name="明远", last_name="李"),
        User(username="js", first_name="John", last_name="Smith"),
    )
    assert chinese.get_full_name() == get_user_display_name(chinese) == person_name(chinese) == "李明远"
    assert latin.get_full_name() == get_user_display_name(latin) == "John Smith"
    assert get_user_display_name(User(username="nobody")) == "nobody"
