from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from chat.views import chat_page
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
    path("api/", include("files.urls")),
    path("api/", include("tools.urls")),
    path("api/", include("chat.urls")),
]

# Errors raised outside DRF's views are JSON under /api/ too (chatui/error_views.py).
handler400 = "chatui.error_views.bad_request"
handler403 = "chatui.error_views.permission_denied"
handler404 = "chatui.error_views.page_not_found"
handler500 = "chatui.error_views.server_error"
