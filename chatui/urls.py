from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chat.views import chat_page
from chatui.health import HealthApi
from files.sharing import public as share_public
from files.views import files_page

urlpatterns = [
    path("", chat_page, name="home"),
    path("files", files_page, name="files"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Share links: anonymous on purpose (files/sharing/public.py)
    path("s/<str:token>", share_public.share_page, name="share-page"),
    path("s/<str:token>/preview", share_public.share_preview, name="share-preview"),
    path("s/<str:token>/download", share_public.share_download, name="share-download"),
    path("api/health", HealthApi.as_view(), name="health"),
    # The OpenAPI schema of every app's API, and Swagger UI for it. Swagger UI's assets
    # come from drf-spectacular-sidecar (/static/), so /api/docs/ works offline (Redoc
    # is not mounted: its template loads Google Fonts). The docs page runs under the
    # site's CSP: SpectacularSwaggerSplitView serves the launcher as /api/docs/?script
    # (a script URL, not inline) and templates/files/api_docs.html moves the page
    # styles into static/css/api_docs.css.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="files/api_docs.html"),
        name="docs",
    ),
    path("api/", include("files.urls")),
    path("api/", include("tools.urls")),
    path("api/", include("chat.urls")),
]

# Errors raised outside DRF's views are JSON under /api/ too (chatui/error_views.py).
handler400 = "chatui.error_views.bad_request"
handler403 = "chatui.error_views.permission_denied"
handler404 = "chatui.error_views.page_not_found"
handler500 = "chatui.error_views.server_error"
