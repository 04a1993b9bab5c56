"""`python -m bot`: the command line."""

import os
import sys

from bot.cli import main

try:
    status = main()
    sys.stdout.flush()
except BrokenPipeError:
    # The reader went away (`python -m bot eval … | head`): stop quietly, as other command-line tools do.
    # Python's documented way: point stdout at devnull so the interpreter's final flush cannot fail again.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    status = 1
sys.exit(status)
