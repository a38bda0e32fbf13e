"""The package package/build wrote, proven by running it.

The archive is read with skopeo, each image unpacked with umoci and the
amd64 one started with runc, as Kubernetes would start it: its entrypoint,
its user, a read-only root filesystem, no capabilities, TLS_SERVER_CERTS_DIR
holding certificates made here. The Python SDK's generated client
(crossplane-function-sdk-python) then calls RunFunction over mTLS with every
request under examples/requests/ and must get what the image's binary's
`run` prints. The arm64 binary answers the same requests under
qemu-aarch64-static. Needs root (runc); package/test runs this.
"""

import gzip
import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
from pathlib import Path

import grpc
from crossplane.function.proto.v1 import run_function_pb2, run_function_pb2_grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc

from xpkg_lint import lint_function_package

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "target/package"
ARCHIVE = PACKAGE / "function-connection-details.xpkg"
BINARY = "function-connection-details"
REQUESTS = sorted((ROOT / "examples/requests").glob("*.json"))
ARCHITECTURES = {"amd64": 62, "arm64": 183}  # and each one's ELF machine
RUN_FUNCTION = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction"
CERTS_IN_IMAGE = "/tls/server"
STARTUP = {}  # how long each start took to SERVING, printed at the end


def run(*command, stdin=None, check=True):
    done = subprocess.run([str(part) for part in command], input=stdin, capture_output=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} exited {done.returncode}: {done.stderr.decode()}")
    return done


def json_of(*command):
    return json.loads(run(*command).stdout)


def request_bytes(path):
    return json_format.Parse(path.read_text(), run_function_pb2.RunFunctionRequest()).SerializeToString()


def setUpModule():
    global WORK, LAYOUT, BUILT
    if not ARCHIVE.exists():
        raise AssertionError(f"{ARCHIVE} is missing: run package/build first (package/test does)")
    WORK = Path(tempfile.mkdtemp(prefix="fcd-package-test-"))
    LAYOUT = WORK / "layout"
    # A copy, as package/build wrote it: one test builds the package again.
    BUILT = WORK / ARCHIVE.name
    shutil.copyfile(ARCHIVE, BUILT)
    for arch in ARCHITECTURES:
        run("skopeo", "copy", "--quiet", "--override-arch", arch, f"oci-archive:{BUILT}", f"oci:{LAYOUT}:{arch}")
        run("umoci", "unpack", "--image", f"{LAYOUT}:{arch}", WORK / f"bundle-{arch}")


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)
    for start, seconds in STARTUP.items():
        print(f"startup to SERVING, {start}: {seconds * 1000:.1f} ms", file=sys.stderr)


def rootfs(arch):
    return WORK / f"bundle-{arch}" / "rootfs"


def manifest(arch):
    """The platform's manifest as the archive holds it, and its digest."""
    tagged = json.loads((LAYOUT / "index.json").read_text())["manifests"]
    (descriptor,) = [m for m in tagged if m["annotations"]["org.opencontainers.image.ref.name"] == arch]
    return json.loads(blob(descriptor["digest"])), descriptor["digest"]


def blob(digest):
    return (LAYOUT / "blobs/sha256" / digest.removeprefix("sha256:")).read_bytes()


def layer_files(digest):
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(digest)))) as tar:
        return {member.name: (member, tar.extractfile(member).read() if member.isfile() else None) for member in tar}


class Archive(unittest.TestCase):
    def test_the_index_holds_an_image_for_linux_amd64_and_one_for_linux_arm64(self):
        index = json_of("skopeo", "inspect", "--raw", f"oci-archive:{BUILT}")
        self.assertEqual(index["mediaType"], "application/vnd.oci.image.index.v1+json")
        platforms = sorted((m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"])
        self.assertEqual(platforms, [("linux", "amd64"), ("linux", "arm64")])
        for arch in ARCHITECTURES:
            self.assertIn(manifest(arch)[1], [m["digest"] for m in index["manifests"]], arch)

    def test_each_image_runs_serve_as_65532_exposing_9443_with_its_source_labels(self):
        revision = run("git", "-C", ROOT, "rev-parse", "HEAD").stdout.decode().strip()
        for arch in ARCHITECTURES:
            with self.subTest(arch):
                config = json_of("skopeo", "inspect", "--config", "--override-arch", arch, f"oci-archive:{BUILT}")
                self.assertEqual((config["os"], config["architecture"]), ("linux", arch))
                self.assertEqual(config["config"]["User"], "65532:65532")
                self.assertEqual(config["config"]["Entrypoint"], [f"/{BINARY}", "serve"])
                self.assertEqual(config["config"]["ExposedPorts"], {"9443/tcp": {}})
                labels = config["config"]["Labels"]
                self.assertRegex(labels["org.opencontainers.image.source"], r"^https://github\.com/")
                self.assertRegex(labels["org.opencontainers.image.version"], r"^v\d+\.\d+\.\d+")
                self.assertIn(labels["org.opencontainers.image.revision"], (revision, revision + "-dirty"))

    def test_package_yaml_is_alone_in_the_layer_crossplane_reads(self):
        stream = (PACKAGE / "package.yaml").read_bytes()
        for arch in ARCHITECTURES:
            with self.subTest(arch):
                image, _ = manifest(arch)
                config = json.loads(blob(image["config"]["digest"]))
                annotated = [layer for layer in image["layers"] if layer.get("annotations")]
                self.assertEqual([layer["annotations"] for layer in annotated], [{"io.crossplane.xpkg": "base"}])
                base = annotated[0]["digest"]
                # crossplane xpkg build's label, from which xpkg push annotates.
                self.assertEqual(config["config"]["Labels"][f"io.crossplane.xpkg:{base}"], "base")
                files = layer_files(base)
                self.assertEqual(list(files), ["package.yaml"])
                self.assertEqual(files["package.yaml"][1], stream)

    def test_each_image_holds_the_binary_and_package_yaml_and_nothing_else(self):
        for arch in ARCHITECTURES:
            with self.subTest(arch):
                found = {
                    str(path.relative_to(rootfs(arch))): (path.stat().st_mode & 0o7777, path.stat().st_uid)
                    for path in rootfs(arch).rglob("*")
                }
                self.assertEqual(found, {BINARY: (0o555, 0), "package.yaml": (0o644, 0)})

    def test_the_binaries_are_static_for_their_architecture(self):
        for arch, machine in ARCHITECTURES.items():
            with self.subTest(arch):
                elf = (rootfs(arch) / BINARY).read_bytes()
                self.assertEqual(elf[:4], b"\x7fELF")
                self.assertEqual(struct.unpack_from("<H", elf, 18)[0], machine)
                self.assertNotIn(PT_INTERP, program_header_types(elf), "asks for a dynamic loader")

    def test_package_yaml_passes_crossplane_xpkg_builds_lint(self):
        stream = (rootfs("amd64") / "package.yaml").read_text()
        self.assertTrue(stream.startswith("---\n"))
        objects = lint_function_package(stream)
        self.assertEqual([o["kind"] for o in objects], ["Function", "CustomResourceDefinition"])
        self.assertEqual(objects[1]["metadata"]["name"], "connectiondetails.connection.fn.crossplane.io")

    def test_building_the_commit_again_writes_the_same_digests(self):
        run(ROOT / "package/build")
        self.assertEqual(index_json(ARCHIVE), index_json(BUILT))


PT_INTERP = 3


def program_header_types(elf):
    """The p_type of each program header of a 64-bit little-endian ELF."""
    offset, size, count = struct.unpack_from("<Q", elf, 32)[0], *struct.unpack_from("<HH", elf, 54)
    return [struct.unpack_from("<I", elf, offset + i * size)[0] for i in range(count)]


def index_json(archive):
    with tarfile.open(archive) as tar:
        return tar.extractfile("index.json").read()


class Certificates:
    """A CA, a server certificate for localhost and 127.0.0.1 and a client
    certificate, made with the openssl command line; readable by anyone, as
    a Kubernetes Secret volume mounts them."""

    def __init__(self, folder):
        self.folder = folder
        folder.mkdir(mode=0o755)
        def openssl(*args):
            run("openssl", *args)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
                "-keyout", folder / "ca.key", "-out", folder / "ca.crt")
        extensions = {"tls": "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
                      "client": "extendedKeyUsage=clientAuth\n"}
        for name, extension in extensions.items():
            (folder / f"{name}.ext").write_text(extension)
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                    "-keyout", folder / f"{name}.key", "-out", folder / f"{name}.csr")
            openssl("x509", "-req", "-in", folder / f"{name}.csr", "-CA", folder / "ca.crt",
                    "-CAkey", folder / "ca.key", "-CAcreateserial", "-days", "1",
                    "-extfile", folder / f"{name}.ext", "-out", folder / f"{name}.crt")
        for path in folder.iterdir():
            path.chmod(0o644)

    def channel(self, address, with_client_certificate=True):
        read = lambda name: (self.folder / name).read_bytes()  # noqa: E731
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read("ca.crt"),
            private_key=read("client.key") if with_client_certificate else None,
            certificate_chain=read("client.crt") if with_client_certificate else None,
        )
        # Retried every 10 ms while the server starts, not after gRPC's
        # default backoff of a second, which the startup figures would show.
        backoff = [("grpc.initial_reconnect_backoff_ms", 10), ("grpc.min_reconnect_backoff_ms", 10),
                   ("grpc.max_reconnect_backoff_ms", 10)]
        return grpc.secure_channel(address, credentials, options=backoff)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Container:
    """The amd64 image's entrypoint under runc: the unpacked bundle's own
    process (user, entrypoint) with the root filesystem read-only, every
    capability dropped, the certificates mounted where Crossplane mounts
    them, and the host's network namespace so the test reaches it on
    loopback."""

    def __init__(self, name, certificates, user=None):
        self.name = f"fcd-{name}-{os.getpid()}"
        self.bundle = WORK / f"bundle-{name}"
        shutil.copytree(WORK / "bundle-amd64", self.bundle, symlinks=True)
        self.address = f"127.0.0.1:{free_port()}"
        config_path = self.bundle / "config.json"
        config = json.loads(config_path.read_text())
        self.user = config["process"]["user"] if user is None else user
        config["root"]["readonly"] = True
        process = config["process"]
        process.update(terminal=False, user=self.user)
        process["args"] += ["--address", self.address, "--metrics-address", f"127.0.0.1:{free_port()}"]
        process["env"].append(f"TLS_SERVER_CERTS_DIR={CERTS_IN_IMAGE}")
        process["capabilities"] = {kind: [] for kind in process["capabilities"]}
        config["mounts"].append({"destination": CERTS_IN_IMAGE, "type": "bind", "source": str(certificates.folder),
                                 "options": ["rbind", "ro"]})
        config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"] if ns["type"] != "network"]
        config_path.write_text(json.dumps(config))
        self.log_path = WORK / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(["runc", "run", "--bundle", str(self.bundle), self.name],
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def wait_until_serving(self, channel):
        return seconds_to_serving(channel, self.started, self.process, self.output)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        run("runc", "kill", self.name, "TERM", check=False)
        try:
            self.process.wait(timeout=30)
        finally:
            run("runc", "delete", "--force", self.name, check=False)
            self.log.close()


def seconds_to_serving(channel, started, process, output):
    """Polls the health service until it answers SERVING; the seconds since
    `started`."""
    health = health_pb2_grpc.HealthStub(channel)
    while time.monotonic() - started < 20:
        if process.poll() is not None:
            raise AssertionError(f"the server exited {process.returncode}: {output()}")
        try:
            status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=0.5).status
            if status == health_pb2.HealthCheckResponse.SERVING:
                return time.monotonic() - started
        except grpc.RpcError:
            time.sleep(0.002)
    raise AssertionError(f"not SERVING after 20 s: {output()}")


class Serve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("runc needs root to start the image; run package/test as root")
        cls.certificates = Certificates(WORK / "certs")
        cls.container = Container("serve", cls.certificates)
        cls.channel = cls.certificates.channel(cls.container.address)
        STARTUP["runc container as 65532:65532"] = cls.container.wait_until_serving(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.container.stop()

    def test_the_container_runs_as_the_image_user(self):
        self.assertEqual((self.container.user["uid"], self.container.user["gid"]), (65532, 65532))

    def test_health_is_serving_for_the_server_and_the_function_service(self):
        health = health_pb2_grpc.HealthStub(self.channel)
        for service in ("", "apiextensions.fn.proto.v1.FunctionRunnerService"):
            status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
            self.assertEqual(status, health_pb2.HealthCheckResponse.SERVING, service)

    def test_every_request_gets_what_run_prints(self):
        client = run_function_pb2_grpc.FunctionRunnerServiceStub(self.channel)
        raw = self.channel.unary_unary(RUN_FUNCTION)  # bytes in, bytes out
        for path in REQUESTS:
            with self.subTest(path.name):
                request = request_bytes(path)
                expected = run(rootfs("amd64") / BINARY, "run", "--format", "proto", stdin=request).stdout
                response = client.RunFunction(run_function_pb2.RunFunctionRequest.FromString(request), timeout=10)
                self.assertEqual(response, run_function_pb2.RunFunctionResponse.FromString(expected))
                self.assertEqual(raw(request, timeout=10), expected)

    def test_a_client_without_a_certificate_is_refused(self):
        with self.certificates.channel(self.container.address, with_client_certificate=False) as channel:
            client = run_function_pb2_grpc.FunctionRunnerServiceStub(channel)
            with self.assertRaises(grpc.RpcError) as refused:
                client.RunFunction(run_function_pb2.RunFunctionRequest(), timeout=5)
            self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAVAILABLE)

    def test_it_serves_as_crossplanes_default_user_too(self):
        """Crossplane runs a function's pod as 2000:2000 unless a
        DeploymentRuntimeConfig says otherwise: nothing in the image may
        depend on being 65532."""
        container = Container("uid2000", self.certificates, user={"uid": 2000, "gid": 2000})
        try:
            with self.certificates.channel(container.address) as channel:
                STARTUP["runc container as 2000:2000"] = container.wait_until_serving(channel)
                request = request_bytes(REQUESTS[0])
                expected = run(rootfs("amd64") / BINARY, "run", "--format", "proto", stdin=request).stdout
                self.assertEqual(channel.unary_unary(RUN_FUNCTION)(request, timeout=10), expected)
        finally:
            container.stop()


class Binaries(unittest.TestCase):
    def test_the_image_binary_cannot_compile_so_serve_never_does(self):
        done = run(rootfs("amd64") / BINARY, "run", "--component", rootfs("amd64") / "package.yaml",
                   "--input", REQUESTS[0], check=False)
        self.assertEqual(done.returncode, 2)
        self.assertIn("this build has no compiler", done.stderr.decode())

    def test_the_arm64_binary_answers_as_the_amd64_one_under_qemu(self):
        for path in REQUESTS:
            with self.subTest(path.name):
                request = request_bytes(path)
                amd64 = run(rootfs("amd64") / BINARY, "run", "--format", "proto", stdin=request).stdout
                arm64 = run("qemu-aarch64-static", rootfs("arm64") / BINARY, "run", "--format", "proto",
                            stdin=request).stdout
                self.assertTrue(amd64)
                self.assertEqual(arm64, amd64)

    def test_the_image_binary_alone_starts_serving(self):
        """The binary alone, outside runc: its own start to SERVING."""
        certificates = Certificates(WORK / "certs-direct")
        address = f"127.0.0.1:{free_port()}"
        log = WORK / "direct.log"
        started = time.monotonic()
        with open(log, "wb") as output:
            server = subprocess.Popen(
                [rootfs("amd64") / BINARY, "serve", "--address", address, "--metrics-address", ""],
                env={"TLS_SERVER_CERTS_DIR": str(certificates.folder)}, stdout=output, stderr=subprocess.STDOUT)
        try:
            with certificates.channel(address) as channel:
                STARTUP["the binary alone"] = seconds_to_serving(channel, started, server, log.read_text)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    unittest.main()
