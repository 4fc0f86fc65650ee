"""The headless command line: ``perceptune run|runs|show|export|datasets|...``.

Everything here uses the same engine as the TUI. Usage and input errors print one
line on stderr and exit with 2; other failures exit with 1; never a traceback.
Ctrl-C, SIGTERM and SIGHUP stop a command the same way (runs in flight are left
``interrupted`` for ``perceptune resume``) and exit with 128 + the signal number.
"""

from __future__ import annotations

import sys

from core.errors import PerceptuneError


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the process exit code."""
    from core.cli.parser import build_parser
    from core.cli.signals import describe, exit_code, say, terminate_like_ctrl_c

    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        with terminate_like_ctrl_c():
            return int(args.handler(args) or 0)
    except PerceptuneError as error:
        say(f"perceptune: {error}")
        return error.exit_code
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP
        say(f"perceptune: {describe(interrupt)}")
        return exit_code(interrupt)
    except BrokenPipeError:  # `perceptune runs | head`
        return 0
