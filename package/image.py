#!/usr/bin/env python3
"""Writes the function's package: an OCI image per architecture, from
scratch, and an index of them, as one OCI archive (package/build runs it).

Each image holds two layers: the static binary (`/function-connection-details`,
root's, mode 0555), then `/package.yaml`, the package's YAML stream, in a
layer of its own annotated `io.crossplane.xpkg: base` and labelled in the
config as `crossplane xpkg build` labels it (crossplane-runtime
pkg/xpkg/build.go and layer.go): Crossplane's package manager reads that
layer alone instead of flattening the image. It runs as 65532:65532 with the
entrypoint `serve` and exposes 9443.

Why not buildah: it cannot annotate a layer descriptor, and the images are
two files each. Everything that could vary between two builds of one commit
is fixed here (file times, owners, gzip header, JSON key order), so the
digests are the same on every run.
"""

import argparse
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

BINARY = "function-connection-details"
STREAM_FILE = "package.yaml"
USER = "65532:65532"
PORT = "9443/tcp"
XPKG_ANNOTATION = "io.crossplane.xpkg"
XPKG_BASE = "base"

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class Blobs:
    """The content-addressed blobs of an OCI layout, by digest."""

    def __init__(self):
        self.by_digest = {}

    def add(self, media_type, data, **extra):
        """Stores `data` and returns its descriptor (with `extra` fields)."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.by_digest[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    def add_json(self, media_type, document, **extra):
        return self.add(media_type, canonical_json(document), **extra)


def canonical_json(document):
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def package_stream(meta, crds):
    """The YAML stream `crossplane xpkg build` writes to package.yaml: the
    package metadata, then each object, every document opened by `---`."""
    documents = [meta.read_text()] + [crd.read_text() for crd in crds]
    return "".join("---\n" + text.rstrip("\n") + "\n" for text in documents).encode()


def tar_layer(files):
    """An uncompressed layer of `files` (name, bytes, mode), owned by root,
    dated 1970, and its gzip-compressed blob, also undated."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in files:
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode, entry.mtime = len(data), mode, 0
            tar.addfile(entry, io.BytesIO(data))
    uncompressed = raw.getvalue()
    return uncompressed, gzip.compress(uncompressed, compresslevel=9, mtime=0)


def image(blobs, architecture, binary, stream, labels, created):
    """One platform's image; returns its manifest's descriptor."""
    runtime_tar, runtime_blob = tar_layer([(BINARY, binary, 0o555)])
    package_tar, package_blob = tar_layer([(STREAM_FILE, stream, 0o644)])
    runtime_layer = blobs.add(LAYER, runtime_blob)
    package_layer = blobs.add(LAYER, package_blob, annotations={XPKG_ANNOTATION: XPKG_BASE})
    config = {
        "created": created,
        "architecture": architecture,
        "os": "linux",
        "config": {
            "User": USER,
            "Entrypoint": ["/" + BINARY, "serve"],
            "ExposedPorts": {PORT: {}},
            # crossplane xpkg build records the base layer in a label too,
            # keyed by its digest; `crossplane xpkg push` turns such labels
            # back into layer annotations.
            "Labels": {**labels, f"{XPKG_ANNOTATION}:{package_layer['digest']}": XPKG_BASE},
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id(runtime_tar), diff_id(package_tar)]},
        "history": [
            {"created": created, "created_by": f"package/build: /{BINARY}, static, its machine code built in"},
            {"created": created, "created_by": f"package/build: /{STREAM_FILE}"},
        ],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": blobs.add_json(CONFIG, config),
        "layers": [runtime_layer, package_layer],
    }
    return blobs.add_json(MANIFEST, manifest, platform={"architecture": architecture, "os": "linux"})


def diff_id(uncompressed):
    return "sha256:" + hashlib.sha256(uncompressed).hexdigest()


def write_archive(path, blobs, index, tag):
    """The OCI layout as a tar: index.json names one image index by `tag`
    (skopeo reads a layout whose index.json lists two images only by
    position), blobs in digest order, every entry undated and root's."""
    top = {
        "schemaVersion": 2,
        "manifests": [{**index, "annotations": {"org.opencontainers.image.ref.name": tag}}],
    }
    files = [("oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"})), ("index.json", canonical_json(top))]
    files += [(f"blobs/sha256/{digest.removeprefix('sha256:')}", data) for digest, data in sorted(blobs.by_digest.items())]
    with tarfile.open(path, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for directory in ("blobs", "blobs/sha256"):
            entry = tarfile.TarInfo(directory)
            entry.type, entry.mode, entry.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(entry)
        for name, data in files:
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode, entry.mtime = len(data), 0o644, 0
            tar.addfile(entry, io.BytesIO(data))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", action="append", required=True, metavar="ARCH=PATH",
                        help="the static binary for an OCI architecture (amd64, arm64); repeatable")
    parser.add_argument("--meta", type=Path, required=True, help="crossplane.yaml")
    parser.add_argument("--crd", type=Path, action="append", default=[], help="a CRD the package installs")
    parser.add_argument("--version", required=True, help="the package's version, its tag in the archive")
    parser.add_argument("--revision", required=True, help="the source's commit")
    parser.add_argument("--source", required=True, help="the source repository's URL")
    parser.add_argument("--created", required=True, help="the images' creation time (RFC 3339)")
    parser.add_argument("--stream", type=Path, required=True, help="write package.yaml here too")
    parser.add_argument("--output", type=Path, required=True, help="the OCI archive to write")
    args = parser.parse_args()

    stream = package_stream(args.meta, args.crd)
    args.stream.write_bytes(stream)
    labels = {
        "org.opencontainers.image.source": args.source,
        "org.opencontainers.image.version": args.version,
        "org.opencontainers.image.revision": args.revision,
        "org.opencontainers.image.title": BINARY,
        "org.opencontainers.image.licenses": "Apache-2.0",
    }
    blobs = Blobs()
    manifests = []
    for pair in args.binary:
        architecture, _, binary = pair.partition("=")
        manifests.append(image(blobs, architecture, Path(binary).read_bytes(), stream, labels, args.created))
    index = blobs.add_json(INDEX, {"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests})
    write_archive(args.output, blobs, index, args.version)
    print(f"{args.output}: index {index['digest']}")
    for manifest in manifests:
        print(f"  linux/{manifest['platform']['architecture']}: {manifest['digest']}")


if __name__ == "__main__":
    main()
