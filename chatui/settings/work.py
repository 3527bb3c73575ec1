"""Background work and the assistant: document extraction jobs, tools, the model."""

from __future__ import annotations

from chatui.settings.env import env_bool, env_float, env_int, env_list, env_str

# --- Documents: text extraction jobs and the full-text index ---------------------
# Background jobs go through Django's Tasks API (the django-tasks backport) with the
# database backend: the same database the app uses, SQLite by default. Run workers with
# `python manage.py files_worker` (rundev starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DOCUMENTS_EXTRACT_TIMEOUT_S = env_float("DOCUMENTS_EXTRACT_TIMEOUT_S", 120.0)
DOCUMENTS_EXTRACT_MEMORY_MB = env_int("DOCUMENTS_EXTRACT_MEMORY_MB", 1024, minimum=64)
DOCUMENTS_MAX_PAGES = env_int("DOCUMENTS_MAX_PAGES", 2000, minimum=1)
DOCUMENTS_MAX_UNZIPPED_MB = env_int("DOCUMENTS_MAX_UNZIPPED_MB", 500, minimum=1)
DOCUMENTS_MAX_IMAGE_PIXELS = env_int("DOCUMENTS_MAX_IMAGE_PIXELS", 80_000_000, minimum=1)
DOCUMENTS_MAX_TEXT_CHARS = env_int("DOCUMENTS_MAX_TEXT_CHARS", 20_000_000, minimum=1000)
DOCUMENTS_OCR = env_bool("DOCUMENTS_OCR", True)
DOCUMENTS_OCR_MAX_PAGES = env_int("DOCUMENTS_OCR_MAX_PAGES", 50)
DOCUMENTS_OCR_LANG = env_str("DOCUMENTS_OCR_LANG", "eng")

# --- Tools and chat ---------------------------------------------------------

DOCUMENTS_LEASE_S = env_int("DOCUMENTS_LEASE_S", 300, minimum=10)
DOCUMENTS_MAX_ATTEMPTS = env_int("DOCUMENTS_MAX_ATTEMPTS", 3, minimum=1)

TOOLS_TIMEOUT_S = env_float("TOOLS_TIMEOUT_S", 60.0)
# Imported once by the sandbox's forkserver (chatui.sandbox) before it forks tool and
# text-extraction children: Django, the tools and their heavy libraries.
SANDBOX_PRELOAD = ["tools.sandbox_boot"]
# Tools offered to the chat and the API, by import path; TOOLS_EXTRA plugs in more.
TOOLS = [
    "tools.builtin.csv_summary.CsvSummaryTool",
    "tools.builtin.plot_csv.PlotCsvTool",
    "tools.builtin.image_info.ImageInfoTool",
    "tools.builtin.image_thumbnail.ImageThumbnailTool",
    "tools.builtin.text_search.TextSearchTool",
    "tools.builtin.search_files.SearchFilesTool",
    "tools.builtin.zip_files.ZipFilesTool",
    "tools.builtin.convert_table.ConvertTableTool",
    *env_list("TOOLS_EXTRA", []),
]
# What a tool run may read and write, per file and in total; the text it returns.
TOOLS_MAX_INPUT_FILE_BYTES = env_int("TOOLS_MAX_INPUT_FILE_MB", 50, minimum=1) * 1024 * 1024
TOOLS_MAX_INPUT_TOTAL_BYTES = env_int("TOOLS_MAX_INPUT_TOTAL_MB", 100, minimum=1) * 1024 * 1024
TOOLS_MAX_OUTPUT_FILE_BYTES = env_int("TOOLS_MAX_OUTPUT_FILE_MB", 50, minimum=1) * 1024 * 1024
TOOLS_MAX_OUTPUT_TOTAL_BYTES = env_int("TOOLS_MAX_OUTPUT_MB", 100, minimum=1) * 1024 * 1024
TOOLS_MAX_TEXT_CHARS = env_int("TOOLS_MAX_TEXT_CHARS", 20_000, minimum=500)
# Memory cap (RLIMIT_DATA, enforced by the kernel) of the process a tool runs in; 0 = none.
TOOLS_MAX_MEMORY_MB = env_int("TOOLS_MAX_MEMORY_MB", 512)
# Zip-based inputs (XLSX, DOCX, ZIP) are checked before any parser opens them.
TOOLS_MAX_UNZIPPED_MB = env_int("TOOLS_MAX_UNZIPPED_MB", 256, minimum=1)
TOOLS_MAX_ZIP_ENTRIES = env_int("TOOLS_MAX_ZIP_ENTRIES", 10_000, minimum=1)
# Tool runs one user may have in flight at once (every process together, with Redis).
TOOLS_MAX_CONCURRENT_PER_USER = env_int("TOOLS_MAX_CONCURRENT_PER_USER", 2, minimum=1)
CHAT_CONTEXT_MAX_CHARS = env_int("CHAT_CONTEXT_MAX_CHARS", 60_000, minimum=1000)
LLM_BASE_URL = env_str("LLM_BASE_URL")
LLM_API_KEY = env_str("LLM_API_KEY")
LLM_MODEL = env_str("LLM_MODEL")
LLM_TIMEOUT_S = env_float("LLM_TIMEOUT_S", 60.0)
# Optional semantic ranking of document passages (files.documents.embeddings): an
# OpenAI-compatible /v1/embeddings endpoint, by default the LLM's. Empty: full text only.
EMBEDDINGS_BASE_URL = env_str("EMBEDDINGS_BASE_URL", LLM_BASE_URL)
EMBEDDINGS_API_KEY = env_str("EMBEDDINGS_API_KEY", LLM_API_KEY)
EMBEDDINGS_MODEL = env_str("EMBEDDINGS_MODEL", LLM_MODEL)
EMBEDDINGS_TIMEOUT_S = env_float("EMBEDDINGS_TIMEOUT_S", 10.0)
# Tool-call round trips per reply before the assistant must answer in words.
LLM_MAX_TOOL_ROUNDS = env_int("LLM_MAX_TOOL_ROUNDS", 5, minimum=1)
# A reply still running after this long is stopped and saved with what it has (status
# ``error``): every reply ends, whoever is watching.
CHAT_REPLY_TIMEOUT_S = env_float("CHAT_REPLY_TIMEOUT_S", 900.0)
# The offline provider streams its reply in chunks of this many words.
CHAT_OFFLINE_CHUNK_WORDS = env_int("CHAT_OFFLINE_CHUNK_WORDS", 4, minimum=1)
