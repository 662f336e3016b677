"""Shared by every suite: logs render exceptions as plain tracebacks.

structlog's default console renderer formats exceptions with rich, locals included; one
unexpected error on a large object then costs minutes of CPU in a test run.
"""

from __future__ import annotations

import structlog

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        ),
    ]
)
