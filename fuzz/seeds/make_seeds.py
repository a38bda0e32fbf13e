"""Writes the seed corpus of every fuzz target from the examples:
   python3 fuzz/seeds/make_seeds.py   (needs protobuf and PyYAML, from
   crossplane-function-sdk-python and pyyaml). Seeds are named by content,
   as libFuzzer names corpus files."""
import glob, hashlib, json, os, pathlib, re
import yaml
from google.protobuf import json_format
from crossplane.function.proto.v1 import run_function_pb2

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)

def inputs():
    for path in sorted(glob.glob(str(ROOT / "examples/*/composition.yaml"))):
        for doc in yaml.safe_load_all(open(path)):
            for step in (doc or {}).get("spec", {}).get("pipeline", []):
                if step.get("input", {}).get("apiVersion", "").startswith("connection.fn"):
                    yield step["input"]

for path in sorted(glob.glob(str(ROOT / "examples/requests/*.json"))):
    request = json_format.Parse(open(path).read(), run_function_pb2.RunFunctionRequest())
    put("run_function", request.SerializeToString())
    # Every Struct the request carries: the input and each observed object.
    structs = [request.input] if request.HasField("input") else []
    structs += [request.observed.composite.resource] + [r.resource for r in request.observed.resources.values()]
    for struct in structs:
        put("struct_json", struct.SerializeToString())

paths = set()
for step in inputs():
    put("input", json.dumps(step))
    for text in re.findall(r'"(?:fromFieldPath|path)": "([^"]+)"', json.dumps(step)):
        paths.add(text)
    for derived in step.get("derived", []) or []:
        keys = [d.get("name") for r in step.get("resources", []) for d in r.get("connectionDetails", [])]
        put("derive", "\n".join([derived["template"].replace("\n", " ")] + [k for k in keys if k]))
paths |= {"spec.ports[0].port", "metadata.annotations[crossplane.io/external-name]", 'data["tls.crt"]',
          "status.atProvider['a.b']", "a[0][1].b"}
for path in sorted(paths):
    put("field_path", path)

order = ["xr.yaml", "composition.yaml", "observed.yaml", "secrets.yaml", "required.yaml", "xrd.yaml", "claim.yaml"]
for folder in sorted(glob.glob(str(ROOT / "examples/*/"))):
    if not os.path.exists(os.path.join(folder, "xr.yaml")):
        continue
    files = [open(os.path.join(folder, name), "rb").read() if os.path.exists(os.path.join(folder, name)) else b""
             for name in order]
    for format in range(3):
        put("render", bytes([format]) + b"\xff".join(files))
