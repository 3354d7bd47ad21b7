"""The `synthgate` console script: the same command line as the `synthgate` binary."""

import signal
import sys

from . import _native


def main() -> None:
    """Run the command line with this process's arguments and exit with its code."""
    # Ctrl-C ends the command as it ends the binary (the work runs outside the interpreter).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_native.cli(["synthgate", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
