from django.urls import path

from . import views

urlpatterns = [
    path("enrol/", views.enrol, name="twofactor_enrol"),
    path("verify/", views.verify, name="twofactor_verify"),
    path("recovery-codes/", views.renew_recovery_codes, name="twofactor_recovery_codes"),
]
