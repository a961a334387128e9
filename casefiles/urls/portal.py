"""Applicant portal and employer pages (mounted at the site root, before Wagtail's catch-all)."""

from django.urls import path

from .. import views_documents
from .. import views_portal as views

urlpatterns = [
    path("accounts/register/", views.register, name="portal_register"),
    path("applications/", views.application_list, name="portal_applications"),
    path("applications/new/", views.application_new, name="portal_application_new"),
    path("applications/<int:pk>/", views.application_detail, name="portal_application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="portal_application_edit"),
    path("applications/<int:pk>/transition/", views.application_transition, name="portal_application_transition"),
    path("applications/<int:pk>/confirm/<slug:transition>/", views.application_confirm, name="portal_application_confirm"),
    path("applications/<int:pk>/attachments/", views.attachment_upload, name="portal_attachment_upload"),
    path("applications/<int:pk>/materials/waive/", views.material_waive_view, name="portal_material_waive"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="portal_attachment_download"),
    path("attachments/<int:pk>/preview/", views_documents.attachment_preview, name="attachment_preview"),
    path("attachments/<int:pk>/reader/", views_documents.attachment_reader, name="attachment_reader"),
    path("schemes/<slug:slug>/materials/", views.scheme_materials, name="portal_scheme_materials"),
    path("employer/applications/", views.employer_applications, name="portal_employer_applications"),
]
