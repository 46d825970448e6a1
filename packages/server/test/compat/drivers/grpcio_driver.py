"""A Python grpcio client for the compatibility tier.

Reads one call per line of stdin as JSON {"target", "method", "namespace", "request" (base64
protobuf), "stream"} and prints one JSON line {"code", "message", "responses" (base64)} per call.
Messages pass as raw bytes (no serializers), so no generated code is needed; status texts are
what grpcio decodes from the wire.
"""
import base64
import json
import sys

import grpc


def run(call):
    request = base64.b64decode(call["request"])
    metadata = [("containerd-namespace", call["namespace"])] if call.get("namespace") else []
    responses = []
    with grpc.insecure_channel(call["target"]) as channel:
        try:
            if call.get("stream"):
                invoke = channel.unary_stream(call["method"])
                for response in invoke(request, metadata=metadata, timeout=10):
                    responses.append(base64.b64encode(response).decode())
            else:
                invoke = channel.unary_unary(call["method"])
                responses.append(base64.b64encode(invoke(request, metadata=metadata, timeout=10)).decode())
            return {"code": 0, "message": "", "responses": responses}
        except grpc.RpcError as error:
            return {"code": error.code().value[0], "message": error.details() or "", "responses": responses}


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
