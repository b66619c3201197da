"""`meta-ads-sandbox serve|truth`: run the local Marketing API, or write its ground truth."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from types import FrameType

from meta_ads_sandbox.config import (
    add_dataset_arguments,
    add_server_arguments,
    dataset_config_from_args,
    server_config_from_args,
)
from meta_ads_sandbox.server import make_server
from meta_ads_sandbox.truth import write_truth


def build_parser() -> argparse.ArgumentParser:
    """The `serve` / `truth` argument parser."""
    parser = argparse.ArgumentParser(
        prog="meta-ads-sandbox",
        description="A local, deterministic fake of Meta's Marketing API (Graph API v25.0-v27.0).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve the API on loopback; prints the base URL as the first line"
    )
    add_dataset_arguments(serve, with_advance=False)
    add_server_arguments(serve)
    truth = commands.add_parser("truth", help="write the ground-truth JSON Lines files")
    truth.add_argument("--out", required=True, help="directory to write the files into")
    add_dataset_arguments(truth, with_advance=True)
    return parser


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    """Run `serve`: print the base URL, then serve until SIGTERM/SIGINT."""
    try:
        dataset = dataset_config_from_args(args)
        config = server_config_from_args(args)
        server = make_server(dataset, config)
    except (ValueError, OSError) as exc:
        print(f"meta-ads-sandbox: {exc}", file=sys.stderr)
        return 2
    print(server.base_url, flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def truth(args: argparse.Namespace) -> int:
    """Run `truth`: write the files and print a JSON summary."""
    try:
        dataset = dataset_config_from_args(args)
    except ValueError as exc:
        print(f"meta-ads-sandbox: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    counts = write_truth(args.out, dataset)
    summary = {
        "out": args.out,
        "end_date": dataset.last_day.isoformat(),
        "seconds": round(time.perf_counter() - started, 3),
        "lines": counts,
    }
    print(json.dumps(summary), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `meta-ads-sandbox` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return truth(args)


if __name__ == "__main__":
    sys.exit(main())
