from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from config.health import healthz
from escalations import views as escalation_views
from users import views as user_views

admin.site.site_header = "Escalation Desk administration"
admin.site.site_title = "Escalation Desk admin"

urlpatterns = [
    path("", escalation_views.home, name="home"),
    path("healthz", login_not_required(healthz), name="healthz"),
    path("accounts/login/", user_views.SignInView.as_view(), name="login"),  # warns before a lockout
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("users.urls")),  # the profile page with personal API tokens; the audit log
    path("escalations/", include("escalations.urls")),
    path("remediations/", include("remediations.urls")),
    path("mail/", include("escalations.mail.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("escalations.api.urls")),
    path("api/v1/", include("remediations.api.urls")),  # remediations/ and root-causes/
    path("api/v1/", include("reports.api.urls")),  # reports/<report>/
    # The schema is for signed-in callers, by session or token; the docs page is for people signed in to
    # the site (others go to the login page) and loads Swagger UI from our own static files. The split view
    # serves its start-up code as a script file (`?script`), so the Content-Security-Policy needs no inline script.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
