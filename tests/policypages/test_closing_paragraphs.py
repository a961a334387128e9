"""A paragraph printed after a whole list is a 款 of the article, not the tail of the list's last item (issue #23).

楚雄 第三条 （一）1.–6., （二）1.–4., then 楚雄州柔性引进的… (the scheme file's 第三条末款) is the article's second 款;
楚雄 第五条 （一）…（十二）, each ending with 服务事项责任单位：…, keeps that paragraph in each item. Everything
else the parser makes of the five seeds is pinned as it was before the change (SNAPSHOT: one digest per article of
its text, tail, items and 款, taken from the parser before the change).
"""

import hashlib
import json
import re

import pytest
from django.test import Client

from policypages import services
from policypages.importer import Article, parse_policy
from policypages.models import PolicyPage
from policypages.paragraphs import article_paragraphs
from policypages.testing import published_policy, seed_text

SLUGS = ["tonghua", "jilin", "chuxiong", "baiyun", "liaocheng"]

CLOSING = (
    "楚雄州柔性引进的符合条件高层次人才，以及来楚创办企业取得显著经济效益和社会效益的优秀企业家，"
    "经州委人才工作领导小组办公室认定后，可按相应层次发放“兴楚惠才卡”。"
)

# sha256 (first 16 hex digits) of _snapshot(article) for every article, in order, from the parser before the change
# fmt: off
SNAPSHOT = {
    "baiyun": [
        "493d20c734362eb5", "ae176d7441de4fce", "6b974bd3945fbfb5", "2175b261b3eb75d2", "fd275302919d6071",
        "81b16d1585bf376e", "6b36c03d191bd045",
    ],
    "chuxiong": [
        "00944476adbf5138", "730feaa29d63ed9b", "1f5b52d535ec091b", "867fe5ebac10f11f", "839d4f9c9d10636d",
        "ac5f25b0da5680b5", "ea408f76edb0d33b", "e6b0e2dc0e6cf867", "f1ee2fa56b7487f3",
    ],
    "jilin": [
        "ffd44e74ede70a1d", "c864ede0bf392575", "e482d17ba8163f31", "6d9ec98f51309857", "316db7fc738373bd",
        "b3f28352068962ab", "269e1113106a01c1", "d292de12cc7fdb87", "372066c8472d1d43", "12ca79ff931f02eb",
        "51012644f6831fbd", "2c567c04766c5c39", "80e443a9239f2b4e", "b1ec8ddf29b0fc39",
    ],
    "liaocheng": [
        "33b7ab56baa36dd3", "90169d90358dde27", "950cc9db549e75c2", "47c1258ce1fc3bed", "644098c35625c12a",
        "3481e884d8fd6847", "d71e32e72330ceac", "9c08394ee95a168d", "e655ed627c267a75", "66b0a984507de477",
        "23bff2e1e7bc149c", "e662410de2a76a2f", "8b84213f6f758af7", "d060f54fb45e1745", "71870585ab3a4712",
        "cdae7584359bde26", "5b9ae214dd257241", "2e6a772a2ef5ab72", "d3920826aae3bb8e", "e0c9b7de33579453",
        "8bc297afec230b7e", "dd03b29a2cd3b3f4", "d17beee90d781f24", "5fe32323b889e84c", "91d0341ed0c94da3",
        "58a4fb09df6eb5c5", "2770023dff5e4b59", "b46cd7cedbe50408", "3da1292d26a7b82d", "4ee7a297ae40f575",
        "5a9e13a1ba0c4636", "629e1db213c1222f", "e24dd107f29a6a0e", "b8e77ec46e9edf3f", "6f4e8a3ca0c4d0cc",
        "87b16edfbdabccab", "bf74cd8638c6f88f", "eb6d43eb196c682f", "ea221857b822735f", "2861ff903d3fb24e",
        "b1bd2734372463c0",
    ],
    "tonghua": [
        "b0e153f6401c23e6", "fc4072ca098ae0d8", "cf8ceed32f311f4a", "43b757495c796eef", "31814505d8390916",
        "34f1d13af342b4bb", "0eaf2f3b645b87c9", "25c19d70c05d387d", "96b3cfbe5c0b54ab", "a29cae86b1a45f86",
        "e6aee918b6a080c8", "cbdb905e642919f6", "b032c03a5f642feb", "6d455a578797d364", "33c2fa0f5800d247",
        "ee17b60da8720ead", "54eb13d7f6ba748b", "7d33e6128af363ea", "119fcefba2d354a7", "805cdb804ca16d96",
        "031524bba99a0242", "250098d8e356b23e", "e23008fc28e00bf1", "ee86055b469a4a1d",
    ],
}
# fmt: on


def _articles(slug):
    """The article block values the importer stores for a seed, each with its 款."""
    stream = services.policy_stream_from_parsed(parse_policy(seed_text(slug)))
    return [block["value"] for block in stream if block["type"] == "article"]


def _snapshot(value, paragraphs=None):
    paragraphs = article_paragraphs(value) if paragraphs is None else paragraphs
    return {
        "text": value["text"],
        "tail": value["tail"],
        "items": value["items"],
        "paragraphs": [{key: p[key] for key in ("id", "text", "items")} for p in paragraphs],
    }


def _digest(snapshot):
    data = json.dumps(snapshot, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()[:16]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_article_of_the_seeds_is_as_before_except_chuxiong_article_3(slug):
    articles = _articles(slug)
    assert [a["number"] for a in articles] == list(range(1, len(SNAPSHOT[slug]) + 1))
    changed = []
    for value, expected in zip(articles, SNAPSHOT[slug], strict=True):
        if (slug, value["number"]) == ("chuxiong", 3):
            continue
        if _digest(_snapshot(value)) != expected:
            changed.append(value["number"])
    assert changed == []


def test_chuxiong_article_3_differs_from_before_by_the_closing_paragraph_only():
    """Put the paragraph back where the parser used to leave it (the tail of （二）, one 款) and it is as before."""
    value = next(a for a in _articles("chuxiong") if a["number"] == 3)
    paragraphs = article_paragraphs(value)
    assert value["tail"] == CLOSING
    assert [(p["id"], p["text"], p["items"], p["part"]) for p in paragraphs] == [
        ("3.k1", "“兴楚惠才卡”分A卡和B卡。", ["3.1", "3.2"], "text"),
        ("3.k2", CLOSING, [], "tail"),
    ]
    assert paragraphs[-1]["citation"] == "《楚雄州“兴楚惠才卡”实施细则（试行）》第三条第二款"
    assert paragraphs[-1]["anchor"] == "art-3-k2"
    assert all(item["tail"] == "" for item in value["items"])
    assert not any(CLOSING in item["text"] for item in value["items"])
    old_items = [dict(item, tail=CLOSING) if item["ref"] == "3.2" else item for item in value["items"]]
    old = dict(value, items=old_items, tail="")
    assert _digest(_snapshot(old, article_paragraphs(old))) == SNAPSHOT["chuxiong"][2]


def test_chuxiong_article_5_keeps_each_responsible_unit_in_its_item():
    value = next(a for a in _articles("chuxiong") if a["number"] == 5)
    items = {item["ref"]: item for item in value["items"]}
    tails = {ref: item["tail"] for ref, item in items.items() if item["tail"]}
    assert sorted(tails, key=lambda r: int(r.split(".")[1])) == [f"5.{n}" for n in (1, 2, 3, 4, 5, 6, 7, 9, 12)]
    assert all(tail.startswith("服务事项责任单位：") for tail in tails.values())
    assert tails["5.12"] == "服务事项责任单位：富滇银行楚雄分行。"  # the last item: its siblings end the same way
    for ref in ("5.8", "5.10", "5.11"):  # no sub-items: the unit is the last line of the item's text
        assert items[ref]["text"].split("\n")[-1].startswith("服务事项责任单位：")
    assert value["tail"] == ""
    paragraphs = article_paragraphs(value)
    assert [(p["id"], p["items"]) for p in paragraphs] == [("5.k1", [f"5.{n}" for n in range(1, 13)])]


def _lists(node):
    """Every list of a parsed article or item, deepest first, as (node, its items)."""
    items = node.items if isinstance(node, Article) else node.children
    for item in items:
        yield from _lists(item)
    if items:
        yield node, items


@pytest.mark.parametrize("slug", SLUGS)
def test_no_item_of_the_seeds_holds_a_paragraph_that_closes_its_list(slug):
    """The sweep: a list whose earlier items with sub-items end with their last sub-item has no paragraph after the
    sub-items of its last item either; and no article's closing paragraph appears in any item's text or tail."""
    policy = parse_policy(seed_text(slug))
    closing_lines = {line for article in policy.articles for line in article.tail.split("\n") if line}
    lists = 0
    for article in policy.articles:
        for _node, items in _lists(article):
            lists += 1
            last = items[-1]
            earlier = [item for item in items[:-1] if item.children]
            if last.tail and last.children and earlier:
                assert any(item.tail for item in earlier), (slug, last.ref)
        for item in article.iter_items():
            held = set(item.text.split("\n")) | set(item.tail.split("\n"))
            assert not held & closing_lines, (slug, item.ref)
    assert lists


def test_a_paragraph_leaves_the_last_item_only_where_the_drafting_shows_it():
    text = "\n".join(
        [
            "测试办法",
            "第一条 持卡人享受以下服务：",
            "（一）医疗",
            "1.体检。",
            "2.挂号。",
            "（二）交通",
            "1.停车。",
            "本条所称持卡人，是指已领卡的人才。",
            "第二条 服务事项如下：",
            "（一）医疗",
            "1.体检。",
            "责任单位：卫生局。",
            "（二）交通",
            "1.停车。",
            "责任单位：交通局。",
            "第三条 只有一项：",
            "（一）医疗",
            "1.体检。",
            "责任单位：卫生局。",
            "第四条 本办法自印发之日起施行。",
        ]
    )
    policy = parse_policy(text)
    first, second, third = policy.article(1), policy.article(2), policy.article(3)
    assert first.tail == "本条所称持卡人，是指已领卡的人才。" and first.item(2).tail == ""
    assert second.tail == "" and [i.tail for i in second.items] == ["责任单位：卫生局。", "责任单位：交通局。"]
    # one item alone shows no drafting to follow: the paragraph stays where it was read
    assert third.tail == "" and third.item(1).tail == "责任单位：卫生局。"


@pytest.mark.django_db
def test_the_chuxiong_page_shows_the_closing_paragraph_under_its_own_anchor():
    _section, result = published_policy("chuxiong")
    page = PolicyPage.objects.get(pk=result.page.pk)
    html = Client().get(page.url).content.decode()
    k2 = re.search(r'<p class="[^"]*paragraph[^"]*" id="art-3-k2">(.*?)</p>', html, re.S)
    assert k2 and k2.group(1).strip() == CLOSING
    assert html.index('id="art-3-k1"') < html.index('id="art-3-2-4"') < html.index('id="art-3-k2"')
    assert html.index('id="art-3-k2"') < html.index('id="art-4"')
    # the item （二）4 no longer carries it
    item = re.search(r'id="art-3-2-4".*?(?=id="art-3-k2")', html, re.S).group(0)
    assert CLOSING not in item
