"""``manage.py import_policy FILE --scheme SLUG [--publish] [--title T]``."""

import io

import pytest
from django.core.management import CommandError, call_command, load_command_class

from policypages.models import PolicyPage
from policypages.testing import section_for, seed_text

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

MALFORMED = "某某办法\n第一条 为了测试，制定本办法。\n第二条 本办法适用于测试。\n第四条 本办法自印发之日起施行。\n"


def write(tmp_path, text, name="policy.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args):
    out = io.StringIO()
    call_command("import_policy", *args, stdout=out)
    return out.getvalue()


def test_imports_and_publishes_a_seed(tmp_path):
    section_for("jilin")
    out = run(write(tmp_path, seed_text("jilin")), "--scheme", "jilin", "--publish")
    assert "《吉林省人才服务卡管理服务办法（试行）》 created" in out
    assert "0 chapters, 14 articles, 29 items" in out
    assert "document number: 吉人社规〔2023〕5号" in out
    assert "published" in out
    page = PolicyPage.objects.get()
    assert page.live and page.scheme.slug == "jilin"
    # a second run with the same text changes nothing
    assert "unchanged" in run(write(tmp_path, seed_text("jilin")), "--scheme", "jilin", "--publish")
    assert page.revisions.count() == 1


def test_reports_the_problems_instead_of_guessing(tmp_path):
    section_for("chuxiong")
    out = run(write(tmp_path, seed_text("chuxiong")), "--scheme", "chuxiong")
    assert "1 problems the importer did not resolve" in out
    assert "第199行：文本似乎不完整：止于第九条" in out
    assert "saved as a draft revision" in out
    assert not PolicyPage.objects.get().live


def test_title_option_names_a_text_without_a_title(tmp_path):
    section_for("tonghua")
    text = seed_text("tonghua")
    out = run(write(tmp_path, text), "--scheme", "tonghua", "--title", "通化市“英才卡”管理服务办法（测试）")
    page = PolicyPage.objects.get()
    assert page.title == "通化市“英才卡”管理服务办法（测试）"
    assert page.search_units()[0]["citation"] == "《通化市“英才卡”管理服务办法（测试）》第一条"
    assert "系根据正文推断" not in out


def test_malformed_input_fails_with_the_line(tmp_path, capsys):
    section_for("jilin")
    path = write(tmp_path, MALFORMED)
    with pytest.raises(CommandError, match=r"policy\.txt: 第4行：条文编号不连续：第二条之后出现第四条"):
        run(path, "--scheme", "jilin")
    assert not PolicyPage.objects.exists()
    # from the command line: a non-zero exit status and the message on stderr
    command = load_command_class("policypages", "import_policy")
    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["manage.py", "import_policy", path, "--scheme", "jilin"])
    assert exit_info.value.code != 0
    assert "第4行：条文编号不连续" in capsys.readouterr().err


def test_unknown_scheme_and_missing_file(tmp_path):
    with pytest.raises(CommandError, match="unknown scheme"):
        run(write(tmp_path, MALFORMED), "--scheme", "nowhere")
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "missing.txt"), "--scheme", "jilin")
