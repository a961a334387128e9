"""The minutes of a joint meeting as a PDF (WeasyPrint, the fonts of ``casefiles.pdf``)."""

from django.conf import settings
from django.urls import reverse

from casefiles.pdf import html_to_pdf, render_html


def meeting_minutes_context(meeting):
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    rows = []
    for item in meeting.items.select_related("dossier", "service_change").order_by("order", "pk"):
        url, link_text = "", ""
        if item.dossier_id:
            # Links point at the staff page of the dossier: readers of the minutes are staff with rights.
            url = base + reverse("casefiles_dossiers:detail", args=[item.dossier_id])
            link_text = f"申请档案 {item.dossier.reference}"
        elif item.service_change_id:
            url = base + reverse("programmes:change_detail", args=[item.service_change_id])
            link_text = f"目录调整 {item.service_change.ref} {item.service_change.title}"
        rows.append({"item": item, "url": url, "link_text": link_text, "outcome": item.get_outcome_display()})
    return {
        "meeting": meeting,
        "joint_meeting": meeting.joint_meeting,
        "document_number": f"{meeting.date:%Y}年第{meeting.pk}号",
        "attendees": list(meeting.attendees.select_related("department")),
        "items": rows,
        "paragraphs": [p.strip() for p in meeting.minutes.splitlines() if p.strip()],
    }


def meeting_minutes_html(meeting):
    return render_html("pdf/meeting_minutes.html", meeting_minutes_context(meeting))


def meeting_minutes_pdf(meeting):
    return html_to_pdf(meeting_minutes_html(meeting))
