"""awsmon s3: buckets and objects with aws-cli's high-level commands (s3://bucket/key URLs) and bucket settings."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command
from awsmon.output import Column

app = group(
    "s3",
    "S3 buckets and objects: aws-cli's high-level commands (mb, rb, cp, ls, rm with s3://bucket/key URLs) and the "
    "s3api bucket settings (ACL, public access block, versioning, policy, request metrics).\n\n"
    "On the local backend buckets are folders of the account (the same ones trails deliver to); object operations "
    "are CloudTrail data events, logged by trails whose event selectors ask for them.\n\n"
    "Examples:\n\n"
    "  awsmon s3 mb s3://my-lab-bucket\n\n"
    "  awsmon s3 cp ./report.csv s3://my-lab-bucket/reports/\n\n"
    "  awsmon s3 ls s3://my-lab-bucket --recursive",
)

_RESULT_COLUMNS = [Column("Action"), Column("Source"), Column("Target")]
_LS_COLUMNS = [Column("Type"), Column("LastModified"), Column("Size"), Column("Key")]
BUCKET_HELP = "Bucket name."
_BUCKET = ("bucket", str, typer.Option(..., "--bucket", help=BUCKET_HELP))


@app.command("mb")
def mb(ctx: typer.Context, url: str = typer.Argument(..., metavar="s3://BUCKET", help="The bucket to create.")) -> None:
    """Make a bucket (CreateBucket) in the current Region.

    Example: awsmon s3 mb s3://my-lab-bucket
    """
    from awsmon.services.s3 import make_bucket

    renderer(ctx).render(make_bucket(app_ctx(ctx), url), rows_key="Results", columns=_RESULT_COLUMNS[:2])


@app.command("rb")
def rb(
    ctx: typer.Context,
    url: str = typer.Argument(..., metavar="s3://BUCKET", help="The bucket to remove."),
    force: bool = typer.Option(False, "--force", help="Delete every object first (a non-empty bucket is refused otherwise)."),
) -> None:
    """Remove a bucket (DeleteBucket); --force empties it first.

    Example: awsmon s3 rb s3://my-lab-bucket --force
    """
    from awsmon.services.s3 import remove_bucket

    renderer(ctx).render(remove_bucket(app_ctx(ctx), url, force=force), rows_key="Results", columns=_RESULT_COLUMNS[:2])


@app.command("cp")
def cp(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="SOURCE", help="A local path or s3://bucket/key."),
    target: str = typer.Argument(..., metavar="TARGET", help="A local path or s3://bucket/key (a trailing / keeps the name)."),
    recursive: bool = typer.Option(False, "--recursive", help="Copy a folder or every key under a prefix."),
    content_type: str | None = typer.Option(None, "--content-type", help="Content-Type of uploaded objects."),
) -> None:
    """Copy files to, from or between buckets (PutObject, GetObject, CopyObject).

    Example: awsmon s3 cp ./logs s3://my-lab-bucket/logs/ --recursive
    """
    from awsmon.services.s3 import copy

    data = copy(app_ctx(ctx), source, target, recursive=recursive, content_type=content_type)
    renderer(ctx).render(data, rows_key="Results", columns=_RESULT_COLUMNS)


@app.command("ls")
def ls(
    ctx: typer.Context,
    url: str | None = typer.Argument(None, metavar="[s3://BUCKET[/PREFIX]]", help="What to list (default: the buckets)."),
    recursive: bool = typer.Option(False, "--recursive", help="Every key under the prefix (no PRE folders)."),
) -> None:
    """List buckets, or the objects and folders under a prefix (ListBuckets, ListObjectsV2).

    Example: awsmon s3 ls s3://my-lab-bucket/logs/
    """
    from awsmon.services.s3 import listing

    renderer(ctx).render(listing(app_ctx(ctx), url, recursive=recursive), rows_key="Items", columns=_LS_COLUMNS)


@app.command("rm")
def rm(
    ctx: typer.Context,
    url: str = typer.Argument(..., metavar="s3://BUCKET/KEY", help="The object (or prefix with --recursive)."),
    recursive: bool = typer.Option(False, "--recursive", help="Delete every key under the prefix."),
) -> None:
    """Delete objects (DeleteObject).

    Example: awsmon s3 rm s3://my-lab-bucket/logs/ --recursive
    """
    from awsmon.services.s3 import remove

    renderer(ctx).render(remove(app_ctx(ctx), url, recursive=recursive), rows_key="Results", columns=_RESULT_COLUMNS[:2])


service_command(app, "put-bucket-acl", "awsmon.services.s3:put_bucket_acl",
                "Set a bucket's ACL (PutBucketAcl); a public ACL is refused while BlockPublicAcls is on.\n\n"
                "Example: awsmon s3 put-bucket-acl --bucket my-lab-bucket --acl public-read",
                _BUCKET,
                ("acl", str | None, typer.Option(None, "--acl", help="private, public-read, public-read-write or authenticated-read.")),
                ("access_control_policy", str | None, typer.Option(None, "--access-control-policy", help="Grants JSON (or file://PATH).")))  # fmt: skip


service_command(app, "get-bucket-acl", "awsmon.services.s3:get_bucket_acl",
                "Show a bucket's ACL grants (GetBucketAcl).\n\n"
                "Example: awsmon s3 get-bucket-acl --bucket my-lab-bucket -o json",
                _BUCKET, rows_key="Grants",
                columns=[Column("Grantee", "Grantee.URI"), Column("ID", "Grantee.ID"), Column("Permission")])


service_command(app, "put-public-access-block", "awsmon.services.s3:put_public_access_block",
                "Set a bucket's Block Public Access settings (PutPublicAccessBlock).\n\n"
                "Example: awsmon s3 put-public-access-block --bucket my-lab-bucket --public-access-block-configuration BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false",
                _BUCKET,
                ("configuration", str, typer.Option(..., "--public-access-block-configuration", help="BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true (or JSON).")))  # fmt: skip


service_command(app, "get-public-access-block", "awsmon.services.s3:get_public_access_block",
                "Show a bucket's Block Public Access settings (GetPublicAccessBlock).\n\n"
                "Example: awsmon s3 get-public-access-block --bucket my-lab-bucket",
                _BUCKET)


service_command(app, "delete-public-access-block", "awsmon.services.s3:delete_public_access_block",
                "Remove a bucket's Block Public Access settings (DeletePublicAccessBlock).\n\n"
                "Example: awsmon s3 delete-public-access-block --bucket my-lab-bucket",
                _BUCKET)


service_command(app, "put-bucket-versioning", "awsmon.services.s3:put_bucket_versioning",
                "Turn versioning on or suspend it (PutBucketVersioning).\n\n"
                "Example: awsmon s3 put-bucket-versioning --bucket my-lab-bucket --versioning-configuration Status=Enabled",
                _BUCKET,
                ("configuration", str, typer.Option(..., "--versioning-configuration", help="Status=Enabled or Status=Suspended (or JSON).")))  # fmt: skip


service_command(app, "get-bucket-versioning", "awsmon.services.s3:get_bucket_versioning",
                "Show a bucket's versioning status (GetBucketVersioning); empty when never enabled.\n\n"
                "Example: awsmon s3 get-bucket-versioning --bucket my-lab-bucket",
                _BUCKET)


service_command(app, "put-bucket-policy", "awsmon.services.s3:put_bucket_policy",
                "Set a bucket policy (PutBucketPolicy); a public policy is refused while BlockPublicPolicy is on.\n\n"
                "Example: awsmon s3 put-bucket-policy --bucket my-lab-bucket --policy file://policy.json",
                _BUCKET,
                ("policy", str, typer.Option(..., "--policy", help="Policy JSON (or file://PATH).")))  # fmt: skip


service_command(app, "get-bucket-policy", "awsmon.services.s3:get_bucket_policy",
                "Show a bucket policy (GetBucketPolicy).\n\n"
                "Example: awsmon s3 get-bucket-policy --bucket my-lab-bucket",
                _BUCKET)


service_command(app, "put-bucket-metrics-configuration", "awsmon.services.s3:put_bucket_metrics_configuration",
                "Turn on AWS/S3 request metrics for a bucket or a prefix (PutBucketMetricsConfiguration).\n\n"
                "Example: awsmon s3 put-bucket-metrics-configuration --bucket my-lab-bucket --id EntireBucket",
                _BUCKET,
                ("config_id", str, typer.Option(..., "--id", help="Configuration id (the FilterId dimension).")),
                ("configuration", str | None, typer.Option(None, "--metrics-configuration", help='JSON {"Id": ..., "Filter": {"Prefix": ...}} (default: the whole bucket).')))  # fmt: skip
