"""§6 framing shared by app_client.py and app_server.py,
written the way the lab's Python code does it: a 2-byte big-endian header
length, a JSON header, then the content.
"""

import json
import struct
import sys

REQUIRED_HEADERS = ("byteorder", "content-length", "content-type", "content-encoding")


def json_encode(obj, encoding):
    return json.dumps(obj, ensure_ascii=False).encode(encoding)


def create_message(content_bytes, content_type, content_encoding):
    jsonheader = {
        "byteorder": sys.byteorder,
        "content-type": content_type,
        "content-encoding": content_encoding,
        "content-length": len(content_bytes),
    }
    jsonheader_bytes = json_encode(jsonheader, "utf-8")
    message_hdr = struct.pack(">H", len(jsonheader_bytes))
    return message_hdr + jsonheader_bytes + content_bytes


def decode_header(header_bytes):
    """The JSON header as a dict; ValueError if a required key is missing."""
    header = json.loads(header_bytes.decode("utf-8"))
    for key in REQUIRED_HEADERS:
        if key not in header:
            raise ValueError(f"missing required header '{key}'")
    return header
