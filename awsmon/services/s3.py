"""S3 buckets and objects: aws-cli's high-level ``s3`` commands (mb, rb, cp, ls, rm with ``s3://bucket/key`` URLs)
and a few ``s3api`` bucket settings, on either backend (boto3 ``s3``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.inputs import expand_path
from awsmon.services._input import json_or_shorthand, read_json, read_text


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); the key may be empty."""
    if not url.startswith("s3://"):
        raise UsageError(f"{url!r} is not an S3 URL: expected s3://bucket[/key]")
    bucket, _, key = url[5:].partition("/")
    if not bucket:
        raise UsageError(f"{url!r} names no bucket: expected s3://bucket[/key]")
    return bucket, key


def _region(ctx: AppContext) -> str:
    return str(getattr(ctx.backend(), "region", "us-east-1"))


def make_bucket(ctx: AppContext, url: str) -> dict[str, Any]:
    bucket, key = parse_url(url)
    if key:
        raise UsageError(f"mb takes a bucket, not a key: s3://{bucket}")
    region = _region(ctx)
    params: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    ctx.client("s3").create_bucket(**params)
    return {"Results": [{"Action": "make_bucket", "Source": bucket}]}


def _keys(ctx: AppContext, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    from awsmon.backends import paginate

    yield from paginate(ctx.client("s3").list_objects_v2, "Contents", token_in="ContinuationToken",
                        token_out="NextContinuationToken", Bucket=bucket, Prefix=prefix)  # fmt: skip


def remove_bucket(ctx: AppContext, url: str, *, force: bool = False) -> dict[str, Any]:
    bucket, key = parse_url(url)
    if key:
        raise UsageError(f"rb takes a bucket, not a key: s3://{bucket}")
    results = []
    s3 = ctx.client("s3")
    if force:
        for obj in list(_keys(ctx, bucket, "")):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
            results.append({"Action": "delete", "Source": f"s3://{bucket}/{obj['Key']}"})
    s3.delete_bucket(Bucket=bucket)
    results.append({"Action": "remove_bucket", "Source": bucket})
    return {"Results": results}


def _local_files(root: Path) -> Iterator[tuple[Path, str]]:
    for dirpath, _dirs, files in sorted(os.walk(root)):
        for name in sorted(files):
            path = Path(dirpath) / name
            yield path, path.relative_to(root).as_posix()


def copy(ctx: AppContext, source: str, target: str, *, recursive: bool = False,
         content_type: str | None = None) -> dict[str, Any]:  # fmt: skip
    """aws s3 cp: local -> S3 (upload), S3 -> local (download), S3 -> S3 (copy); --recursive for folders/prefixes."""
    s3 = ctx.client("s3")
    results: list[dict[str, Any]] = []
    src_s3, dst_s3 = source.startswith("s3://"), target.startswith("s3://")
    if not src_s3 and not dst_s3:
        raise UsageError("cp needs at least one s3:// URL (local to local copies are not S3's)")
    extra = {"ContentType": content_type} if content_type else {}
    if not src_s3:
        bucket, key = parse_url(target)
        src = expand_path(source, "the source")
        if recursive:
            if not src.is_dir():
                raise UsageError(f"{source} is not a folder (--recursive uploads a folder)")
            base = key if not key or key.endswith("/") else key + "/"
            for path, rel in _local_files(src):
                s3.put_object(Bucket=bucket, Key=base + rel, Body=path.read_bytes(), **extra)
                results.append({"Action": "upload", "Source": str(path), "Target": f"s3://{bucket}/{base + rel}"})
        else:
            if not src.is_file():
                raise UsageError(f"The user-provided path {source} does not exist.")
            if not key or key.endswith("/"):
                key += src.name
            s3.put_object(Bucket=bucket, Key=key, Body=src.read_bytes(), **extra)
            results.append({"Action": "upload", "Source": str(src), "Target": f"s3://{bucket}/{key}"})
        return {"Results": results}
    bucket, key = parse_url(source)
    if recursive:
        prefix = key if not key or key.endswith("/") else key + "/"
        objects = [o["Key"] for o in _keys(ctx, bucket, prefix)]
    else:
        if not key:
            raise UsageError(f"{source} names a bucket: give a key, or --recursive")
        objects = [key]
    if not dst_s3 and recursive:
        # folder markers (keys ending in /, as the console's "Create folder" makes) hold no file; every other key is
        # checked before anything is written
        objects = [k for k in objects if not k.endswith("/")]
        for k in objects:
            _check_below(bucket, k, k[len(prefix):])
    for k in objects:
        rel = k[len(prefix):] if recursive else k.rsplit("/", 1)[-1]
        if dst_s3:
            dbucket, dkey = parse_url(target)
            if recursive:
                dkey = (dkey if not dkey or dkey.endswith("/") else dkey + "/") + rel
            elif not dkey or dkey.endswith("/"):
                dkey += rel
            s3.copy_object(Bucket=dbucket, Key=dkey, CopySource={"Bucket": bucket, "Key": k}, **extra)
            results.append({"Action": "copy", "Source": f"s3://{bucket}/{k}", "Target": f"s3://{dbucket}/{dkey}"})
            continue
        dest = expand_path(target, "the target")
        if recursive or target.endswith(("/", os.sep)) or dest.is_dir():
            _check_below(bucket, k, rel)
            dest = dest / rel
        body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(body)
        results.append({"Action": "download", "Source": f"s3://{bucket}/{k}", "Target": str(dest)})
    return {"Results": results}


def _check_below(bucket: str, key: str, rel: str) -> None:
    """``rel`` (what is left of ``key``) names a file below the target folder: ``a/../../x``, ``a//etc/x`` (an
    absolute remainder) or a key ending in ``..`` or ``/`` would write elsewhere or nowhere. aws-cli skips such keys
    with a warning ("File references a parent directory"); [design choice] awsmon refuses before writing anything."""
    norm = os.path.normpath(rel) if rel else "."
    if os.path.isabs(rel) or norm in (".", "..") or norm.startswith(".." + os.sep):
        raise UsageError(f"cannot download s3://{bucket}/{key}: the key names no file below the target folder "
                         "(it references a parent directory)")  # fmt: skip


def listing(ctx: AppContext, url: str | None, *, recursive: bool = False) -> dict[str, Any]:
    """aws s3 ls: buckets (no URL), or the objects and PRE folders under a prefix."""
    s3 = ctx.client("s3")
    if not url:
        buckets = s3.list_buckets().get("Buckets") or []
        return {"Items": [{"Type": "BUCKET", "LastModified": b.get("CreationDate"), "Size": None, "Key": b["Name"]}
                          for b in buckets]}  # fmt: skip
    bucket, prefix = parse_url(url)
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if not recursive:
        params["Delimiter"] = "/"
    items: list[dict[str, Any]] = []
    base = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix and not recursive else ""
    for page in _pages(s3, params):
        for p in page.get("CommonPrefixes") or []:
            items.append({"Type": "PRE", "LastModified": None, "Size": None, "Key": p["Prefix"][len(base):]})
        for o in page.get("Contents") or []:
            items.append({"Type": "OBJECT", "LastModified": o["LastModified"], "Size": o["Size"],
                          "Key": o["Key"] if recursive else o["Key"][len(base):]})  # fmt: skip
    return {"Items": items}


def _pages(s3: Any, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    while True:
        page = s3.list_objects_v2(**params)
        yield page
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return
        params = {**params, "ContinuationToken": token}


def remove(ctx: AppContext, url: str, *, recursive: bool = False) -> dict[str, Any]:
    bucket, key = parse_url(url)
    s3 = ctx.client("s3")
    keys = [o["Key"] for o in _keys(ctx, bucket, key)] if recursive else [key]
    if not recursive and not key:
        raise UsageError(f"{url} names a bucket: give a key, or --recursive")
    results = []
    for k in keys:
        s3.delete_object(Bucket=bucket, Key=k)
        results.append({"Action": "delete", "Source": f"s3://{bucket}/{k}"})
    return {"Results": results}


# -- s3api bucket settings --------------------------------------------------------------------------------------------


def put_bucket_acl(ctx: AppContext, *, bucket: str, acl: str | None, access_control_policy: str | None) -> dict[str, Any]:
    if bool(acl) == bool(access_control_policy):
        raise UsageError("give exactly one of --acl or --access-control-policy")
    params: dict[str, Any] = {"Bucket": bucket}
    if acl:
        params["ACL"] = acl
    else:
        params["AccessControlPolicy"] = read_json(str(access_control_policy), "--access-control-policy")
    return ctx.client("s3").put_bucket_acl(**params)


def get_bucket_acl(ctx: AppContext, *, bucket: str) -> dict[str, Any]:
    return ctx.client("s3").get_bucket_acl(Bucket=bucket)


def put_public_access_block(ctx: AppContext, *, bucket: str, configuration: str) -> dict[str, Any]:
    cfg = json_or_shorthand(configuration, "--public-access-block-configuration")
    if not isinstance(cfg, dict):
        raise UsageError("--public-access-block-configuration: expected BlockPublicAcls=true,IgnorePublicAcls=true,...")
    known = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    unknown = set(cfg) - set(known)
    if unknown:
        raise UsageError(f"--public-access-block-configuration: unknown key(s) {', '.join(sorted(unknown))}")
    for k, v in cfg.items():  # botocore's check: bool("maybe") and bool("false") would both block
        if not isinstance(v, bool):
            raise UsageError(f"Invalid type for parameter PublicAccessBlockConfiguration.{k}, value: {v}, type: "
                             f"{type(v).__name__}, valid types: true, false")  # fmt: skip
    return ctx.client("s3").put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=cfg)


def get_public_access_block(ctx: AppContext, *, bucket: str) -> dict[str, Any]:
    return ctx.client("s3").get_public_access_block(Bucket=bucket)


def delete_public_access_block(ctx: AppContext, *, bucket: str) -> dict[str, Any]:
    return ctx.client("s3").delete_public_access_block(Bucket=bucket)


def put_bucket_versioning(ctx: AppContext, *, bucket: str, configuration: str) -> dict[str, Any]:
    cfg = json_or_shorthand(configuration, "--versioning-configuration")
    if not isinstance(cfg, dict) or cfg.get("Status") not in ("Enabled", "Suspended"):
        raise UsageError("--versioning-configuration: expected Status=Enabled or Status=Suspended")
    return ctx.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration=cfg)


def get_bucket_versioning(ctx: AppContext, *, bucket: str) -> dict[str, Any]:
    return ctx.client("s3").get_bucket_versioning(Bucket=bucket)


def put_bucket_policy(ctx: AppContext, *, bucket: str, policy: str) -> dict[str, Any]:
    return ctx.client("s3").put_bucket_policy(Bucket=bucket, Policy=read_text(policy, "--policy"))


def get_bucket_policy(ctx: AppContext, *, bucket: str) -> dict[str, Any]:
    return ctx.client("s3").get_bucket_policy(Bucket=bucket)


def put_bucket_metrics_configuration(ctx: AppContext, *, bucket: str, config_id: str,
                                     configuration: str | None) -> dict[str, Any]:  # fmt: skip
    cfg = json_or_shorthand(configuration, "--metrics-configuration") if configuration else {"Id": config_id}
    if not isinstance(cfg, dict):
        raise UsageError("--metrics-configuration: expected JSON {\"Id\": ..., \"Filter\": {...}}")
    cfg.setdefault("Id", config_id)
    return ctx.client("s3").put_bucket_metrics_configuration(Bucket=bucket, Id=config_id, MetricsConfiguration=cfg)
