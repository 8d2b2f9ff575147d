#!/usr/bin/env python3
"""Promote an image from one environment's registry to others by digest, never rebuilding it.

    python3 promote.py my-service:v1.4.2                   # dev -> staging and prod
    python3 promote.py my-service:v1.4.2 --to staging      # dev -> staging only
    python3 promote.py my-service:v1.4.2 --tls-verify=false  # a service on plain HTTP

Run it in this program's directory with the stack selected (it reads `pulumi stack output`).
The tag in the source registry is resolved to its digest once; every copy is made from
`<dev endpoint>/<repo>@sha256:...`, so what lands in staging and prod is byte-for-byte what was
tested in dev, whatever happens to the dev tag meanwhile. The destination keeps the version tag
(never `latest`). Each registry is accessed with its own credential (the stack's
`dockerConfigJson` outputs, written to private temporary auth files).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ENVIRONMENTS = ("dev", "staging", "prod")


def stack_output(name: str) -> dict[str, str]:
    result = subprocess.run(
        ["pulumi", "stack", "output", name, "--json", "--show-secrets"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"promote: `pulumi stack output {name}` failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout)


def skopeo(*args: str) -> str:
    result = subprocess.run(["skopeo", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"promote: skopeo {args[0]} failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


def write_authfile(directory: Path, env: str, document: str) -> Path:
    path = directory / f"{env}.json"
    path.touch(mode=0o600)
    path.write_text(document)
    return path


def digest_of(reference: str, authfile: Path, tls_verify: str) -> str:
    return skopeo(
        "inspect", f"--tls-verify={tls_verify}", "--authfile", str(authfile),
        "--format", "{{.Digest}}", f"docker://{reference}",
    )  # fmt: skip


def promote(image: str, source: str, targets: list[str], tls_verify: str) -> str:
    repository, sep, tag = image.rpartition(":")
    if not sep or not repository or "/" in tag or "@" in image:
        sys.exit(f"promote: {image!r} is not REPOSITORY:TAG (for example my-service:v1.4.2)")
    if tag == "latest":
        sys.exit("promote: promote a version tag, not `latest`")
    endpoints, authfiles = stack_output("endpoints"), stack_output("authfiles")

    with tempfile.TemporaryDirectory(prefix="promote-") as scratch:
        auth = {env: write_authfile(Path(scratch), env, authfiles[env]) for env in endpoints}
        digest = digest_of(f"{endpoints[source]}/{image}", auth[source], tls_verify)
        pinned = f"{endpoints[source]}/{repository}@{digest}"
        print(f"{source}: {endpoints[source]}/{image} is {digest}")
        for env in targets:
            destination = f"{endpoints[env]}/{repository}:{tag}"
            skopeo(
                "copy", "--all", "--preserve-digests",
                f"--src-tls-verify={tls_verify}", "--src-authfile", str(auth[source]),
                f"--dest-tls-verify={tls_verify}", "--dest-authfile", str(auth[env]),
                f"docker://{pinned}", f"docker://{destination}",
            )  # fmt: skip
            copied = digest_of(destination, auth[env], tls_verify)
            if copied != digest:
                sys.exit(f"promote: {destination} is {copied}, expected {digest}")
            print(f"{env}: {destination} is {copied}")
    return digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("image", help="REPOSITORY:TAG in the source registry, e.g. app:v1.4.2")
    parser.add_argument("--from", dest="source", default="dev", choices=ENVIRONMENTS)
    parser.add_argument("--to", nargs="+", default=["staging", "prod"], choices=ENVIRONMENTS)
    parser.add_argument(
        "--tls-verify",
        default="true",
        choices=["true", "false"],
        help="false for a registry service on plain HTTP or with a self-signed certificate",
    )
    args = parser.parse_args(argv)
    if args.source in args.to:
        parser.error(f"--to must not include the source environment {args.source!r}")
    promote(args.image, args.source, args.to, args.tls_verify)
    return 0


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(main())
