from django.urls import path

from . import views

urlpatterns = [
    path("accounts/phone/login/", views.phone_login, name="phone_login"),
    path("accounts/phone/register/", views.phone_register, name="phone_register"),
]
