"""What the tap's log shows and at which level: the SDK's metric lines only when asked for,
its per-account notices at DEBUG.

Meltano shows a plugin's warnings and errors at their level when the plugin declares the
``structured-logging`` capability: it then hands the SDK a logging config
(``SINGER_SDK_LOG_CONFIG``) whose formatter writes each record as one JSON object, and parses
those lines. That formatter turns a metric line into the bare word ``METRIC`` plus the point's
fields, of which Meltano's console shows the metric's name and value but not its tags (stream,
account); so here, when metrics are on, each point is written into the message as JSON, and
reads the same in any format.
"""

from __future__ import annotations

import logging

from singer_sdk import metrics

#: The SDK's metrics logger (``singer_sdk.metrics.get_metrics_logger``).
METRICS_LOGGER = metrics.METRICS_LOGGER_NAME
#: singer-sdk 0.54's notices once per partition (account) of a stream, at DEBUG here. "Stream is
#: assumed to be unsorted" is no warning for this tap, whose streams are unsorted by design: a
#: bookmark moves only once the partition was read in full (streams.base). "Starting
#: incremental sync of ... with bookmark value" names no account, so with 50 accounts it is 50
#: alike lines per stream; each stream's progress line says what it read.
DEBUG_NOTICES = ("Stream is assumed to be unsorted", "Starting incremental sync of ")


class MetricText(logging.Filter):
    """A metric line's point (with its tags) written into the message as JSON."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], metrics.Point):
            record.args = (str(args[0]), *args[1:])
        return True


class NoticesToDebug(logging.Filter):
    """The SDK's per-partition notices at DEBUG (and dropped unless DEBUG is on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith(DEBUG_NOTICES)):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def configure_logs(*, log_metrics: bool) -> None:
    """Metric lines on (as text with their tags) or off; the SDK's notices at DEBUG.

    The SDK sets its metrics logger to the plugin's level each time a tap is made
    (``PluginBase.__init__``), so this runs after that, once per tap. The notices come from
    each stream's own logger, so their filter sits on the root logger's handlers (the SDK's
    console handler, or the one of Meltano's logging config). Filters are replaced, never
    piled up.
    """
    metrics_logger = logging.getLogger(METRICS_LOGGER)
    _replace_filter(metrics_logger, MetricText() if log_metrics else None)
    if not log_metrics:
        # Points are logged at INFO only: WARNING and above keeps every one of them out.
        metrics_logger.setLevel(max(metrics_logger.getEffectiveLevel(), logging.WARNING))
    for handler in logging.getLogger().handlers:
        _replace_filter(handler, NoticesToDebug())


def _replace_filter(owner: logging.Filterer, new: logging.Filter | None) -> None:
    for old in [f for f in owner.filters if isinstance(f, MetricText | NoticesToDebug)]:
        owner.removeFilter(old)
    if new is not None:
        owner.addFilter(new)
