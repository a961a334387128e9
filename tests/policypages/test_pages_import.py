"""The importer service: parsed text → StreamField body, unit and property tests."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policypages import selectors, services
from policypages.blocks import item_tree
from policypages.importer import PolicyParseError, int_to_cn, parse_policy
from policypages.models import PolicyPage
from policypages.testing import section_for, seed_text

TITLE = "测试市人才服务卡管理办法"


def render_policy(articles):
    """Text of a policy: articles is a list of item lists; an item is its number of sub-items."""
    lines = [TITLE]
    for n, items in enumerate(articles, start=1):
        lines.append(f"第{int_to_cn(n)}条 第{n}条的正文如下：" if items else f"第{int_to_cn(n)}条 第{n}条的正文。")
        for i, subs in enumerate(items, start=1):
            lines.append(f"（{int_to_cn(i)}）第{n}条第{i}项的内容" + ("：" if subs else "。"))
            for k in range(1, subs + 1):
                lines.append(f"{k}.第{n}条第{i}项第{k}目的内容。")
    return "\n".join(lines) + "\n"


policies = st.lists(st.lists(st.integers(min_value=0, max_value=3), max_size=4), min_size=1, max_size=12)


def body_of(parsed):
    """The StreamField value the page would hold (no page instance: that would need the database)."""
    return PolicyPage._meta.get_field("body").to_python(services.policy_stream_from_parsed(parsed))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies)
def test_every_article_and_item_becomes_one_unit_with_its_anchor_and_citation(shape):
    parsed = parse_policy(render_policy(shape))
    body = body_of(parsed)
    articles = [a for _chapter, a in selectors.body_articles(body)]
    assert [a["number"] for a in articles] == list(range(1, len(shape) + 1))
    expected_items = sum(len(items) + sum(items) for items in shape)
    stored = [it for a in articles for it in a["items"]]
    assert len(stored) == expected_items
    anchors = [a["anchor"] for a in articles] + [it["anchor"] for it in stored]
    assert len(anchors) == len(set(anchors))
    for article, items in zip(articles, shape, strict=True):
        assert article["citation"] == f"《{TITLE}》{article['label']}"
        tree = item_tree(article["items"])
        assert [len(node["children"]) for node in tree] == items
        for i, node in enumerate(tree, start=1):
            assert node["value"]["citation"] == f"《{TITLE}》{article['label']}第（{int_to_cn(i)}）项"
            for k, child in enumerate(node["children"], start=1):
                assert child["value"]["anchor"] == f"art-{article['number']}-{i}-{k}"
                assert child["value"]["citation"].endswith(f"第（{int_to_cn(i)}）项第{k}目")
    # the plain text of an article holds every item's text once
    for article in articles:
        text = selectors.article_plain_text(article)
        for it in article["items"]:
            assert text.count(it["text"]) >= 1


@settings(max_examples=40, deadline=None)
@given(policies, st.data())
def test_a_gap_in_the_article_numbers_is_rejected_naming_its_line(shape, data):
    if len(shape) < 2:
        shape = shape + [[]]
    text = render_policy(shape)
    lines = text.splitlines()
    heading_lines = [no for no, line in enumerate(lines, start=1) if line.startswith("第") and "条 " in line[:6]]
    victim = data.draw(st.integers(min_value=1, max_value=len(shape) - 1))  # 0-based article index ≥ 1
    line_no = heading_lines[victim]
    skipped = victim + 2  # the article numbered one too high
    lines[line_no - 1] = lines[line_no - 1].replace(f"第{int_to_cn(victim + 1)}条", f"第{int_to_cn(skipped)}条", 1)
    with pytest.raises(PolicyParseError) as error:
        parse_policy("\n".join(lines))
    assert error.value.line_no == line_no
    assert error.value.message.startswith(f"第{line_no}行：")


@pytest.mark.smoke
@pytest.mark.django_db
def test_malformed_text_creates_no_page():
    section = section_for("jilin")
    text = seed_text("jilin").replace("第十三条", "第十五条")
    with pytest.raises(PolicyParseError, match=r"^第\d+行：条文编号不连续：第十二条之后出现第十五条"):
        services.policy_import(section=section, text=text, publish=True)
    assert not PolicyPage.objects.exists()


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_changed_text_makes_a_draft_revision_and_the_live_text_stays():
    section = section_for("jilin")
    first = services.policy_import(section=section, text=seed_text("jilin"), publish=True)
    amended = seed_text("jilin").replace("本办法由省人社厅负责解释。", "本办法由省人力资源和社会保障厅负责解释。")
    second = services.policy_import(section=section, text=amended)
    assert second.changed and not second.created and second.page.pk == first.page.pk
    page = PolicyPage.objects.get(pk=first.page.pk)
    assert page.has_unpublished_changes
    live_units = {u["anchor"]: u for u in page.search_units()}
    assert live_units["art-13"]["text"] == "本办法由省人社厅负责解释。"
    draft = page.get_latest_revision_as_object()
    assert {u["anchor"]: u for u in draft.search_units()}["art-13"]["text"] == "本办法由省人力资源和社会保障厅负责解释。"


@pytest.mark.smoke
def test_document_type_from_title():
    assert services.document_type_for("聊城市高层次人才服务绿色通道规定（试行）") == "provisions"
    assert services.document_type_for("白云区云聚英才卡实施细则（试行）") == "detailed_rules"
    assert services.document_type_for("通化市“英才卡”管理服务办法") == "measures"
    assert services.document_type_for("某某方案") == "other"
