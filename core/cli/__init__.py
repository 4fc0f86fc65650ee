"""The headless command line: ``perceptune run|runs|show|export|datasets|...``.

Everything here uses the same engine as the TUI. Usage and input errors print one
line on stderr and exit with 2; other failures exit with 1; never a traceback.
"""

from __future__ import annotations

import sys

from core.errors import PerceptuneError


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the process exit code."""
    from core.cli.parser import build_parser

    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except PerceptuneError as error:
        print(f"perceptune: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("perceptune: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `perceptune runs | head`
        return 0
