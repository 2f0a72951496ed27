"""`python -m cognitest.consumers [run|asyncapi] [--only GROUP ...]` (the CLI's `cognitest consumers`)."""

import argparse
import asyncio
import json
import os
import sys

from cognitest.consumers.app import GROUPS, asyncapi_document, build_app
from cognitest.infra.logging import configure_logging
from cognitest.infra.settings import get_settings
from cognitest.infra.tracing import setup_tracing, shutdown_tracing


def main() -> None:
    parser = argparse.ArgumentParser(prog="cognitest consumers")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "asyncapi"])
    parser.add_argument("--only", action="append", choices=GROUPS, help="run only these consumer groups")
    parser.add_argument("--skip", action="append", choices=GROUPS, default=[], help="run every group but these")
    args = parser.parse_args()
    settings = get_settings()
    if args.command == "asyncapi":
        json.dump(asyncapi_document(settings), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    configure_logging("consumers", settings.log_level, settings.log_format)
    setup_tracing(settings.tracing, "consumers")
    groups = tuple(g for g in (args.only or GROUPS) if g not in args.skip)
    if groups == ("knowledge",) and settings.knowledge.nice and hasattr(os, "nice"):
        os.nice(settings.knowledge.nice)
    app = build_app(settings, groups)
    try:
        asyncio.run(app.run())
    finally:
        shutdown_tracing()


main()
