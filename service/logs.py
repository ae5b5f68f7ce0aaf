"""Logs: one JSON object per line (or text), each with the request id and actor it
belongs to, for the service's own records and for uvicorn's, access log included."""

from __future__ import annotations

import logging
import sys
from typing import Any

from domain.context import actor_cvar, request_id_cvar

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(actor)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(actor)s"
LOGGERS = ("tenant_registry", "uvicorn", "uvicorn.error", "uvicorn.access")


class RequestContext(logging.Filter):
    """Adds the current request's id and actor (``None`` and the system outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_cvar.get()
        record.actor = actor_cvar.get()
        # uvicorn's copy of its message with terminal colour codes: not for a log line.
        record.__dict__.pop("color_message", None)
        return True


def logging_config(level: str, log_format: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service and uvicorn (``serve`` passes it to
    uvicorn, which applies it in every worker process). ``auto``: text when standard error is
    a terminal, JSON otherwise."""
    if log_format == "auto":
        log_format = "text" if sys.stderr.isatty() else "json"
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": RequestContext}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["context"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["default"], "level": level.upper(), "propagate": False}
            for name in LOGGERS
        },
    }
