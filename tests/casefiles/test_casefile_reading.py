"""The staff dossier page reads like a case file (issue #19 item 2): the journal as sentences with people's real
names, stage names and articles; no logins, action codes or raw values for officers; the raw record for superusers."""

import random
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from casefiles.models import Department, DepartmentKind, Scheme, StateKind
from casefiles.testing import SURNAMES, applicant_dossier
from tests.casefiles import factories
from tests.casefiles.factories import setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

PASSWORD = factories.PASSWORD  # the schemes' users, loaded once for the module (schemes_once)
STEPS = 3  # transitions walked on each scheme's dossier
User = get_user_model()


def zh(message):
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.fixture
def schemes(db):
    setup_schemes()
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for department in Department.objects.exclude(kind=DepartmentKind.EMPLOYER):
        department.group.permissions.add(access)
    # Staff carry real names (family name first on the page); the applicant account keeps none.
    for number, user in enumerate(User.objects.filter(is_staff=True, is_superuser=False).order_by("pk")):
        user.last_name, user.first_name = SURNAMES[number % len(SURNAMES)], "明远" if number % 2 else "晓红"
        user.save(update_fields=["last_name", "first_name"])
    return list(Scheme.objects.order_by("slug"))


def walked_dossier(scheme, rng):
    """A dossier of the scheme's applicant, moved along the first steps towards issuing the card."""
    target = scheme.transitions.filter(issues_card=True).order_by("order").first().target.code
    return applicant_dossier(scheme, target, rng, steps=STEPS)


def page_of(client, user, dossier):
    client.force_login(user)
    response = client.get(reverse("casefiles_dossiers:detail", args=[dossier.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content.decode()


def test_every_scheme_dossier_page_reads_as_a_case_file(client, schemes):
    rng = random.Random(19)
    logins = [u for u in User.objects.values_list("username", flat=True) if "." in u]
    for scheme in schemes:
        dossier = walked_dossier(scheme, rng)
        last = dossier.opinions.select_related("actor", "department", "from_state", "to_state").order_by("-pk").first()
        officer = last.actor
        assert officer.is_staff and not officer.is_superuser
        page = page_of(client, officer, dossier)
        journal = page[page.index('id="cf-journal"') :]

        # no login of anyone, no action code, no raw value where a word belongs
        found = [(u, page[max(0, page.index(u) - 300) : page.index(u) + 50]) for u in logins if u in page]
        assert not found, (scheme.slug, found)
        assert "casefiles." not in page and "programmes." not in page, scheme.slug
        for raw in (">True<", ">False<", ">None<", "{'", "[['"):
            assert raw not in page, (scheme.slug, raw)
        body = page[page.index("cf-status") :]
        assert 'class="cf-journal-raw"' not in page and "—" not in body, (
            scheme.slug,
            [body[max(0, m.start() - 200) : m.start() + 20] for m in re.finditer("—", body)][:3],
        )
        # the officer's real name, the step as a sentence with the stages' names and the article
        name = officer.last_name + officer.first_name
        moved = zh("%(who)s: %(decision)s, moving the dossier from “%(from)s” to “%(to)s”") % {
            "who": f"{last.department.name} {name}",
            "decision": last.decision,
            "from": last.from_state.name,
            "to": last.to_state.name,
        }
        if last.article:
            moved = zh("%(sentence)s (%(article)s)") % {"sentence": moved, "article": last.article}
        assert moved in journal, (scheme.slug, moved)
        assert "将案卷由" in journal
        # dates in Chinese, the entry's own view at the top
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", journal), scheme.slug
        assert f"{last.department.name} {name} 查阅了案卷" in journal or f"{name} 查阅了案卷" in journal
        # reading the dossier again is one line with a count, not one line per visit
        page_of(client, officer, dossier)
        again = page_of(client, officer, dossier)
        again = again[again.index('id="cf-journal"') :]
        assert again.count(f"{name} 查阅了案卷") == 1 and f"{name} 查阅了案卷（共 3 次，首次为 " in again, scheme.slug

        admin = page_of(client, User.objects.get(username="admin"), dossier)
        assert (
            'class="cf-journal-raw"' in admin and "casefiles.dossier." in admin and "casefiles.grants.change" in admin
        )


def test_unknown_actions_and_nameless_people_read_neutrally(schemes):
    from casefiles.journal_text import journal_lines
    from casefiles.services.journal import journal_write

    scheme = schemes[0]
    dossier = walked_dossier(scheme, random.Random(3))
    nameless = User.objects.create_user("nameless.officer", password=PASSWORD)
    journal_write(action="casefiles.something.new", actor=nameless, dossier=dossier, data={"flag": True})
    with translation.override("zh-hans"):
        lines = journal_lines(dossier, dossier.journal.select_related("actor", "department").order_by("-pk")[:1])
    assert lines[0].sentence == "工作人员 记录了一项操作"
    assert "nameless" not in lines[0].sentence and "casefiles" not in lines[0].sentence


def test_the_stages_show_where_the_dossier_is_and_when_it_got_there(client, schemes):
    rng = random.Random(7)
    for scheme in schemes:
        dossier = walked_dossier(scheme, rng)
        officer = dossier.opinions.order_by("-pk").first().actor
        page = page_of(client, officer, dossier)
        bar = page[page.index('class="cf-progress"') :]
        bar = bar[: bar.index("</ol>")]
        current = re.search(r'aria-current="step">\s*([^<\n]+)', bar)
        assert current and current.group(1).strip() == dossier.state.name, scheme.slug
        # every stage the dossier passed through is dated; the current one carries its deadline
        for opinion in dossier.opinions.select_related("from_state"):
            assert opinion.from_state.name in bar, (scheme.slug, opinion.from_state.name)
        assert re.search(r"<small>\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 进入</small>", bar), scheme.slug
        if dossier.due_date:
            assert (
                zh("Due %(when)s")
                % {"when": f"{dossier.due_date.year}年{dossier.due_date.month}月{dossier.due_date.day}日"}
                in bar
            )
        assert (zh("Not reached yet") in bar) == (dossier.state.kind != StateKind.END), scheme.slug
        assert "cf-step--reached" in bar
