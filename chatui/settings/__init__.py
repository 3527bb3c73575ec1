"""chatui settings, read from the environment in this one package.

Every variable has a safe default for a laptop (SQLite, the in-memory channel
layer, the built-in s3mock) and `.env.example` lists them all. With
``DEBUG=false`` the settings refuse to load when a secret is missing or still
has its development value, so a production deployment cannot start half-configured.

`chatui.settings` stays the one entry (DJANGO_SETTINGS_MODULE); the values live in
modules by concern (a later one imports what it needs from an earlier one):

- `env`: the typed environment readers (`env_str`, `env_bool`, ...);
- `core`: DEBUG, secrets, hosts, apps, middleware, database, auth, static files;
- `storage`: the S3 endpoint, s3mock, upload sizes and quotas;
- `work`: document extraction jobs, tools, the model and chat;
- `web`: channels and cache, the REST API, rate limits, security headers, logging.
"""

from chatui.settings.core import *  # noqa: F403
from chatui.settings.storage import *  # noqa: F403
from chatui.settings.web import *  # noqa: F403
from chatui.settings.work import *  # noqa: F403
