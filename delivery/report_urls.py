"""Routes of the 好差评 page and the delivery report (included from huicai/urls.py)."""

from django.urls import path

from . import rating_views, report_views

urlpatterns = [
    path("service-requests/<int:pk>/rate/", rating_views.rate_request, name="delivery-rate"),
    path("delivery-report/", report_views.public_report, name="delivery-report"),
    path("delivery-report/export.xlsx", report_views.report_export, name="delivery-report-export"),
]
