#!/usr/bin/env python3
"""Regenerate man/awsmon.1 and completions/awsmon.{bash,zsh,fish} from the app (tests check they are current)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from awsmon.docgen import SHELLS, completion_script, man_page  # noqa: E402


def main() -> None:
    (ROOT / "man").mkdir(exist_ok=True)
    (ROOT / "man" / "awsmon.1").write_text(man_page())
    (ROOT / "completions").mkdir(exist_ok=True)
    for shell in SHELLS:
        (ROOT / "completions" / f"awsmon.{shell}").write_text(completion_script(shell))
    print("wrote man/awsmon.1 and completions/awsmon.{bash,zsh,fish}")


if __name__ == "__main__":
    main()
