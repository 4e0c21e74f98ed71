# Any segment for the report name: an unknown one gets the API's JSON 404 rather than the site's HTML one.
from django.urls import path

from reports.api import views

app_name = "reports_api"

urlpatterns = [path("reports/<str:report>/", views.ReportView.as_view(), name="report")]
