"""Our catalogue comes before Wagtail's and Django's (LOCALE_PATHS), so a msgid of ours that they also use re-translates
their interface too: "Pages" translated 分页 for our pager turned Wagtail's menu item into 分页, "Close" (办结 a
feedback item) the close button of Wagtail's dialogs. A msgid of ours with a domain meaning takes a context
(``{% translate "Pages" context "pagination" %}``); a shared msgid translated differently from Wagtail or Django
must be a choice made for their screens too, listed here with the reason. Reads the compiled catalogues; no database."""

import gettext
from pathlib import Path

import django
import wagtail

REPO = Path(__file__).resolve().parents[1]
OURS = REPO / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"

# Re-translations that read right on Wagtail's and Django's screens as well (government usage, or Wagtail's is off).
CHOSEN = {
    ", ": "、 lists words the Chinese way",
    "Administrator": "系统管理员",
    "Approve": "同意, as an approval is worded in government",
    "Approved": "通过",
    "Breadcrumb": "导航路径 (Wagtail 面包屑导航)",
    "Comment": "意见 (Wagtail 评论)",
    "comment": "意见",
    "Disabled": "已停用",
    "Email": "电子邮箱",
    "History": "历史记录",
    "Log out": "退出登录 (Wagtail 注销, which reads as closing the account)",
    "New": "新增",
    "Next": "下一页",
    "Previous": "上一页",
    "Page not found": "页面不存在",
    "Reject": "不予通过, as a refusal is worded in government",
    "Rejected": "不予通过",
    "Requested by": "提出人",
    "requested by": "提出人",
    "Show": "查看",
    "Text": "内容",
    "To": "至",
    "Workflow states": "流程状态",
    "workflow state": "流程状态",
    "group": "用户组",
    "hash": "哈希值",
    "object id": "对象 ID",
    "slug": "URL 标识",
    "subject": "标题",
}
# Still wrong on Wagtail's or Django's screens: to be given a context in our source and deleted from this list.
# The test fails when one is fixed and left here, and when a new one appears.
TO_FIX = {
    "Name": "姓名 on Wagtail's name columns of groups, collections, workflows",
    "content type": "文件格式 on Wagtail's reports (casefiles/models/dossiers.py verbose_name: needs a migration)",
    "Document": "文件信息 on Wagtail's documents",
    "document": "文件 for Wagtail's 文档",
    "documents": "文件 for Wagtail's 文档",
    "Add a document": "添加文件 on Wagtail's documents",
    "Add documents": "上传材料 on Wagtail's documents",
    "label": "标号 on Wagtail's form builder",
}


def catalogue(path):
    with open(path, "rb") as fh:
        return {
            key: value for key, value in gettext.GNUTranslations(fh)._catalog.items() if isinstance(key, str) and key
        }


def theirs():
    roots = [
        Path(wagtail.__file__).parent,
        Path(django.__file__).parent / "contrib",
        Path(django.__file__).parent / "conf",
    ]
    found = {}
    for root in roots:
        for mo in root.rglob("locale/zh_Hans/LC_MESSAGES/django.mo"):
            for key, value in catalogue(mo).items():
                found.setdefault(key, set()).add(value)
    return found


def test_shared_msgids_are_translated_as_wagtail_and_django_do_or_by_choice():
    ours, others = catalogue(OURS), theirs()
    differing = {key for key, value in ours.items() if key in others and value not in others[key]}
    unexplained = sorted(differing - set(CHOSEN) - set(TO_FIX))
    assert not unexplained, "msgids of ours that re-translate Wagtail's or Django's interface: " + ", ".join(
        f"{key!r} ({ours[key]} / theirs {'/'.join(sorted(others[key]))})" for key in unexplained
    )
    settled = sorted((set(TO_FIX) | set(CHOSEN)) - differing)
    assert not settled, f"no longer re-translated, delete from TO_FIX/CHOSEN: {settled}"
