from django.urls import path

from .. import views_cards

urlpatterns = [
    path("verify/", views_cards.verify_number, name="card-verify-number"),
    path("verify/document/", views_cards.verify_document, name="card-verify-document"),
    path("verify/<str:token>/", views_cards.verify, name="card-verify"),
    path("cards/", views_cards.my_cards, name="card-list"),
    path("cards/<int:pk>/", views_cards.ecard, name="card-ecard"),
    path("cards/sw.js", views_cards.ecard_service_worker, name="card-ecard-sw"),
    path("cards/<int:pk>/certificate.pdf", views_cards.certificate, name="card-certificate"),
    path("cards/batches/<int:pk>/certificates.pdf", views_cards.batch_certificates, name="card-batch-certificates"),
    path("cards/batches/<int:pk>/export.xlsx", views_cards.batch_export, name="card-batch-export"),
    path("cards/notices/<int:pk>/notice.pdf", views_cards.notice_pdf, name="card-notice-pdf"),
]
