"""The applicant portal: sign up, start and follow applications, and the employer's recommendation list.

Views stay thin: reads go through the selectors, every change through the dossier and attachment services,
and the services' typed errors become messages (400), 403 or a "handled by someone else" notice (409).
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from identity.selectors import verified_identity

from .errors import user_message
from .exceptions import CaseFileError, MaterialsMissing, SelfDealing, StateConflict, TransitionDenied
from .forms_portal import ApplicationForm, AttachmentForm, RegisterForm, TransitionForm
from .masking import mask_id_number, mask_phone
from .models import Attachment, Department, DepartmentKind, Dossier, Scheme, StateKind
from .selectors import dossier_for, dossiers_actionable_by, dossiers_visible_to, transitions_available
from .selectors_materials import material_kinds, materials_status
from .selectors_schemes import scheme_period
from .services.calendar import CalendarDataMissing
from .services.dossiers import dossier_create, dossier_transition, dossier_update
from .services.materials import scheme_checklist
from .workflow.states import applicant_may_edit

# An uploaded file is the uploader's content: never rendered by the browser as a page of this site. A PDF
# shown inline would run in the viewer with the site's origin; as a download it opens outside the site.
# Admin previews of images still work (an <img> ignores Content-Disposition); a sandboxed, script-less
# policy and nosniff cover any browser that renders it anyway.
ATTACHMENT_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def attachment_response(attachment, handle):
    """The download of an attachment, for the portal, the admin and the API alike."""
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    return response


def _visible_or_404(user, pk):
    try:
        return dossier_for(user, pk)
    except Dossier.DoesNotExist:
        raise Http404 from None


def _editable(dossier):
    return applicant_may_edit(dossier.state)


def _safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def needs_confirmation(dossier, transition):
    """Does firing ``transition`` hand the applicant's dossier over to the departments (submitting it)?

    Read from the workflow data: from a state in which the applicant holds the dossier to one in which they
    no longer do and that is not an end state (withdrawing is final but needs no summary). Such a step gets a
    confirmation page with the summary and the materials checklist before it fires."""
    target = transition.target
    return applicant_may_edit(dossier.state) and not applicant_may_edit(target) and target.kind != StateKind.END


def _outgoing(dossier, code):
    return dossier.state.outgoing.filter(code=code).select_related("target").first()


def materials_rows(dossier):
    """The dossier's checklist for a page: each applicable material with attached / waived / missing."""
    names = dict(material_kinds(dossier.scheme))
    rows = materials_status(dossier)
    for row in rows:
        row["name"] = names.get(row["material"].code, row["material"].name)
    return rows


def submit_blocked(user, dossier, available):
    """Submitting transitions the applicant cannot fire only because required materials are missing, each with
    the missing materials: shown as a button that leads to the confirmation page, which names them."""
    from .actions.transition import TransitionAction

    if dossier.applicant_id != user.pk or not applicant_may_edit(dossier.state):
        return []
    offered = {t.pk for t in available}
    blocked = []
    for transition in dossier.state.outgoing.select_related("target").order_by("order"):
        if transition.pk in offered or not needs_confirmation(dossier, transition):
            continue
        try:
            TransitionAction(dossier, transition, user).check(comment_required=False)
        except MaterialsMissing as exc:
            blocked.append({"transition": transition, "missing": exc.missing})
        except (CaseFileError, TransitionDenied, StateConflict):
            continue
    return blocked


def _apply_service_error(form, exc):
    """Show a CaseFileError on the field it is about, else above the form."""
    field = exc.code if exc.code in form.fields else None
    form.add_error(field, exc.message)


def register(request):
    if request.user.is_authenticated:
        return redirect("portal_applications")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account has been created."))
        return redirect(_safe_next(request, reverse("portal_applications")))
    return render(request, "casefiles/portal/register.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
def application_list(request):
    dossiers = (
        dossiers_visible_to(request.user)
        .filter(applicant=request.user)
        .select_related("scheme", "state", "requested_tier", "granted_tier", "employer")
        .order_by("-created_at")
    )
    return render(
        request,
        "casefiles/portal/application_list.html",
        {"dossiers": dossiers, "schemes": Scheme.objects.order_by("slug")},
    )


def _criteria_from_query(scheme, values):
    refs = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not refs:
        return []
    found = list(scheme.criteria.filter(ref__in=refs))
    if not found:  # a self-check page may pass primary keys instead of article refs
        found = list(scheme.criteria.filter(pk__in=[r for r in refs if r.isdigit()]))
    return found


def _form_context(form, scheme, dossier):
    # 一次告知: every material the scheme asks for is told on the same page, above the form.
    return {"form": form, "scheme": scheme, "dossier": dossier, "checklist": scheme_checklist(scheme)}


def scheme_materials(request, slug):
    """Public: what an application of a scheme must carry, told once and in full (一次告知)."""
    scheme = Scheme.objects.filter(slug=slug).first()
    if scheme is None:
        raise Http404
    return render(request, "casefiles/portal/scheme_materials.html", {"scheme": scheme, "checklist": scheme_checklist(scheme)})


def _scheme_rows():
    """(scheme, why it takes no applications or "") for the list of programmes (issue #17 item 6)."""
    schemes = list(Scheme.objects.order_by("slug"))
    return [(scheme, scheme_period(scheme).message) for scheme in schemes]


@login_required
def application_new(request):
    slug = request.POST.get("scheme") or request.GET.get("scheme")
    scheme = Scheme.objects.select_related("jurisdiction").filter(slug=slug).first() if slug else None
    if scheme is None:
        return render(request, "casefiles/portal/choose_scheme.html", {"rows": _scheme_rows()})
    closed_message = scheme_period(scheme).message
    if closed_message:  # the programme's period has ended (or not begun): no form; dossier_create refuses it too
        return render(request, "casefiles/portal/choose_scheme.html", {"rows": _scheme_rows(), "closed_message": closed_message},
                      status=400 if request.method == "POST" else 200)
    if request.method == "POST":
        form = ApplicationForm(request.POST, scheme=scheme, verified=verified_identity(request.user))
        if form.is_valid():
            arguments = form.service_arguments()
            try:
                dossier = dossier_create(applicant=request.user, scheme=scheme, **arguments)
            except SelfDealing as exc:  # a staff account: the form shows why, answered 403
                _apply_service_error(form, exc)
                context = _form_context(form, scheme, None)
                return render(request, "casefiles/portal/application_form.html", context, status=403)
            except CaseFileError as exc:
                _apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Your application %(ref)s has been saved as a draft. Add your documents, then submit it.")
                    % {"ref": dossier.reference},
                )
                return redirect("portal_application_detail", pk=dossier.pk)
    else:
        criteria = _criteria_from_query(scheme, request.GET.getlist("criteria"))
        tier = scheme.tiers.filter(code=request.GET.get("tier")).first() if request.GET.get("tier") else None
        tier = tier or (criteria[0].tier if criteria else None) or (scheme.tiers.first() if scheme.tiers.count() == 1 else None)
        initial = {"criteria": [c.pk for c in criteria], "requested_tier": tier.pk if tier else None}
        if request.user.email:
            initial["email"] = request.user.email
        form = ApplicationForm(initial=initial, scheme=scheme, verified=verified_identity(request.user))
    return render(request, "casefiles/portal/application_form.html", _form_context(form, scheme, None))


def _own_documents(dossier, documents=None):
    """The applicant's documents a new version may be uploaded for (not withdrawn)."""
    from .models import DocumentSide
    from .selectors_documents import documents_of

    documents = documents_of(dossier) if documents is None else documents
    return [d for d in documents if d.side == DocumentSide.APPLICANT and d.withdrawn_at is None]


def _detail_context(request, dossier, transition_form=None):
    user = request.user
    is_applicant = dossier.applicant_id == user.pk
    opinions = dossier.opinions.select_related("department", "to_state").order_by("created_at", "pk")
    attachments = list(dossier.attachments.order_by("uploaded_at"))
    kind_names = dict(material_kinds(dossier.scheme))
    for attachment in attachments:
        attachment.kind_name = kind_names.get(attachment.kind, attachment.kind)
    transitions = transitions_available(user, dossier)
    from .selectors_documents import documents_of
    from .services.materials import may_waive_materials

    documents = documents_of(dossier)

    return {
        "dossier": dossier,
        "is_applicant": is_applicant,
        "editable": is_applicant and _editable(dossier),
        "id_number": dossier.id_number if is_applicant else mask_id_number(dossier.id_number),
        "phone": dossier.phone if is_applicant else mask_phone(dossier.phone),
        "criteria": dossier.criteria.all(),
        "opinions": opinions,
        "attachments": attachments,
        "attachment_form": AttachmentForm(scheme=dossier.scheme, documents=_own_documents(dossier, documents)),
        "documents": documents,
        "transitions": transitions,
        "confirm_codes": {t.code for t in transitions if is_applicant and needs_confirmation(dossier, t)},
        "blocked": submit_blocked(user, dossier, transitions) if is_applicant else [],
        "materials": materials_rows(dossier),
        "may_waive": not is_applicant and may_waive_materials(user, dossier),
        "transition_form": transition_form,
        # a draft of a programme that takes no applications any more cannot be submitted: say why, with the dates
        "closed_message": scheme_period(dossier.scheme).message
        if is_applicant and dossier.state.kind == StateKind.START and not dossier.submitted_at else "",
    }


@login_required
def application_detail(request, pk):
    dossier = _visible_or_404(request.user, pk)
    return render(request, "casefiles/portal/application_detail.html", _detail_context(request, dossier))


@login_required
def application_edit(request, pk):
    dossier = _visible_or_404(request.user, pk)
    if dossier.applicant_id != request.user.pk:
        raise PermissionDenied
    if not _editable(dossier):
        messages.error(request, _("The application can only be changed while it is a draft or returned for supplement."))
        return redirect("portal_application_detail", pk=dossier.pk)
    scheme = dossier.scheme
    if request.method == "POST":
        form = ApplicationForm(request.POST, scheme=scheme, verified=verified_identity(request.user))
        if form.is_valid():
            arguments = form.service_arguments()
            criteria = arguments.pop("criteria")
            changes = {name: value for name, value in arguments.items() if getattr(dossier, name) != value}
            if {c.pk for c in criteria} == set(dossier.criteria.values_list("pk", flat=True)):
                criteria = None
            try:
                dossier_update(dossier=dossier, user=request.user, criteria=criteria, **changes)
            except CaseFileError as exc:
                _apply_service_error(form, exc)
            except StateConflict:
                messages.error(request, _("Already handled by someone else: the application can no longer be changed."))
                return redirect("portal_application_detail", pk=dossier.pk)
            else:
                messages.success(request, _("Your changes have been saved."))
                return redirect("portal_application_detail", pk=dossier.pk)
    else:
        form = ApplicationForm(initial=ApplicationForm.initial_from_dossier(dossier), scheme=scheme,
                               verified=verified_identity(request.user))
    return render(request, "casefiles/portal/application_form.html", _form_context(form, scheme, dossier))


@login_required
@require_POST
def application_transition(request, pk):
    dossier = _visible_or_404(request.user, pk)
    detail_url = reverse("portal_application_detail", args=[dossier.pk])
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose an action."))
        return redirect(detail_url)
    data = form.cleaned_data
    transition = _outgoing(dossier, data["transition"])
    confirmable = transition is not None and dossier.applicant_id == request.user.pk and needs_confirmation(dossier, transition)
    if confirmable and request.POST.get("confirm") != "1":
        # Submitting is confirmed on its own page (summary and materials checklist); nothing fires here.
        return redirect("portal_application_confirm", pk=dossier.pk, transition=transition.code)
    try:
        updated = dossier_transition(
            dossier=dossier,
            transition=data["transition"],
            user=request.user,
            comment=data["comment"],
            expected_state=data["expected_state"] or None,
        )
    except StateConflict as exc:  # moved on, or the step's guard does not hold: the message says which
        messages.error(request, user_message(exc, "portal"))
        return redirect(_safe_next(request, detail_url))
    except SelfDealing as exc:  # one's own application, or outside one's role: say why, answered 403
        messages.error(request, exc.message)
        context = _detail_context(request, dossier, transition_form=form)
        return render(request, "casefiles/portal/application_detail.html", context, status=403)
    except TransitionDenied:
        raise
    except MaterialsMissing as exc:
        messages.error(request, exc.message)
        context = _confirm_context(request, dossier, transition, missing=exc.missing, form=form)
        return render(request, "casefiles/portal/application_confirm.html", context, status=400)
    except (CaseFileError, CalendarDataMissing) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        context = _detail_context(request, dossier, transition_form=form)
        return render(request, "casefiles/portal/application_detail.html", context, status=400)
    messages.success(
        request,
        _("Done: %(decision)s. The application is now “%(state)s”.")
        % {"decision": updated.last_opinion.decision, "state": updated.state.name},
    )
    return redirect(_safe_next(request, detail_url))


def _confirm_context(request, dossier, transition, missing=(), form=None):
    rows = materials_rows(dossier)
    return {
        "dossier": dossier,
        "transition": transition,
        "criteria": dossier.criteria.all(),
        "materials": rows,
        "missing": list(missing),
        "can_confirm": not missing,
        "id_number": dossier.id_number,
        "phone": dossier.phone,
        "comment": form.data.get("comment", "") if form is not None else "",
    }


@login_required
@require_GET
def application_confirm(request, pk, transition):
    """The confirmation page of a submitting transition: what will be sent, and the materials checklist. Required
    materials still missing are named and the confirm button is disabled; only its POST (to the transition
    view, with ``confirm=1``) fires the transition."""
    from .actions.transition import TransitionAction

    dossier = _visible_or_404(request.user, pk)
    if dossier.applicant_id != request.user.pk:
        raise PermissionDenied
    detail_url = reverse("portal_application_detail", args=[dossier.pk])
    candidate = _outgoing(dossier, transition)
    if candidate is None or not needs_confirmation(dossier, candidate):
        messages.error(request, _("This action is not possible while the application is “%(state)s”.") % {"state": dossier.state.name})
        return redirect(detail_url)
    missing = []
    try:
        TransitionAction(dossier, candidate, request.user).check(comment_required=False)
    except MaterialsMissing as exc:
        missing = exc.missing
    except (CaseFileError, TransitionDenied, StateConflict) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect(detail_url)
    return render(request, "casefiles/portal/application_confirm.html", _confirm_context(request, dossier, candidate, missing))


@login_required
@require_POST
def material_waive_view(request, pk):
    """A department contact who works in the portal (an employer receiving the application) waives a missing
    required material with a reason, after ticking the confirmation; the admin has the same form for officers."""
    from .services.materials import material_waive

    dossier = _visible_or_404(request.user, pk)
    detail_url = reverse("portal_application_detail", args=[dossier.pk])
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Please confirm that the material need not be submitted."))
        return redirect(detail_url)
    try:
        waiver = material_waive(dossier=dossier, code=request.POST.get("code", ""), reason=request.POST.get("reason", ""),
                                user=request.user)
    except TransitionDenied:
        raise
    except StateConflict as exc:
        messages.error(request, exc.message)
    except CaseFileError as exc:
        messages.error(request, exc.message)
    else:
        name = dict(material_kinds(dossier.scheme)).get(waiver.code, waiver.code)
        messages.success(request, _("“%(name)s” need not be submitted; the reason is on record.") % {"name": name})
    return redirect(detail_url)


@login_required
@require_POST
def attachment_upload(request, pk):
    from .services.attachments import attachment_add

    dossier = _visible_or_404(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES, scheme=dossier.scheme, documents=_own_documents(dossier))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            document = dossier.documents.get(pk=form.cleaned_data["document"]) if form.cleaned_data["document"] else None
            attachment = attachment_add(
                dossier=dossier, user=request.user, uploaded_file=form.cleaned_data["file"], kind=form.cleaned_data["kind"],
                document=document, note=form.cleaned_data["note"], title=form.cleaned_data["title"],
            )
        except CaseFileError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(name)s” has been added.") % {"name": attachment.original_name})
    return redirect("portal_application_detail", pk=dossier.pk)


@login_required
def attachment_download(request, pk):
    """Staff (admin) and the portal share this view; the service checks visibility and journals. Always a
    download, never shown inline (see ``attachment_response``)."""
    from .services.attachments import attachment_for, attachment_open

    try:
        attachment = attachment_for(request.user, pk)
        handle = attachment_open(attachment=attachment, user=request.user)
    except (Attachment.DoesNotExist, Dossier.DoesNotExist):
        raise Http404 from None
    return attachment_response(attachment, handle)


@login_required
def employer_applications(request):
    employers = Department.objects.filter(kind=DepartmentKind.EMPLOYER, memberships__user=request.user)
    if not employers.exists():
        raise PermissionDenied
    dossiers = (
        dossiers_visible_to(request.user)
        .filter(employer__in=employers)
        .select_related("scheme", "state", "requested_tier", "employer")
        .order_by("-created_at")
    )
    page = Paginator(dossiers, 25).get_page(request.GET.get("page"))
    # Buttons only where the employer acts now: one query for the page, then the transitions of those rows.
    actionable = set(
        dossiers_actionable_by(request.user, Dossier.objects.filter(pk__in=[d.pk for d in page])).values_list("pk", flat=True)
    )
    rows = [
        {
            "dossier": d,
            "transitions": transitions_available(request.user, d) if d.pk in actionable else [],
        }
        for d in page
    ]
    return render(
        request,
        "casefiles/portal/employer_applications.html",
        {"page": page, "rows": rows, "employers": employers},
    )

