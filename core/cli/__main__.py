"""``python -m core.cli ARGS``: the headless CLI without the TUI entry point."""

import sys

from core.cli import main

sys.exit(main())
