"""The S3 side of a deploy: where the bucket is, who we are, and the four
calls a deploy makes (read, put, delete, list).

The requests go through obstore (Rust's object_store): about a third of
boto3's client CPU per upload, and it releases the interpreter while a
request is in flight, so many threads upload at once. (Its asyncio API is
no faster here, and a request finishing while the interpreter exits can
abort the process.) Credentials, region and endpoint
follow boto3's conventions:

* keys from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN) when it has them;
* otherwise botocore's own resolution (AWS_PROFILE and ~/.aws/config,
  SSO, assumed roles, credential_process, instance metadata), asked again
  whenever a credential is about to expire;
* region from AWS_REGION, AWS_DEFAULT_REGION or the profile;
* endpoint from --endpoint-url, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from dumb_pypi.deploy.source import DeployError, safe_relpath

if TYPE_CHECKING:
    from obstore.store import S3Credential, S3Store

__all__ = ["PRIVATE_CACHE", "PRIVATE_TYPE", "Bucket", "Listed", "S3Url", "connect", "parse_s3_url"]

INSTALL_HINT = "pip install 'dumb-pypi[s3]'"
_S3_CODE = re.compile(r"<Code>([^<]*)</Code>")
_S3_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")
# How long a credential from botocore is used before botocore is asked again
# (it refreshes temporary credentials itself, ahead of their expiry).
_CREDENTIAL_REFRESH = timedelta(minutes=5)


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


class Listed(NamedTuple):
    """An object as a listing shows it."""

    size: int
    etag: str  # for a single-part upload, the MD5 of its bytes in hex


def _botocore_session() -> Any:
    try:
        import botocore.session
    except ImportError:
        raise DeployError(
            "no AWS keys in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), and reading AWS profiles"
            f" needs botocore: {INSTALL_HINT}, or set the keys"
        ) from None
    return botocore.session.Session()


def _profile_credentials(session: Any) -> Callable[[], S3Credential]:
    """An obstore credential provider backed by botocore's resolution chain."""
    import botocore.exceptions

    try:
        credentials = session.get_credentials()
    except botocore.exceptions.BotoCoreError as error:  # ProfileNotFound, an expired SSO token, ...
        raise DeployError(f"AWS credentials: {error}") from None
    if credentials is None:
        raise DeployError(
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
            " (see the AWS CLI's configuration docs)"
        )

    def provide() -> S3Credential:
        frozen = credentials.get_frozen_credentials()
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            "expires_at": datetime.now(timezone.utc) + _CREDENTIAL_REFRESH,
        }

    return provide


def _store(url: S3Url, endpoint_url: str | None) -> S3Store:
    try:
        from obstore.exceptions import BaseError
        from obstore.store import S3Store
    except ImportError:
        version = sys.version.split()[0]
        if sys.flags.isolated or sys.flags.no_site:  # Bazel's runnable: the client comes pinned, not installed
            raise DeployError(
                f"S3 deploys need obstore, which this Python ({sys.executable}, {version}) cannot import: its pinned"
                " wheels need CPython 3.11 or newer on Linux or macOS; point the Python toolchain at one"
            ) from None
        hint = ""
        if sys.version_info < (3, 11):
            hint = f"; its current releases need Python 3.11 or newer, and this is {version}"
        raise DeployError(f"S3 deploys need obstore: {INSTALL_HINT} (or pip install obstore){hint}") from None
    env = os.environ
    endpoint = endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    options: dict[str, Any] = {}
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        options["access_key_id"] = env["AWS_ACCESS_KEY_ID"]
        options["secret_access_key"] = env["AWS_SECRET_ACCESS_KEY"]
        if env.get("AWS_SESSION_TOKEN"):
            options["session_token"] = env["AWS_SESSION_TOKEN"]
    else:
        session = _botocore_session()
        options["credential_provider"] = _profile_credentials(session)
        region = region or session.get_config_variable("region")
    if endpoint:
        if "://" not in endpoint:
            raise DeployError(f"--endpoint-url {endpoint!r}: not a URL (expected e.g. https://s3.example.com)")
        options["endpoint"] = endpoint
    try:
        return S3Store(
            url.bucket,
            prefix=url.prefix.rstrip("/") or None,
            region=region or "us-east-1",
            client_options={"allow_http": bool(endpoint and endpoint.startswith("http://"))},
            retry_config={"max_retries": 5, "retry_timeout": timedelta(minutes=3)},
            **options,
        )
    except (BaseError, ValueError, TypeError) as error:  # obstore's configuration errors
        raise DeployError(f"{url}: cannot use this S3 configuration ({error})") from None


def _describe(error: Exception) -> str:
    """S3's own error code and message when the response carried them, else obstore's first paragraph."""
    text = str(error)
    code, message = _S3_CODE.search(text), _S3_MESSAGE.search(text)
    if code:
        return f"{code.group(1)}: {message.group(1) if message else ''}".strip()
    return " ".join(text.split("\n\n", 1)[0].split())  # the rest is debugging hints


class ConditionalWritesUnsupported(DeployError):
    """The store refuses If-None-Match on PUT (some S3-compatible stores)."""


# The deploy's own objects (its lock, its pending note): JSON, never cached, never part of the index.
PRIVATE_TYPE, PRIVATE_CACHE = "application/json", "no-store"
_PRIVATE = {"Content-Type": PRIVATE_TYPE, "Cache-Control": PRIVATE_CACHE}


class Bucket:
    """A prefix of a bucket; every failure names the object and the reason."""

    def __init__(self, store: Any, url: S3Url) -> None:
        import obstore
        from obstore.exceptions import BaseError

        self._obstore = obstore
        self._store = store
        self._errors: tuple[type[Exception], ...] = (BaseError, OSError, ValueError)
        self.url = url

    def read(self, relpath: str) -> bytes | None:
        """The object's bytes, or None when there is none."""
        try:
            return bytes(self._obstore.get(self._store, relpath).bytes())
        except FileNotFoundError as error:  # obstore's 404, which a missing bucket gives too
            if _S3_CODE.search(str(error)) and "NoSuchKey" not in str(error):
                raise DeployError(f"{self.url}: reading {relpath} failed ({_describe(error)})") from None
            return None
        except self._errors as error:
            raise DeployError(f"{self.url}: reading {relpath} failed ({_describe(error)})") from None

    def put(self, relpath: str, body: bytes, content_type: str, cache_control: str, sha256: str | None) -> None:
        attributes = {"Content-Type": content_type, "Cache-Control": cache_control}
        if sha256:
            attributes["sha256"] = sha256  # user metadata: x-amz-meta-sha256
        try:
            self._obstore.put(self._store, relpath, body, attributes=attributes, use_multipart=False)
        except self._errors as error:
            raise DeployError(f"{self.url}: uploading {relpath} failed ({_describe(error)})") from None

    def create(self, relpath: str, body: bytes) -> str | None:
        """Write `relpath` only if no such object exists (If-None-Match: *);
        its ETag, or None when there is one."""
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        try:
            return self._put_private(relpath, body, "create")
        except (AlreadyExistsError, PreconditionError):
            return None
        except self._errors as error:
            code = _S3_CODE.search(str(error))
            if (code and code.group(1) == "NotImplemented") or "501 Not Implemented" in str(error):
                raise ConditionalWritesUnsupported(f"{self.url}: the store does not do conditional writes"
                                                   f" ({_describe(error)})") from None
            raise DeployError(f"{self.url}: creating {relpath} failed ({_describe(error)})") from None

    def replace(self, relpath: str, body: bytes, etag: str) -> str | None:
        """Overwrite `relpath` only if its ETag is still `etag` (If-Match);
        the new ETag, or None when the object changed or is gone."""
        from obstore.exceptions import PreconditionError

        try:
            return self._put_private(relpath, body, {"e_tag": etag})
        except (PreconditionError, FileNotFoundError):
            return None
        except self._errors as error:
            raise DeployError(f"{self.url}: replacing {relpath} failed ({_describe(error)})") from None

    def _put_private(self, relpath: str, body: bytes, mode: Any) -> str:
        """A conditional PUT of one of the deploy's own objects; the new ETag."""
        return str(self._obstore.put(self._store, relpath, body, mode=mode, attributes=_PRIVATE,
                                     use_multipart=False)["e_tag"])

    def etag(self, relpath: str) -> str | None:
        """The object's ETag, or None when there is none."""
        try:
            return str(self._obstore.head(self._store, relpath)["e_tag"])
        except FileNotFoundError:
            return None
        except self._errors as error:
            raise DeployError(f"{self.url}: reading {relpath} failed ({_describe(error)})") from None

    def delete(self, relpaths: Sequence[str]) -> None:
        """Remove objects (absent ones are fine); DeleteObjects, 1000 keys a request."""
        try:
            self._obstore.delete(self._store, list(relpaths))
        except self._errors as error:
            raise DeployError(f"{self.url}: removing {len(relpaths)} object(s) failed ({_describe(error)})") from None

    def listing(self) -> dict[str, Listed]:
        """Every object under the prefix."""
        found: dict[str, Listed] = {}
        try:
            for chunk in self._obstore.list(self._store, chunk_size=1000):
                for meta in chunk:
                    found[meta["path"]] = Listed(meta["size"], (meta.get("e_tag") or "").strip('"'))
        except self._errors as error:
            raise DeployError(f"{self.url}: listing objects failed ({_describe(error)})") from None
        return found


def connect(url: S3Url, endpoint_url: str | None) -> Bucket:
    """The bucket prefix at `url`; raises DeployError before any request when S3 cannot be used."""
    return Bucket(_store(url, endpoint_url), url)
