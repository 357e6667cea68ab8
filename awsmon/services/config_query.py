"""``awsmon config query SQL`` / ``config athena-ddl``: Athena's table over AWS Config snapshot files
(``aws_config_configuration_snapshot``, engines/athena_config.py), queried with the same text locally (DuckDB over
the snapshots delivered to the local bucket, or a downloaded folder) or on Athena — the machinery of ``trail query``
(services/athena_query.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_SKIP = (".awsmon-meta",)


def _snapshot_files(root: Path) -> list[tuple[str, str]]:
    """(path, object name) of every file under ``root`` named like a Config snapshot (bucket metadata skipped)."""
    from awsmon.engines.athena_config import SNAPSHOT_NAME

    out = []
    for path in sorted(root.rglob("*ConfigSnapshot*.json*")):
        if path.is_file() and not any(p in _SKIP for p in path.relative_to(root).parts) and SNAPSHOT_NAME.fullmatch(path.name):
            out.append((str(path), path.name))
    return out


def _bucket_root(ctx: Any, bucket: str | None) -> tuple[Path, str]:
    """The local bucket folder and key prefix the snapshots are in: ``bucket`` (whole bucket) or the Region's
    delivery channel's bucket and prefix."""
    from awsmon.errors import UsageError

    prefix = ""
    if bucket is None:
        channels = ctx.client("config").describe_delivery_channels().get("DeliveryChannels") or []
        if not channels:
            raise UsageError("no delivery channel in this Region: give --s3-bucket NAME (a local bucket) or "
                             "--path DIR (a folder of snapshot files)")  # fmt: skip
        bucket, prefix = channels[0]["s3BucketName"], channels[0].get("s3KeyPrefix") or ""
    _check_bucket(bucket)
    root = ctx.store().s3_dir / bucket
    if not root.is_dir():
        raise UsageError(f"--s3-bucket {bucket}: no such local bucket")
    return root, prefix


def local_query(ctx: Any, sql: str, *, path: str | None = None, bucket: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Athena SQL over the snapshot files of a local bucket or a folder, with DuckDB."""
    from awsmon.engines.athena_config import TABLE, partitions, relation
    from awsmon.errors import UsageError
    from awsmon.services.athena_query import run_local, sql_list

    if path is not None:
        if bucket is not None:
            raise UsageError("give --path DIR or --s3-bucket NAME, not both")
        root = Path(path)
        if not path or not root.is_dir():  # "" would be the current folder
            raise UsageError(f"--path {path}: no such folder")
    else:
        if not ctx.is_local:
            raise UsageError("config query runs locally on the local backend; on aws use --engine athena, or "
                             "--path DIR for a downloaded folder of snapshot files")  # fmt: skip
        root, prefix = _bucket_root(ctx, bucket)
        if prefix:
            root = root.joinpath(*[p for p in prefix.split("/") if p])
    return run_local(sql, {TABLE: relation(partitions(_snapshot_files(root)), sql_list)})


def query(ctx: Any, sql: str, *, engine: str = "local", path: str | None = None, bucket: str | None = None,
          database: str | None = None, workgroup: str | None = None, output_location: str | None = None,
          catalog: str | None = None, max_wait: float | None = None, max_results: int | None = None,
          progress: Any = None) -> dict[str, Any]:  # fmt: skip
    """``config query``: {"Columns": [...], "Rows": [{column: value}, ...], "Statistics": {...}}."""
    from awsmon.errors import UsageError
    from awsmon.services.athena_query import run_query

    if bucket is not None and engine != "local":
        raise UsageError("--s3-bucket names a local bucket: use it with --engine local")
    return run_query(ctx, sql, local=lambda text: local_query(ctx, text, path=path, bucket=bucket), engine=engine,
                     path=path, database=database, workgroup=workgroup, output_location=output_location,
                     catalog=catalog, max_wait=max_wait, max_results=max_results, progress=progress)  # fmt: skip


def _check_bucket(bucket: str) -> None:
    from awsmon.errors import UsageError

    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise UsageError(f"invalid --s3-bucket {bucket!r}: an S3 bucket name is 3-63 lower-case letters, digits, . and -")


def athena_ddl(ctx: Any, *, bucket: str, prefix: str | None, table_name: str, add_partitions: bool = False) -> str:
    """The CREATE EXTERNAL TABLE for the bucket; with ``add_partitions`` (local backend) also the blog Lambda's
    ALTER TABLE ADD PARTITION statements for the snapshots delivered to the local bucket of that name."""
    from awsmon.engines.athena_config import athena_ddl as ddl
    from awsmon.engines.athena_config import partition_statement, partitions
    from awsmon.errors import UsageError

    _check_bucket(bucket)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,254}", table_name):
        raise UsageError(f"invalid --table-name {table_name!r}: letters, digits and _ only")
    if prefix and (prefix.startswith("/") or ".." in prefix.split("/") or len(prefix) > 200):
        raise UsageError(f"invalid --s3-prefix {prefix!r}")
    out = [ddl(table=table_name, bucket=bucket, prefix=prefix or "")]
    if add_partitions:
        if not ctx.is_local:
            raise UsageError("--add-partitions lists the snapshots of a local bucket: use it on the local backend")
        root = ctx.store().s3_dir / bucket
        if not root.is_dir():
            raise UsageError(f"--s3-bucket {bucket}: no such local bucket")
        base = root.joinpath(*[p for p in (prefix or "").split("/") if p])
        rows = partitions(_snapshot_files(base) if base.is_dir() else [])
        day_of = {f: dt for f, _, dt, _ in rows if dt != "latest"}
        seen = set()
        for file, account, dt, region in rows:
            if (account, dt, region) in seen:
                continue
            seen.add((account, dt, region))
            y, m, d = (int(x) for x in day_of[file].split("-"))
            out.append(partition_statement(table=table_name, bucket=bucket, prefix=prefix or "", account=account,
                                           region=region, dt=dt, day=(y, m, d)))  # fmt: skip
    return ";\n\n".join(out) + ";\n"
