"""The tools this site offers: ``settings.TOOLS``, a list of import paths.

Loaded lazily on first use and cached; the cache is dropped when a test
overrides ``TOOLS`` (the ``setting_changed`` signal). A path that does not
import, is not a :class:`~tools.base.Tool`, has an unusable schema or reuses a
name is reported by the ``tools`` system check (``manage.py check`` and every
``runserver``) and makes :func:`tool_registry` raise ``ImproperlyConfigured``, so
a misconfigured site fails loudly instead of silently losing a tool.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from chatui.errors import UnknownTool

from .base import (
    FILE_MARKER,
    FILE_PARAMS,
    MULTI_FILE_PARAM,
    RESERVED_PARAMS,
    SINGLE_FILE_PARAMS,
    TOOL_NAME_RE,
    Tool,
    ToolSpec,
)


@dataclass(frozen=True)
class RegistryProblem:
    path: str
    message: str
    check_id: str


_lock = threading.Lock()
_cache: dict[str, Tool] | None = None
_specs: tuple[ToolSpec, ...] | None = None


def _file_param_problems(parameters: dict[str, Any]) -> list[str]:
    problems = []
    properties = parameters.get("properties", {})
    for name, spec in properties.items():
        marked = isinstance(spec, dict) and spec.get(FILE_MARKER) is True
        if marked and name not in FILE_PARAMS:
            problems.append(f"only {', '.join(FILE_PARAMS)} may be file parameters, not {name!r}")
        if name in FILE_PARAMS and not marked:
            problems.append(f"{name!r} must be marked as a file parameter ({FILE_MARKER}: true)")
        if name in RESERVED_PARAMS:
            problems.append(f"{name!r} is reserved and cannot be a parameter")
    names = set(properties)
    if names & set(SINGLE_FILE_PARAMS) and MULTI_FILE_PARAM in names:
        problems.append("a tool takes either one file (file_id/filename) or several (file_ids)")
    return problems


def schema_problems(cls: type[Tool]) -> list[str]:
    """Why ``cls.parameters`` cannot serve both jsonschema and LLM function calling."""
    parameters = getattr(cls, "parameters", None)
    if not isinstance(parameters, dict):
        return ["parameters must be a JSON schema object"]
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as exc:
        return [f"parameters is not a valid JSON schema: {exc.message}"]
    problems = []
    if parameters.get("type") != "object" or not isinstance(parameters.get("properties"), dict):
        problems.append('parameters must have "type": "object" and "properties"')
    if parameters.get("additionalProperties") is not False:
        problems.append('parameters must set "additionalProperties": false')
    missing = set(parameters.get("required", [])) - set(parameters.get("properties", {}))
    if missing:
        problems.append(f"required names unknown properties: {', '.join(sorted(missing))}")
    return problems + _file_param_problems(parameters)


def _class_problems(cls: object) -> list[tuple[str, str]]:
    if not (isinstance(cls, type) and issubclass(cls, Tool)):
        return [("is not a subclass of tools.base.Tool", "tools.E002")]
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not TOOL_NAME_RE.match(name):
        return [("name must be lowercase letters, digits and underscores", "tools.E004")]
    if not isinstance(getattr(cls, "description", None), str) or not cls.description.strip():
        return [("description must be a non-empty string", "tools.E004")]
    return [(message, "tools.E004") for message in schema_problems(cls)]


def load_tools(paths: list[str]) -> tuple[dict[str, Tool], list[RegistryProblem]]:
    """Import and check every path; return the usable tools and what is wrong."""
    tools: dict[str, Tool] = {}
    problems: list[RegistryProblem] = []
    for path in paths:
        try:
            cls = import_string(path)
        except ImportError as exc:
            problems.append(RegistryProblem(path, f"cannot be imported: {exc}", "tools.E001"))
            continue
        found = _class_problems(cls)
        problems += [RegistryProblem(path, message, check_id) for message, check_id in found]
        if found:
            continue
        if cls.name in tools:
            message = f"reuses the tool name {cls.name!r}"
            problems.append(RegistryProblem(path, message, "tools.E003"))
            continue
        tools[cls.name] = cls()
    return tools, problems


def tool_registry() -> dict[str, Tool]:
    """Every configured tool by name, in ``settings.TOOLS`` order."""
    global _cache
    with _lock:
        if _cache is None:
            tools, problems = load_tools(list(settings.TOOLS))
            if problems:
                details = "; ".join(f"{p.path} {p.message}" for p in problems)
                raise ImproperlyConfigured(f"settings.TOOLS: {details}")
            _cache = tools
        return _cache


def tool_get(name: str) -> Tool:
    """The tool called ``name``; ``UnknownTool`` (404) if there is none."""
    try:
        return tool_registry()[name]
    except KeyError:
        raise UnknownTool(f"There is no tool called {name!r}.", name=name) from None


def tool_list() -> list[Tool]:
    return list(tool_registry().values())


def tool_specs() -> list[ToolSpec]:
    """Every configured tool as a model is offered it, built once per registry (the first
    call imports the tools: matplotlib and the like, about a second)."""
    global _specs
    specs = _specs
    if specs is None:
        specs = tuple(tool.function_spec() for tool in tool_list())
        with _lock:
            _specs = specs
    return list(specs)


def tool_specs_built() -> list[ToolSpec] | None:
    """The specs if :func:`tool_specs` has built them, else None (costs nothing)."""
    specs = _specs
    return list(specs) if specs is not None else None


def registry_reset() -> None:
    global _cache, _specs
    with _lock:
        _cache = None
        _specs = None


@receiver(setting_changed)
def _reset_on_tools_change(*, setting: str, **_kwargs: Any) -> None:
    if setting == "TOOLS":
        registry_reset()
