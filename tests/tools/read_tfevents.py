#!/usr/bin/env python3
"""Independent reader of TensorBoard event files (tfevents), for the tests.

The tests use it to check event files written by DataFlex's C++ summary writer.
It deliberately shares nothing with that writer: the TFRecord framing, the
CRC-32C (Castagnoli) checksum and the protobuf wire format are all decoded here
by hand with the Python standard library only (no TensorFlow, no protobuf), so
a bug in the writer cannot be mirrored by the reader.

Usage: read_tfevents.py FILE_OR_DIR [...]    (or: read_tfevents.py --self-test)
Prints one JSON object per line for each scalar value:
  {"file": ..., "step": int, "wall_time": float, "tag": str, "value": float}
and for each event that carries a file_version:
  {"file": ..., "file_version": "..."}
Any CRC mismatch, truncated record or malformed protobuf: one line naming the
file and byte offset on stderr, exit status 1.
"""
import json
import os
import struct
import sys


def _crc32c_of_byte(crc):
    for _ in range(8):
        crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc


CRC32C_TABLE = [_crc32c_of_byte(byte) for byte in range(256)]


def crc32c(data):
    crc = 0xFFFFFFFF
    table = CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class DecodeError(Exception):
    def __init__(self, offset, message):
        super().__init__(message)
        self.offset = offset


def read_records(blob):
    """Yields (offset of the record's data in blob, data) for each TFRecord."""
    pos = 0
    while pos < len(blob):
        if pos + 12 > len(blob):
            raise DecodeError(pos, "truncated record header (%d bytes left)" % (len(blob) - pos))
        header = blob[pos:pos + 8]
        length, length_crc = struct.unpack("<QI", blob[pos:pos + 12])
        if masked_crc32c(header) != length_crc:
            raise DecodeError(pos, "length CRC mismatch")
        data_start = pos + 12
        data_end = data_start + length
        if data_end + 4 > len(blob):
            raise DecodeError(pos, "truncated record: length %d, %d bytes left" % (length, len(blob) - data_start))
        data = blob[data_start:data_end]
        (data_crc,) = struct.unpack("<I", blob[data_end:data_end + 4])
        if masked_crc32c(data) != data_crc:
            raise DecodeError(pos, "data CRC mismatch")
        yield data_start, data
        pos = data_end + 4


# --- protobuf wire format ---------------------------------------------------

def read_varint(buf, pos, base):
    """(unsigned 64-bit value, position after it) of the varint at buf[pos]."""
    result = 0
    for shift in range(0, 70, 7):
        if pos >= len(buf):
            raise DecodeError(base + pos, "truncated varint")
        result |= (buf[pos] & 0x7F) << shift
        pos += 1
        if not buf[pos - 1] & 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
    raise DecodeError(base + pos, "varint longer than 10 bytes")


def as_int64(unsigned):
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def iter_fields(buf, base, message, wire_types):
    """Yields (field number, wire type, value, field offset, payload offset) for
    each field of a message; value is an int for varints and raw bytes otherwise.
    Offsets are absolute (base is buf's offset in the file). wire_types maps the
    known field numbers to their allowed wire types; others are skipped."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = read_varint(buf, pos, base)
        field, wire_type = key >> 3, key & 7
        if field == 0:
            raise DecodeError(base + start, "%s: field number 0" % message)
        if wire_type == 0:
            value, pos = read_varint(buf, pos, base)
            payload = start
        elif wire_type in (1, 2, 5):
            size = {1: 8, 5: 4}.get(wire_type)
            if size is None:
                size, pos = read_varint(buf, pos, base)
            if pos + size > len(buf):
                raise DecodeError(base + start, "%s: field %d overruns the message" % (message, field))
            payload, value, pos = pos, buf[pos:pos + size], pos + size
        else:
            raise DecodeError(base + start, "%s: unsupported wire type %d (field %d)" % (message, wire_type, field))
        if field in wire_types and wire_type not in wire_types[field]:
            raise DecodeError(base + start, "%s: field %d has wire type %d" % (message, field, wire_type))
        yield field, wire_type, value, base + start, base + payload


def tensor_scalar(buf, base):
    """The float of a TensorProto holding a single float_val or double_val, or None."""
    floats = []
    for field, wire, value, offset, _ in iter_fields(buf, base, "TensorProto", {1: (0,), 5: (2, 5), 6: (1, 2)}):
        if field in (5, 6):  # float_val / double_val, packed or not
            fmt = "<f" if field == 5 else "<d"
            if len(value) % struct.calcsize(fmt):
                raise DecodeError(offset, "TensorProto: packed %s values of length %d" % (fmt, len(value)))
            floats += [number for (number,) in struct.iter_unpack(fmt, value)]
    return floats[0] if len(floats) == 1 else None


def summary_values(buf, base):
    """Yields (tag, float) for each Summary.Value that holds a scalar."""
    for field, _, value, _, payload in iter_fields(buf, base, "Summary", {1: (2,)}):
        if field != 1:
            continue
        tag, scalar = "", None
        value_wire_types = {1: (2,), 2: (5,), 3: (2,), 4: (2,), 5: (2,), 6: (2,), 8: (2,)}
        for vfield, _, vvalue, _, vpayload in iter_fields(value, payload, "Summary.Value", value_wire_types):
            if vfield == 1:
                tag = vvalue.decode("utf-8", "replace")
            elif vfield == 2:
                scalar = struct.unpack("<f", vvalue)[0]
            elif vfield in (3, 4, 5, 6):  # the oneof's non-scalar members
                scalar = None
            elif vfield == 8:
                scalar = tensor_scalar(vvalue, vpayload)
        if scalar is not None:
            yield tag, scalar


def decode_event(data, base):
    """Returns (wall_time, step, file_version or None, [(tag, value)])."""
    wall_time, step, file_version, scalars = 0.0, 0, None, []
    for field, _, value, _, payload in iter_fields(data, base, "Event", {1: (1,), 2: (0,), 3: (2,), 5: (2,)}):
        if field == 1:
            wall_time = struct.unpack("<d", value)[0]
        elif field == 2:
            step = as_int64(value)
        elif field == 3:
            file_version = value.decode("utf-8", "replace")
        elif field == 5:
            scalars = list(summary_values(value, payload))
    return wall_time, step, file_version, scalars


def read_file(path):
    """Yields the JSON objects of one event file; raises DecodeError."""
    with open(path, "rb") as f:
        blob = f.read()
    for data_start, data in read_records(blob):
        wall_time, step, file_version, scalars = decode_event(data, data_start)
        if file_version is not None:
            yield {"file": path, "file_version": file_version}
        for tag, value in scalars:
            yield {"file": path, "step": step, "wall_time": wall_time, "tag": tag, "value": value}


def event_files(arguments):
    for argument in arguments:
        if os.path.isdir(argument):
            found = [os.path.join(root, name) for root, _, names in os.walk(argument)
                     for name in names if "tfevents" in name]
            yield from sorted(found)
        else:
            yield argument


# --- self test: a tiny local encoder, used only here -------------------------

def _varint(n):
    n &= 0xFFFFFFFFFFFFFFFF  # negative int64 -> ten-byte two's complement
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number, wire_type, payload):
    if wire_type == 2:
        payload = _varint(len(payload)) + payload
    return _varint(number << 3 | wire_type) + payload


def _frame(data):
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


def _raises_decode_error(action):
    try:
        action()
    except DecodeError as error:
        return error
    return None


def self_test():
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)

    check(crc32c(b"123456789") == 0xE3069283, "crc32c check vector")
    check(masked_crc32c(b"123456789") == 0xC78AB0E5, "masked crc32c vector")
    check(as_int64(read_varint(_varint(-3), 0, 0)[0]) == -3 and len(_varint(-3)) == 10, "negative int64 varint")
    float_tensor = _field(1, 0, _varint(1)) + _field(5, 2, struct.pack("<f", -2.25))
    double_tensor = _field(1, 0, _varint(2)) + _field(6, 1, struct.pack("<d", 0.125))
    summary = (_field(1, 2, _field(1, 2, b"loss") + _field(2, 5, struct.pack("<f", 0.5)))
               + _field(1, 2, _field(7, 2, b"node") + _field(1, 2, b"lr") + _field(8, 2, float_tensor))
               + _field(1, 2, _field(1, 2, b"acc") + _field(8, 2, double_tensor))
               + _field(1, 2, _field(1, 2, b"hist") + _field(8, 2, _field(5, 2, struct.pack("<ff", 1, 2))))
               + _field(1, 2, _field(1, 2, b"picture") + _field(4, 2, b"\x08\x01")))
    event = (_field(1, 1, struct.pack("<d", 1700000000.25)) + _field(2, 0, _varint(42))
             + _field(99, 0, _varint(7)) + _field(98, 2, b"skip me") + _field(5, 2, summary))
    version = _field(1, 1, struct.pack("<d", 1.0)) + _field(2, 0, _varint(-1)) + _field(3, 2, b"brain.Event:2")
    blob = _frame(version) + _frame(event)
    try:
        decoded = [decode_event(data, start) for start, data in read_records(blob)]
    except DecodeError as error:
        decoded = "DecodeError at byte %d: %s" % (error.offset, error)
    check(decoded == [(1.0, -1, "brain.Event:2", []),
                      (1700000000.25, 42, None, [("loss", 0.5), ("lr", -2.25), ("acc", 0.125)])],
          "round trip: %r" % decoded)
    second = len(_frame(version))
    for position in (second, second + 8, second + 12, len(blob) - 1):  # length, its CRC, data, its CRC
        corrupted = bytearray(blob)
        corrupted[position] ^= 0x10
        check(_raises_decode_error(lambda: list(read_records(bytes(corrupted)))), "corrupt byte %d" % position)
    for cut in (1, 5, 13):
        check(_raises_decode_error(lambda: list(read_records(blob[:-cut]))), "truncation by %d bytes" % cut)
    bad = _frame(_field(5, 2, _field(1, 2, b"\x0a\x20short")))  # the tag overruns its Value
    error = _raises_decode_error(lambda: [decode_event(data, start) for start, data in read_records(bad)])
    check(error and error.offset == 16, "malformed protobuf at byte 16: %r" % getattr(error, "offset", None))
    for failure in failures:
        print("self-test FAILED: " + failure, file=sys.stderr)
    print("self-test %s" % ("failed" if failures else "passed"))
    return 1 if failures else 0


def main(arguments):
    if arguments == ["--self-test"]:
        return self_test()
    if not arguments or any(a.startswith("--") for a in arguments):
        print("usage: read_tfevents.py FILE_OR_DIR [...] | --self-test", file=sys.stderr)
        return 2
    for path in event_files(arguments):
        try:
            for record in read_file(path):
                print(json.dumps(record))
        except (DecodeError, OSError) as error:
            where = "byte offset %d: " % error.offset if isinstance(error, DecodeError) else ""
            print("read_tfevents: %s: %s%s" % (path, where, error), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
