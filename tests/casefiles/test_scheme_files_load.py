"""Any scheme file, from anywhere (issue #17 item 3): ``manage.py load_schemes FILE …`` and the admin upload.

Every shipped file is swept: by path and by slug, on a dry run, broken (refused with its line, nothing stored),
holding a dossier in a state the file would remove (refused naming the dossier), uploaded in the admin and loaded
on confirmation. A copy of a shipped file under a new slug and a new county jurisdiction loads, with its demo
accounts, without a line of Python.
"""

import hashlib
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from casefiles.demo import demo_usernames, load_schemes_and_users
from casefiles.management.commands.load_schemes import scheme_file_paths
from casefiles.models import Dossier, JournalEntry, Jurisdiction, Scheme, WorkflowState
from casefiles.schemes.loader import SCHEME_DIR, SCHEME_SLUGS, read_yaml
from casefiles.services import scheme_files as service

pytestmark = pytest.mark.django_db
URL = "/admin/schemes/load-file/"
PASSWORD = "files-pass-12345"


def shipped(slug):
    return SCHEME_DIR / f"{slug}.yaml"


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("load_schemes", *args, stdout=out, stderr=err)
    return out.getvalue()


def loads_journaled():
    return list(JournalEntry.objects.filter(action="casefiles.scheme.load").order_by("pk"))


def line_of(text, pattern):
    """1-based line of the first line matching ``pattern`` (a regular expression) in ``text``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"no line matches {pattern!r}")


def broken_copy(slug, directory):
    """The shipped file with its jurisdiction declared on the same line with an unknown level: refused at that line."""
    text = shipped(slug).read_text(encoding="utf-8")
    line = line_of(text, r"^jurisdiction:")
    lines = text.splitlines(keepends=True)
    lines[line - 1] = "jurisdiction: {code: nowhere, name: 无此地, level: galaxy}\n"
    path = Path(directory) / f"{slug}.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path, line


def county_copy(directory, slug="countycard", source="jilin"):
    """A shipped file renamed to a new slug, run by a new county (level district, the product's county level) under
    an existing province: only data changes."""
    text = shipped(source).read_text(encoding="utf-8")
    data = read_yaml(shipped(source))
    parent = Jurisdiction.objects.filter(code=data["jurisdiction"]).first()
    parent_code = parent.code if parent else data["jurisdiction"]
    text = re.sub(r"(?m)^slug: .*$", f"slug: {slug}", text, count=1)
    text = re.sub(r"(?m)^name: .*$", "name: 示范县人才服务卡", text, count=1)
    text = re.sub(
        r"(?m)^jurisdiction: .*$",
        f"jurisdiction: {{code: {slug}-county, name: 示范县, level: district, parent: {parent_code}}}",
        text,
        count=1,
    )
    path = Path(directory) / f"{slug}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ the command


def test_arguments_are_paths_or_shipped_slugs():
    assert scheme_file_paths([]) == [shipped(slug) for slug in SCHEME_SLUGS]
    assert scheme_file_paths(["jilin", "some/dir/x.yaml", "y.yml"]) == [
        shipped("jilin"),
        Path("some/dir/x.yaml"),
        Path("y.yml"),
    ]


def test_command_loads_every_shipped_file_by_path_then_by_slug_journaled_with_its_sha256():
    output = run(*[str(shipped(slug)) for slug in SCHEME_SLUGS])
    for slug in SCHEME_SLUGS:
        data = read_yaml(shipped(slug))
        scheme = Scheme.objects.get(slug=slug)
        assert scheme.tiers.count() == len(data["tiers"])
        assert scheme.states.count() == len(data["workflow"]["states"])
        assert f"{slug}: {data['name']} ({shipped(slug)})" in output
    first = loads_journaled()
    assert [(e.object_id, e.data["file"], e.data["sha256"], e.data["dry_run"]) for e in first] == [
        (str(Scheme.objects.get(slug=slug).pk), f"{slug}.yaml", sha256_of(shipped(slug)), False)
        for slug in SCHEME_SLUGS
    ]
    output = run(*SCHEME_SLUGS)  # by slug: the same files, reloaded in place
    assert Scheme.objects.count() == len(SCHEME_SLUGS)
    again = loads_journaled()[len(first) :]
    assert [(e.data["file"], e.data["sha256"]) for e in again] == [
        (f"{s}.yaml", sha256_of(shipped(s))) for s in SCHEME_SLUGS
    ]
    assert all(e.actor is None for e in again)


def test_dry_run_reports_every_shipped_file_and_stores_nothing():
    output = run("--dry-run", "--demo-users", "--password", PASSWORD, *[str(shipped(slug)) for slug in SCHEME_SLUGS])
    for slug in SCHEME_SLUGS:
        data = read_yaml(shipped(slug))
        assert f"{slug}: {data['name']}" in output
        assert service.describe_counts(service.data_counts(data)) in output
        assert "、".join(demo_usernames(data)) in output  # the accounts it would make
    assert output.count("可以载入") == len(SCHEME_SLUGS)
    assert Scheme.objects.count() == 0 and Jurisdiction.objects.count() == 0
    assert JournalEntry.objects.count() == 0 and get_user_model().objects.count() == 0


def test_a_broken_copy_of_every_shipped_file_is_refused_with_its_line_and_nothing_is_stored(tmp_path):
    for index, slug in enumerate(SCHEME_SLUGS):
        path, line = broken_copy(slug, tmp_path)
        good = shipped(SCHEME_SLUGS[(index + 1) % len(SCHEME_SLUGS)])  # a good file in the same call loads neither
        with pytest.raises(CommandError) as refused:
            run(str(good), str(path))
        message = str(refused.value)
        # The message's wording is the validator's; the file, the line and the bad value are this test's.
        assert re.search(rf"{slug}\.yaml:{line}: [^\n]*galaxy", message), message
        assert Scheme.objects.count() == 0 and JournalEntry.objects.count() == 0 and Jurisdiction.objects.count() == 0


def test_a_file_declaring_a_new_county_loads_and_creates_it(tmp_path):
    run("jilin")
    path = county_copy(tmp_path)
    assert not Jurisdiction.objects.filter(code="countycard-county").exists()
    run(str(path))
    county = Jurisdiction.objects.get(code="countycard-county")
    assert (county.name, county.level, county.parent.code) == ("示范县", "district", "jilin")
    scheme = Scheme.objects.get(slug="countycard")
    assert scheme.jurisdiction == county and scheme.name == "示范县人才服务卡"
    # Its own departments sit in the county; one naming another jurisdiction keeps it.
    data = read_yaml(path)
    for row in data["departments"]:
        assert scheme.departments.get(code=row["code"]).jurisdiction.code == row.get(
            "jurisdiction", "countycard-county"
        )
    assert loads_journaled()[-1].data["sha256"] == sha256_of(path)
    # The shipped scheme it was copied from is untouched.
    assert Scheme.objects.get(slug="jilin").jurisdiction.code == "jilin"


def test_demo_users_are_the_ones_load_demo_makes_and_a_new_file_needs_no_python(tmp_path):
    User = get_user_model()
    run("--demo-users", "--password", PASSWORD)
    made = set(User.objects.values_list("username", flat=True))
    listed = {name for name, _description in load_schemes_and_users(password=PASSWORD)}
    assert listed - {"admin"} == made  # the command and load_demo make the same accounts
    assert set(User.objects.values_list("username", flat=True)) == made | {"admin"}

    # A copy of every shipped file under a new slug and a new county: the same accounts, renamed, and made-up
    # employers named after the county; no Python knows these slugs.
    for source in SCHEME_SLUGS:
        slug = f"{source}copy"
        before = set(User.objects.values_list("username", flat=True))
        output = run(str(county_copy(tmp_path, slug=slug, source=source)), "--demo-users", "--password", PASSWORD)
        new = set(User.objects.values_list("username", flat=True)) - before
        shipped_accounts = {n for n in made if n.startswith(f"{source}.")}
        assert new == {n.replace(f"{source}.", f"{slug}.", 1) for n in shipped_accounts}, source
        for username in new:
            assert User.objects.get(username=username).check_password(PASSWORD), username
        employer = User.objects.get(username=f"{slug}.employer").memberships.get().department
        assert (employer.kind, employer.name, employer.jurisdiction.code) == (
            "employer",
            "示范县示范企业",
            f"{slug}-county",
        )
        if f"{source}.expert" in made:
            expert = User.objects.get(username=f"{slug}.expert")
            assert expert.last_name and expert.first_name and not expert.memberships.exists()
        assert PASSWORD not in output and f"{slug}.applicant" in output


def test_a_reload_that_would_remove_a_state_holding_a_dossier_is_refused_naming_it():
    from tests.casefiles.factories import new_dossier

    run("--demo-users", "--password", PASSWORD)
    for slug in SCHEME_SLUGS:
        scheme = Scheme.objects.get(slug=slug)
        # A state added in the admin since the file was loaded, now holding a dossier.
        extra = WorkflowState.objects.create(
            scheme=scheme, code="extra_review", name="补充审核", kind="stage", actor="", view=[], order=99
        )
        dossier = new_dossier(slug)
        Dossier.objects.filter(pk=dossier.pk).update(state=extra)
        dossier.refresh_from_db()
        journaled = JournalEntry.objects.count()
        with pytest.raises(CommandError) as refused:
            run(slug)
        message = str(refused.value)
        assert "extra_review" in message and dossier.reference in message, message
        assert WorkflowState.objects.filter(pk=extra.pk).exists()
        assert Dossier.objects.get(pk=dossier.pk).state_id == extra.pk
        assert JournalEntry.objects.count() == journaled
        # Once the dossier is back in a state the file has, the same file loads and the extra state goes.
        Dossier.objects.filter(pk=dossier.pk).update(state=scheme.states.get(kind="start"))
        run(slug)
        assert not WorkflowState.objects.filter(pk=extra.pk).exists()


# ------------------------------------------------------------------------------------------------ the admin upload


def staff_user(username, *, may_load=False):
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    if may_load:
        user.user_permissions.add(Permission.objects.get(codename="load_scheme_file"))
    return user


def upload(client, name, content):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type="application/x-yaml")})


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


def test_only_administrators_may_open_or_post_the_upload_page(client, private_root):
    content = shipped("jilin").read_bytes()
    staff_user("plain.staff")
    client.login(username="plain.staff", password=PASSWORD)
    assert client.get(URL).status_code == 403
    assert upload(client, "jilin.yaml", content).status_code == 403
    assert client.post(URL, {"confirm": "1", "sha256": hashlib.sha256(content).hexdigest()}).status_code == 403
    assert not (private_root / "scheme-files").exists() and Scheme.objects.count() == 0
    client.logout()
    staff_user("scheme.loader", may_load=True)  # staff given the permission
    client.login(username="scheme.loader", password=PASSWORD)
    assert client.get(URL).status_code == 200
    assert "scheme-file-load" in client.get("/admin/").content.decode()  # the menu item


def test_admin_sees_every_problem_with_its_line_and_nothing_is_kept(admin_client, private_root, tmp_path):
    for slug in SCHEME_SLUGS:
        path, line = broken_copy(slug, tmp_path)
        response = upload(admin_client, f"{slug}.yaml", path.read_bytes())
        assert response.status_code == 200
        page = response.content.decode()
        assert re.search(rf"{slug}\.yaml:{line}: [^\n<]*galaxy", page), slug
        assert 'name="confirm"' not in page
        assert hashlib.sha256(path.read_bytes()).hexdigest() in page
    hostile = {
        "alias.yaml": (b"slug: x\nname: &n a\nother: *n\n", "alias.yaml:2:"),
        "deep.yaml": (b"a: " + b"[" * 60 + b"]" * 60 + b"\n", "deep.yaml:1:"),
        "syntax.yaml": (b"slug: x\nname: [unclosed\nother: 1\n", "syntax.yaml:"),
        "latin.yaml": ("slug: 吉".encode("gb18030"), "latin.yaml:"),
        "notes.txt": (b"slug: x\n", "notes.txt:"),
        "big.yaml": (b"#" * (service.MAX_BYTES + 1), "big.yaml:"),
    }
    for name, (content, expected) in hostile.items():
        response = upload(admin_client, name, content)
        assert response.status_code == 200 and expected in response.content.decode(), name
        assert 'name="confirm"' not in response.content.decode()
    assert not any((private_root / "scheme-files").glob("*/*"))
    assert Scheme.objects.count() == 0 and JournalEntry.objects.count() == 0


def test_admin_checks_every_shipped_file_and_loads_it_only_on_confirmation(admin_client, private_root):
    admin = get_user_model().objects.get(username="admin")
    for loaded, slug in enumerate(SCHEME_SLUGS):
        content = shipped(slug).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        response = upload(admin_client, f"{slug}.yaml", content)
        page = response.content.decode()
        assert response.status_code == 200 and 'name="confirm"' in page and digest in page
        report = response.context["report"]
        data = read_yaml(shipped(slug))
        assert report.loadable and report.slug == slug and report.changes.new_scheme
        assert [code for code, _name in report.changes.states.added] == [s["code"] for s in data["workflow"]["states"]]
        assert [code for code, _name in report.changes.tiers.added] == [t["code"] for t in data["tiers"]]
        assert not Scheme.objects.filter(slug=slug).exists() and len(loads_journaled()) == loaded  # checked only
        assert (private_root / "scheme-files" / digest / f"{slug}.yaml").read_bytes() == content
        # The confirmation names the hash; a file sent along with it is ignored (never a re-upload).
        response = admin_client.post(
            URL, {"confirm": "1", "sha256": digest, "file": SimpleUploadedFile(f"{slug}.yaml", b"slug: other\n")}
        )
        assert response.status_code == 302
        scheme = Scheme.objects.get(slug=slug)
        assert scheme.states.count() == len(data["workflow"]["states"])
        entry = loads_journaled()[-1]
        assert (entry.actor, entry.data["sha256"], entry.data["file"], entry.data["dry_run"]) == (
            admin,
            digest,
            f"{slug}.yaml",
            False,
        )
        assert not (private_root / "scheme-files" / digest).exists()
        # The same hash cannot be confirmed twice.
        admin_client.post(URL, {"confirm": "1", "sha256": digest})
        assert len([e for e in loads_journaled() if e.data["sha256"] == digest]) == 1


def test_the_report_says_what_a_reload_changes(admin_client, private_root, tmp_path):
    run("jilin")
    text = shipped("jilin").read_text(encoding="utf-8")
    data = read_yaml(shipped("jilin"))
    state, tier = data["workflow"]["states"][1], data["tiers"][0]
    text = text.replace(f"name: {state['name']}", "name: 改名后的环节", 1)
    text = text.replace(f"name: {tier['name']}", "name: 改名后的卡", 1)
    path = tmp_path / "jilin.yaml"
    path.write_text(text, encoding="utf-8")
    report = upload(admin_client, "jilin.yaml", path.read_bytes()).context["report"]
    assert report.loadable and not report.changes.new_scheme
    assert [(c, n) for c, n, _f in report.changes.states.changed] == [(state["code"], "改名后的环节")]
    assert [(c, n) for c, n, _f in report.changes.tiers.changed] == [(tier["code"], "改名后的卡")]
    assert not report.changes.states.added and not report.changes.states.removed
    assert Scheme.objects.get(slug="jilin").states.get(code=state["code"]).name == state["name"]  # not yet loaded


def test_an_unknown_or_tampered_hash_is_refused(admin_client, private_root):
    content = shipped("baiyun").read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    for forged in ("0" * 64, digest.upper(), "../" + digest, digest[:-1]):
        admin_client.post(URL, {"confirm": "1", "sha256": forged})
    assert Scheme.objects.count() == 0  # never checked: nothing to load
    upload(admin_client, "baiyun.yaml", content)
    kept = private_root / "scheme-files" / digest / "baiyun.yaml"
    kept.write_bytes(content.replace("白云".encode(), "黑云".encode(), 1))  # changed on disk after the check
    response = admin_client.post(URL, {"confirm": "1", "sha256": digest})
    assert response.status_code == 302 and Scheme.objects.count() == 0 and JournalEntry.objects.count() == 0
    assert not kept.exists()
    admin = get_user_model().objects.get(username="admin")
    with pytest.raises(service.CaseFileError):
        service.scheme_file_load(user=admin, sha256=digest)
    with pytest.raises(service.PermissionDenied):
        service.scheme_file_load(user=staff_user("someone.else"), sha256=digest)
