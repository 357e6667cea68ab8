"""Sample data shipped inside the package, so a new user can try awsmon without any other download.

``cloudtrail/``: 44 real CloudTrail log files (956 records) from the Invictus IR attack-simulation dataset (MIT, see
``LICENSE-cloudtrail`` and ``README.md`` here). ``awsmon demo`` imports them; ``awsmon demo --samples-path``
prints where they are installed.
"""

from __future__ import annotations

from pathlib import Path


def cloudtrail_path() -> Path:
    """The installed folder of the sample CloudTrail log files."""
    return Path(__file__).resolve().parent / "cloudtrail"
