"""Public eligibility self-check pages: tick the criteria you meet, answer the precondition questions, see
the tier, the articles it rests on, the services it brings, what to prepare and where to apply.

Plain HTML forms (GET, so a result can be bookmarked or shared; POST works the same): no JavaScript.
"""

import re
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .eligibility import evaluate
from .forms_selfcheck import SelfCheckForm
from .selectors_schemes import (
    scheme_get,
    scheme_period,
    scheme_policy_url,
    schemes_public,
    tier_services,
    workflow_stages,
)

APPLY_PATH = "/applications/new/"

#: What to prepare, by the kind of criterion, read from the criterion's wording (a regular expression per
#: kind; a criterion may match several). The documents echo those the policies themselves ask for
#: (通化 第十三条, 楚雄 第四条（一）): 专家证明、获奖证书、人才项目入选凭证、外国人来华工作许可证或人才引进证明、
#: 聘用（劳动）合同.
DOCUMENTS_BY_KIND = [
    (r"一事一议", _("A recommendation from your employer explaining your contribution (for a case-by-case decision)")),
    (r"惠才卡", _("The talent card you already hold")),
    (r"院士", _("Proof of academician status")),
    (r"[A-E]类", _("The certificate of your recognised talent category")),
    (r"奖|表彰", _("Award certificates")),
    (r"入选|计划|津贴|联系专家", _("Proof of selection for the talent programme")),
    (
        r"企业家|负责人|法定代表人|董事长|总经理",
        _("Business licence and proof of your position in the company, with its tax or output figures"),
    ),
    (r"毕业生|学历|博士", _("Degree certificates")),
    (r"挂职|帮扶|干部", _("The posting or secondment document")),
    (r"柔性引进|引进的|引才", _("The talent introduction agreement")),
]
FALLBACK_DOCUMENT = _("An expert certificate or other proof of your achievements")
ALWAYS_DOCUMENTS = [
    _("Resident identity card or passport"),
    _("Employment contract (or, if you run your own business, its business licence)"),
    _("For foreign nationals: work permit for foreigners in China"),
]


def documents_for(criteria):
    """Documents to prepare for the criteria ticked, each once, then those every application needs."""
    documents = []
    for criterion in criteria:
        matched = [doc for pattern, doc in DOCUMENTS_BY_KIND if re.search(pattern, criterion.text)]
        matched = matched or [FALLBACK_DOCUMENT]
        documents.extend(doc for doc in matched if doc not in documents)
    return documents + [d for d in ALWAYS_DOCUMENTS if d not in documents]


def where_to_apply(scheme, criteria):
    stages = workflow_stages(scheme)
    start = scheme.states.filter(kind="start").order_by("order", "pk").first()
    query = {"scheme": scheme.slug}
    if criteria:
        query["criteria"] = ",".join(c.ref for c in criteria)
    return {
        "first_stage": stages[0] if stages else None,
        "start": start,
        "online_url": f"{APPLY_PATH}?{urlencode(query)}",
        "stages": stages,
    }


def self_check_index(request):
    schemes = list(schemes_public())
    today = timezone.localdate()
    closed = {scheme.pk: scheme_period(scheme, today).message for scheme in schemes}
    return render(request, "casefiles/self_check_index.html", {
        "schemes": schemes, "rows": [(scheme, closed[scheme.pk]) for scheme in schemes]})


def self_check(request, slug):
    scheme = scheme_get(slug)
    if scheme is None:
        raise Http404
    if request.method == "POST":
        data = request.POST
    elif "check" in request.GET or "criteria" in request.GET:
        data = request.GET
    else:
        data = None
    form = SelfCheckForm(data, scheme=scheme)
    # A scheme whose period has ended (or not begun) says so with its dates and article instead of "you may apply".
    period = scheme_period(scheme)
    context = {"scheme": scheme, "form": form, "policy_url": scheme_policy_url(scheme), "result": None,
               "closed_message": period.message}
    if data is not None and form.is_valid():
        result = evaluate(scheme, form.cleaned_data["criteria"], form.facts())
        context.update(
            result=result,
            services=tier_services(result.tier) if result.tier else [],
            documents=documents_for(result.basis),
            apply=where_to_apply(scheme, result.basis),
        )
    return render(request, "casefiles/self_check.html", context)
