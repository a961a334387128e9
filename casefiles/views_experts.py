"""The expert's place (专家评审): external reviewers are not admin users. ``/expert/`` lists the open requests
naming the signed-in user; ``/expert/<id>/`` shows the dossier's case file read-only (ID and phone numbers
masked, casefiles.masking) with the answer form. Once the request is answered or withdrawn, the page is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import CASE_FILE_ERRORS, http_status, user_message
from .forms_opinions import OpinionAnswerForm
from .masking import mask_id_number, mask_name, mask_phone
from .models import OpinionRequest
from .selectors_opinions import expert_request_for, requests_waiting_on
from .services.journal import journal_write
from .services.opinions import opinion_answer


@login_required
def expert_requests(request):
    requests = requests_waiting_on(request.user).filter(expert=request.user)
    rows = [{"request": r, "applicant": mask_name(r.dossier.applicant_name)} for r in requests]
    return render(request, "casefiles/expert/request_list.html", {"rows": rows, "today": timezone.localdate()})


def _request_or_404(user, pk):
    try:
        return expert_request_for(user, pk)
    except OpinionRequest.DoesNotExist:
        raise Http404 from None


@login_required
def expert_request(request, pk):
    target = _request_or_404(request.user, pk)
    form = OpinionAnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                opinion_answer(
                    request=target,
                    user=request.user,
                    agree=form.cleaned_data["answer"] == "agree",
                    comment=form.cleaned_data["comment"],
                )
            except CASE_FILE_ERRORS as exc:  # one mapping to status and message: casefiles/errors.py
                messages.error(request, user_message(exc))
                status = http_status(exc)
            else:
                messages.success(
                    request, _("Thank you: your opinion on %(ref)s is recorded.") % {"ref": target.dossier.reference}
                )
                return redirect("expert_requests")
        else:
            status = 400
    else:
        journal_write(
            action="casefiles.dossier.view",
            actor=request.user,
            dossier=target.dossier,
            data={"via": "expert", "request": target.pk},
        )
    dossier = target.dossier
    context = {
        "target": target,
        "dossier": dossier,
        "applicant": mask_name(dossier.applicant_name),
        "id_number": mask_id_number(dossier.id_number),
        "phone": mask_phone(dossier.phone),
        "criteria": dossier.criteria.select_related("tier"),
        "attachments": dossier.attachments.order_by("uploaded_at"),
        "form": form,
        "today": timezone.localdate(),
    }
    return render(request, "casefiles/expert/request_detail.html", context, status=status)
