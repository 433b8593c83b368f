"""Float32 .npy files without numpy (the tests run with whatever python3 is first on PATH)."""
import ast
import struct


def save(path, rows):
    """Writes a list of equal-length float lists as a C-order '<f4' matrix (format 1.0)."""
    cols = len(rows[0]) if rows else 0
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), cols)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % (len(rows) * cols), *[v for r in rows for v in r]))


def load(path):
    """The matrix of a '<f4' C-order 2-D .npy file as a list of rows."""
    raw = open(path, "rb").read()
    assert raw[:6] == b"\x93NUMPY", path
    n, start = (struct.unpack("<H", raw[8:10])[0], 10) if raw[6] == 1 else (struct.unpack("<I", raw[8:12])[0], 12)
    head = ast.literal_eval(raw[start:start + n].decode("latin1"))
    assert head["descr"] == "<f4" and not head["fortran_order"], head
    rows, cols = head["shape"]
    flat = struct.unpack("<%df" % (rows * cols), raw[start + n:])
    return [list(flat[r * cols:(r + 1) * cols]) for r in range(rows)]
