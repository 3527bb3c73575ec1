from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        # files and tools know a chat only by its id; chat answers whether a user
        # may link files and tool runs to one (see files.sessions).
        from chat.selectors import session_owned_by
        from files.sessions import session_check_register

        session_check_register(session_owned_by)
