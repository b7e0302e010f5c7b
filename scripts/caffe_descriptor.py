"""Regenerate cnncalc/importers/caffe.desc, the compiled descriptor of Caffe's caffe.proto.

The Caffe importer reads prototxt files through protobuf's text format. It needs caffe.proto's
message types, which it loads at run time from this FileDescriptorSet — not from a generated
``caffe_pb2.py``, whose generated code pins the protobuf runtime version it may run with.

    python scripts/caffe_descriptor.py            # needs protoc, or: pip install grpcio-tools

third_party/caffe/caffe.proto is BVLC Caffe's src/caffe/proto/caffe.proto at the commit in
third_party/caffe/VERSION (BSD 2-clause, third_party/caffe/LICENSE).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO = ROOT / "third_party" / "caffe" / "caffe.proto"
TARGET = ROOT / "cnncalc" / "importers" / "caffe.desc"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "caffe.desc"
        args = [f"-I{PROTO.parent}", f"--descriptor_set_out={out}", PROTO.name]
        if shutil.which("protoc"):
            subprocess.run(["protoc", *args], check=True)
        else:
            try:
                from grpc_tools import protoc
            except ImportError:
                print("needs protoc or the grpcio-tools package", file=sys.stderr)
                return 1
            if protoc.main(["protoc", *args]) != 0:
                return 1
        TARGET.write_bytes(out.read_bytes())
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
