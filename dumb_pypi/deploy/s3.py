"""Deploy to S3 or any S3-compatible store (boto3, an optional extra).

Uploads only what changed since the destination's manifest, in the order of
`plan.py`, with each object's Content-Type and Cache-Control from
`serve.policy`. Before the first upload it records every path it is about to
write in `.deploy-pending.json`; a later deploy treats those as its own, so
files of an interrupted deploy are cleaned up too, and nothing else under
the prefix is ever touched.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dumb_pypi.deploy.plan import PHASE_NAMES, Plan, make_plan
from dumb_pypi.deploy.source import MANIFEST, DeployError, Entry, Tree, parse_manifest, safe_relpath
from dumb_pypi.progress import Progress
from dumb_pypi.serve.policy import cache_control, content_type

__all__ = ["S3Url", "deploy_s3", "make_client", "parse_s3_url"]

PENDING = ".deploy-pending.json"


@dataclass(frozen=True)
class S3Url:
    bucket: str
    prefix: str  # "" or ending in "/"

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_s3_url(url: str) -> S3Url:
    rest = url[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise DeployError(f"DEST {url!r}: expected s3://BUCKET[/PREFIX]")
    prefix = prefix.strip("/")
    if prefix:
        safe_relpath(prefix, f"DEST {url!r} prefix")
    return S3Url(bucket, prefix + "/" if prefix else "")


def make_client(endpoint_url: str | None) -> Any:
    """A boto3 S3 client; credentials come from the usual AWS sources."""
    try:
        import boto3  # optional extra: only S3 deploys need it
        import botocore.config
    except ImportError:
        hint = ""
        if sys.flags.no_site or sys.flags.isolated:
            # e.g. a launcher that runs Python with -S or -I: installing boto3 will not help.
            hint = f"; this Python ({sys.executable}) runs without site-packages, so run it without -S/-I"
        raise DeployError(f"S3 deploys need boto3: pip install 'dumb-pypi[s3]' (or pip install boto3){hint}") from None
    config = botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"})
    try:
        return boto3.client("s3", endpoint_url=endpoint_url, config=config)
    except ValueError as error:  # e.g. an endpoint that is not a URL
        raise DeployError(f"--endpoint-url {endpoint_url!r}: {error}") from None


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', '?')}: {err.get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"


class _Bucket:
    """The few S3 calls a deploy makes, with errors that name the object."""

    def __init__(self, client: Any, url: S3Url) -> None:
        self.client = client
        self.url = url
        import botocore.exceptions

        self._errors: tuple[type[Exception], ...] = (
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        )

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(Bucket=self.url.bucket, **kwargs)
        except self._errors as error:
            raise DeployError(f"{self.url}: {what} failed ({_describe(error)})") from None

    def listing(self) -> dict[str, int]:
        present: dict[str, int] = {}
        token: dict[str, str] = {}
        while True:
            page = self._call("listing objects", self.client.list_objects_v2, Prefix=self.url.prefix, **token)
            for obj in page.get("Contents", []):
                present[obj["Key"][len(self.url.prefix):]] = int(obj["Size"])
            if not page.get("IsTruncated"):
                return present
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def read(self, relpath: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.url.bucket, Key=self.url.prefix + relpath)
        except self._errors as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            raise DeployError(f"{self.url}: reading {relpath} failed ({_describe(error)})") from None
        body: bytes = response["Body"].read()
        return body

    def put(self, relpath: str, body: bytes, ctype: str, cache: str, sha256: str | None = None) -> None:
        extra = {"Metadata": {"sha256": sha256}} if sha256 else {}
        self._call(
            f"uploading {relpath}",
            self.client.put_object,
            Key=self.url.prefix + relpath,
            Body=body,
            ContentType=ctype,
            CacheControl=cache,
            **extra,
        )

    def delete(self, relpaths: list[str]) -> None:
        for start in range(0, len(relpaths), 1000):  # DeleteObjects takes at most 1000 keys
            chunk = relpaths[start : start + 1000]
            response = self._call(
                f"removing {len(chunk)} stale object(s)",
                self.client.delete_objects,
                Delete={"Objects": [{"Key": self.url.prefix + p} for p in chunk], "Quiet": True},
            )
            if response.get("Errors"):
                first = response["Errors"][0]
                raise DeployError(
                    f"{self.url}: removing {first.get('Key')} failed ({first.get('Code')}: {first.get('Message')})"
                )


def _deployed(bucket: _Bucket) -> tuple[dict[str, Entry], set[str]]:
    """What the destination's manifest says is in place, and every path known to be ours."""
    deployed: dict[str, Entry] = {}
    data = bucket.read(MANIFEST)
    if data is not None:
        try:
            deployed, _ = parse_manifest(data, f"{bucket.url}{MANIFEST}")
        except DeployError:
            deployed = {}  # unreadable: upload everything again, it converges
    known = set(deployed)
    pending = bucket.read(PENDING)
    if pending is not None:
        try:
            paths = json.loads(pending.decode("utf-8")).get("files", [])
            known.update(p for p in paths if isinstance(p, str))
        except (UnicodeDecodeError, ValueError, AttributeError):
            pass
    return deployed, known


def _upload_all(bucket: _Bucket, tree: Tree, paths: Iterable[str], jobs: int) -> int:
    def one(relpath: str) -> int:
        body = tree.path(relpath).read_bytes()
        bucket.put(relpath, body, content_type(relpath), cache_control(relpath), tree.files[relpath].sha256)
        return len(body)

    paths = list(paths)
    progress = Progress("uploading", len(paths))
    sent = 0
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for size in pool.map(one, paths):  # counted here, in the main thread
                sent += size
                progress.count()
    finally:
        progress.close()
    return sent


def deploy_s3(
    tree: Tree,
    url: S3Url,
    client: Any,
    jobs: int,
    dry_run: bool,
    log: Callable[[str], None],
) -> str:
    bucket = _Bucket(client, url)
    present = bucket.listing()
    deployed, known = _deployed(bucket)
    plan: Plan = make_plan(tree.files, deployed, present, known)
    if dry_run:
        for name, phase in zip(PHASE_NAMES, plan.phases):
            for relpath in phase:
                log(f"would upload ({name}): {relpath}")
        for relpath in plan.stale:
            log(f"would remove: {relpath}")
        return f"deploy (dry run): {url}: would upload {plan.uploads}, keep {len(plan.unchanged)}, remove {len(plan.stale)}"
    manifest_same = bucket.read(MANIFEST) == tree.manifest_bytes
    if not plan.uploads and not plan.stale and manifest_same:
        if PENDING in present:  # the last deploy stopped just before clearing its note
            bucket.delete([PENDING])
        return f"deploy: {url} already serves {tree.root_digest}; uploaded 0 objects"
    # Remember what this deploy may leave behind, before writing any of it.
    pending = sorted(known | set(tree.files))
    bucket.put(PENDING, json.dumps({"files": pending}).encode(), "application/json", "no-store")
    sent = 0
    for name, phase in zip(PHASE_NAMES, plan.phases):
        if phase:
            sent += _upload_all(bucket, tree, phase, jobs)
            log(f"deploy: uploaded {len(phase)} {name}")
    if plan.stale:
        bucket.delete(list(plan.stale))
        log(f"deploy: removed {len(plan.stale)} stale object(s)")
    bucket.put(MANIFEST, tree.manifest_bytes, content_type(MANIFEST), cache_control(MANIFEST))
    bucket.delete([PENDING])
    return (
        f"deploy: {url}: uploaded {plan.uploads} of {len(tree.files)} objects ({sent} bytes),"
        f" unchanged {len(plan.unchanged)}, removed {len(plan.stale)} stale; now serves {tree.root_digest}"
    )
