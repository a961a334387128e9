from django.urls import path

from . import documents, dossiers, previews

urlpatterns = [
    path("dossiers/", dossiers.DossierListCreate.as_view(), name="api-dossiers"),
    path("dossiers/<int:pk>/", dossiers.DossierDetail.as_view(), name="api-dossier"),
    path("dossiers/<int:pk>/transitions/", dossiers.DossierTransition.as_view(), name="api-dossier-transition"),
    path("dossiers/<int:pk>/attachments/", dossiers.DossierAttachments.as_view(), name="api-dossier-attachments"),
    path("dossiers/<int:pk>/materials/<slug:code>/waive/", dossiers.DossierMaterialWaive.as_view(), name="api-dossier-material-waive"),
    path("dossiers/<int:pk>/journal/", dossiers.DossierJournal.as_view(), name="api-dossier-journal"),
    path("attachments/<int:pk>/", dossiers.AttachmentDownload.as_view(), name="api-attachment"),
    path("attachments/<int:pk>/preview/", previews.AttachmentPreview.as_view(), name="api-attachment-preview"),
    path("dossiers/<int:pk>/documents/", documents.DossierDocuments.as_view(), name="api-dossier-documents"),
    path("documents/<int:pk>/withdraw/", documents.DocumentWithdraw.as_view(), name="api-document-withdraw"),
]
