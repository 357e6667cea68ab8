"""The ``awsmon`` command: the console script's entry point, and ``python -m awsmon``."""

import gc


def main() -> None:
    """Run one command in this (short-lived) process.

    The cyclic garbage collector is off while the command line starts: importing typer and awsmon allocates tens of
    thousands of objects that all live until the process ends, and collecting them as they pile up cost ~14 M
    instructions (~4 ms) of every command. It is switched back on, with those objects frozen (never traversed
    again), as soon as the command's context is made (``awsmon.cli.root``), so long commands (imports, tail) collect
    as usual. At exit everything is frozen: the interpreter's final collections would otherwise traverse every
    object once more for nothing (~25 M instructions); objects are still released and files closed as usual.
    """
    gc.disable()
    from awsmon.cli import main as run

    try:
        run()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
