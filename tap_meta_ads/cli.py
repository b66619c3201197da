"""``tap-meta-ads``: the SDK's command, where every mistake at the front door ends in one line.

The SDK's command (``TapMetaAds.cli``) runs with ``standalone_mode=False``, so what goes wrong
comes back here instead of ending in a traceback: a config, catalog or state file that is
missing, not JSON or of the wrong shape; settings, a catalog or a state the tap refuses; an
interruption; a target that stops reading. Each ends in one line on stderr naming the file,
setting, stream or bookmark and the fix (the most important last: people read the last line)
and a non-zero exit. What is refused before the run starts leaves stdout empty. Anything
unexpected ends in one redacted line as well (its traceback only with ``LOGLEVEL=DEBUG``).

SIGINT and SIGTERM are handled here, not by the SDK (whose handler writes a STATE and exits
0): the run unwinds from wherever it is, writes no further message, says so and exits
128 + the signal's number. The last STATE it wrote is where the next run resumes.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from tap_meta_ads.tap import TapMetaAds

#: The tap's logger (``TapMetaAds.logger``), named here so a line can be logged before the
#: tap's module is loaded.
LOGGER_NAME = "tap-meta-ads"
CONFIG_FIX = 'it must be a JSON object of settings, such as {"access_token": "..."}'
CATALOG_FIX = "regenerate it with tap-meta-ads --discover"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_ENV_SECRETS = ("ACCESS_TOKEN", "APP_SECRET", "ACCOUNTS")


class Stopped(BaseException):
    """SIGINT or SIGTERM: unwinds the run past any ``except Exception`` on the way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Refused(Exception):  # noqa: N818 - a carrier, not an error of its own
    """Settings refused: carried past the SDK's command, which would end on a line saying
    only "Config validation failed"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0])
        self.problems = problems


class _PipeClosed(Exception):  # noqa: N818 - a carrier, as above
    """stdout's reader went away: carried past click, which would exit 1 without a word."""


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``tap-meta-ads`` entry point."""
    sys.exit(run(argv))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    with _signals_stop_the_run():
        try:
            return _run(args)
        except (Stopped, click.Abort, KeyboardInterrupt) as exc:
            signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
            logging.getLogger(LOGGER_NAME).error(
                "stopped by %s before the run finished: nothing more was written, and the next "
                "run resumes from the last STATE message written",
                signal.Signals(signum).name,
            )
            return 128 + signum


def _run(args: list[str]) -> int:
    # The SDK and the tap load here, once SIGINT and SIGTERM are handled: a Ctrl-C while
    # they load (a second or two) ends in one line too, not in a traceback.
    from singer_sdk.exceptions import ConfigValidationError

    from tap_meta_ads.settings.inputs import InputError
    from tap_meta_ads.tap import TapMetaAds

    logger = TapMetaAds.logger
    try:
        command = _command(TapMetaAds)
        code = command.main(args=args, prog_name=TapMetaAds.name, standalone_mode=False)
    except SystemExit as exc:  # --about, a run with failed accounts: already reported
        return _status(exc.code, logger)
    except click.ClickException as exc:  # usage errors: click's own lines, exit 2
        exc.show()
        return exc.exit_code
    except (_Refused, InputError) as exc:
        _report(logger, exc.problems)
        return 1
    except ConfigValidationError as exc:  # from --test, which validates while parsing
        _report(logger, list(exc.errors) or [str(exc)])
        return 1
    except (BrokenPipeError, _PipeClosed):
        return _broken_pipe(logger)
    except Exception as exc:  # the last resort: one line, no secret
        _last_resort(logger, exc, args)
        return 1
    return code if isinstance(code, int) else 0


def _command(tap: type[TapMetaAds]) -> click.Command:
    """The SDK's command, its file options read first and its settings errors carried out."""
    command = tap.cli  # also sets up the SDK's console logging
    for param in command.params:
        if param.name == "config" and param.callback is not None:
            param.callback = _config_files_first(param.callback)
    if command.callback is not None:
        command.callback = _guarded(command.callback)
    return command


def _config_files_first(callback: Callable[..., Any]) -> Callable[..., Any]:
    """``--config``: each file must hold a JSON object before the SDK reads it."""

    from tap_meta_ads.settings.inputs import read_json_object

    def read(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
        for path in value:
            if path != "ENV":
                read_json_object(path, "--config", CONFIG_FIX)
        return callback(ctx, param, value)

    return read


def _guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
    """The SDK's ``invoke``: catalog and state checked as JSON objects first, settings errors
    carried past the SDK's command."""
    from singer_sdk.exceptions import ConfigValidationError

    from tap_meta_ads.settings.inputs import START_FRESH

    def invoke(**params: Any) -> Any:
        if not params.get("about"):
            params["catalog"] = _checked(params.get("catalog"), "--catalog", CATALOG_FIX)
            params["state"] = _checked(params.get("state"), "--state", START_FRESH)
        try:
            return callback(**params)
        except ConfigValidationError as exc:
            raise _Refused(list(exc.errors) or [str(exc)]) from None
        except BrokenPipeError:
            raise _PipeClosed from None  # click would end it silently

    return invoke


def _checked(handle: IO[str] | None, option: str, fix: str) -> IO[str] | None:
    """The file's text, again as a file, once it is known to hold a JSON object."""
    from tap_meta_ads.settings.inputs import InputError, json_object

    if handle is None:
        return None
    where = f"{option} {getattr(handle, 'name', '-')}"
    try:
        text = handle.read()
    except UnicodeDecodeError:
        raise InputError([f"{where}: is not UTF-8 text; {fix}"]) from None
    if option == "--state" and not text.strip():
        logging.getLogger(LOGGER_NAME).warning("%s: empty; starting without state", where)
        return None
    json_object(text, where, fix)
    return io.StringIO(text)


def _report(logger: logging.Logger, problems: list[str]) -> None:
    """Each problem on its line, the most important (the first) last."""
    first, *others = problems
    for line in others:
        logger.error("%s", line)
    logger.error("%s", f"{first} (and {len(others)} more above)" if others else first)


def _status(code: object, logger: logging.Logger) -> int:
    if code is None or isinstance(code, int):
        return int(code or 0)
    logger.error("%s", code)
    return 1


def _last_resort(logger: logging.Logger, exc: Exception, args: list[str]) -> None:
    """One line for an error nobody expected, secrets masked; the traceback only at DEBUG."""
    from tap_meta_ads.secrets import redact

    secrets = _secrets_in(args)
    text = " ".join(str(exc).split()) or "no message"
    logger.error(
        "%s",
        redact(f"unexpected {type(exc).__name__}: {text[:500]}", secrets)
        + "; run again with LOGLEVEL=DEBUG for details, and report it if it persists",
    )
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s", redact("".join(traceback.format_exception(exc)), secrets))


def _secrets_in(args: list[str]) -> list[str]:
    """Secrets of the config files named in ``args`` and of the environment, best effort."""
    from tap_meta_ads.secrets import secrets_of
    from tap_meta_ads.settings.inputs import InputError, read_json_object

    config: dict[str, Any] = {}
    paths = [b for a, b in itertools.pairwise(args) if a == "--config"]
    paths += [a.split("=", 1)[1] for a in args if a.startswith("--config=")]
    for path in paths:
        with contextlib.suppress(InputError):
            config |= read_json_object(path, "--config", CONFIG_FIX)
    found = secrets_of(config)
    for name in _ENV_SECRETS:
        value = os.environ.get(f"TAP_META_ADS_{name}")
        if value and name == "ACCOUNTS":
            with contextlib.suppress(ValueError):
                found += secrets_of({"accounts": json.loads(value)})
        elif value:
            found += secrets_of({name.lower(): value})
    return found


def _broken_pipe(logger: logging.Logger) -> int:
    """stdout closed under the run: say so; the interpreter's last flush must not fail loudly."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    logger.error(
        "stdout was closed while the run wrote to it (the target stopped reading): the run "
        "stopped; see the target's log for why"
    )
    return 1


@contextlib.contextmanager
def _signals_stop_the_run() -> Iterator[None]:
    """SIGINT and SIGTERM raise Stopped in the main thread while the command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _stop) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)
