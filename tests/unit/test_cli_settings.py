"""A wrong setting is a clear error naming the variable, never a traceback."""

import os
import subprocess
import sys


def test_a_port_out_of_range_is_refused_with_the_variable_named() -> None:
    env = {**os.environ, "COGNITEST_NATS__PORT": "70000"}
    done = subprocess.run([sys.executable, "-m", "cognitest.producers.cli.main", "up"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: invalid setting(s): COGNITEST_NATS__PORT: Input should be less than or equal to 65535"
