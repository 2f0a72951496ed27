"""Running the real `cognitest` command against the test platform, as a CI job would."""

import os
import subprocess
import sys
from collections.abc import Callable

from tests.support.stack import PlatformStack


def cli_for(stack: PlatformStack, timeout: float = 180) -> Callable[..., subprocess.CompletedProcess]:
    """`cli(*args, stdin=None)`: the command's result (exit code, stdout, stderr)."""
    env = {**os.environ, "COGNITEST_API": stack.api_url, "COLUMNS": "200"}

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cognitest.producers.cli.main", *args], capture_output=True,
                              text=True, env=env, input=stdin, timeout=timeout)

    return cli
