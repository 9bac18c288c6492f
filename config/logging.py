"""Log formats: one JSON object per line in production, readable lines in development.

Both carry the request id, analysis id and variant of the current context
(core.context), so one grep follows an analysis from the upload request through the worker.
"""

import json
import logging
from datetime import UTC, datetime

CONTEXT_FIELDS = ("request_id", "analysis_id", "variant")
# Attributes every LogRecord has; anything else on a record came from extra= and is worth keeping.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", *CONTEXT_FIELDS}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            if value := getattr(record, field, ""):
                entry[field] = value
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ReadableFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{field}={value}" for field in CONTEXT_FIELDS if (value := getattr(record, field, "")))
        if not context:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{context}]{newline}{rest}"


def logging_config(*, json_lines: bool, level: str) -> dict:
    """The LOGGING setting: everything goes to stderr through the context filter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "log_context": {"()": "core.context.LogContextFilter"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {
            "json": {"()": "config.logging.JsonFormatter"},
            "readable": {"()": "config.logging.ReadableFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "readable",
                "filters": ["log_context"],
            },
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": ["require_debug_false"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default config gives "django" its own console handler too; one line per event is enough.
            "django": {"handlers": ["mail_admins"], "level": level, "propagate": True},
            # The openai SDK's HTTP client (httpx, vendored as httpx2) logs every request at INFO: a line per
            # model call in the worker's hottest path, which the LLMCall rows already record in full.
            "httpx": {"level": "WARNING"},
            "httpx2": {"level": "WARNING"},
        },
    }
