"""The headless command line: ``perceptune run|runs|show|export|datasets|...``.

Everything here uses the same engine as the TUI. Usage and input errors print one
line on stderr and exit with 2; other failures exit with 1; never a traceback (set
``PERCEPTUNE_DEBUG=1`` to get the traceback of an unexpected error). Ctrl-C, SIGTERM
and SIGHUP stop a command the same way (runs in flight are left ``interrupted`` for
``perceptune resume``) and exit with 128 + the signal number.
"""

from __future__ import annotations

import os
import sys

from core.errors import PerceptuneError

#: Set (to anything but "" or "0") to let unexpected errors end in their traceback.
DEBUG_VARIABLE = "PERCEPTUNE_DEBUG"

#: Exceptions that reach here only from something the user gave (a number past
#: Python's limits, a file that is not text, a file nested too deeply): exit 2.
_INPUT_EXCEPTIONS = (ValueError, OverflowError, UnicodeError, RecursionError)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the process exit code."""
    from core.cli.output import GuardedOutput, OutputClosed, one_line

    real_stdout = sys.stdout
    sys.stdout = output = GuardedOutput(real_stdout)
    try:
        try:
            code = _dispatch(sys.argv[1:] if argv is None else argv)
        finally:
            output.flush()  # a full disk shows here when the output was short
        return code
    except OutputClosed:  # `perceptune runs | head -1`: the reader has all it wanted
        return 0
    except PerceptuneError as error:  # OutputError from the final flush
        print(f"perceptune: {one_line(str(error))}", file=sys.stderr)
        return error.exit_code
    finally:
        sys.stdout = real_stdout


def _dispatch(argv: list[str]) -> int:
    from core.cli.output import OutputClosed, one_line
    from core.cli.parser import build_parser
    from core.cli.signals import describe, exit_code, say, terminate_like_ctrl_c

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        with terminate_like_ctrl_c():
            return int(args.handler(args) or 0)
    except OutputClosed:
        raise
    except PerceptuneError as error:
        say(f"perceptune: {one_line(str(error))}")
        return error.exit_code
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP
        say(f"perceptune: {describe(interrupt)}")
        return exit_code(interrupt)
    except BrokenPipeError:  # a pipe other than stdout; nothing left to tell
        return 0
    except Exception as error:  # RecursionError and UnicodeError are Exceptions too
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            raise
        is_input = isinstance(error, _INPUT_EXCEPTIONS)
        what = "invalid input" if is_input else "internal error"
        print(
            f"perceptune: {what}: {one_line(f'{type(error).__name__}: {error}')} "
            f"(set {DEBUG_VARIABLE}=1 for the traceback)",
            file=sys.stderr,
        )
        return 2 if is_input else 1
