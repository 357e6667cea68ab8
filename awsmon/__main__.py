"""The ``awsmon`` command: the console script's entry point, and ``python -m awsmon``."""

import gc


def main() -> None:
    """Run one command in this (short-lived) process.

    The cyclic garbage collector is off while the command line starts: importing typer and awsmon allocates tens of
    thousands of objects that all live until the process ends, and collecting them as they pile up cost ~14 M
    instructions (~4 ms) of every command. It is switched back on as soon as the command's context is made
    (``awsmon.cli.root``), with those objects frozen: never traversed again, neither by the command's collections
    nor by the interpreter's final ones at exit (~25 M instructions more). Objects made by the command itself are
    collected as usual (long commands, imports and tail, keep a flat memory; files left in cycles are closed).
    """
    gc.disable()
    from awsmon.cli import main as run

    run()


if __name__ == "__main__":
    main()
