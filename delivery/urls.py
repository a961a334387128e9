from django.urls import path

from . import views

urlpatterns = [
    path("cards/<int:pk>/services/", views.card_services_page, name="delivery-card-services"),
    path("service-requests/<int:pk>/supply/", views.supply_material, name="delivery-supply"),
]
