#!/usr/bin/env python3
"""Validates a PNG file and reports what is in it, for the tests.

The tests use it to check PNGs written by DataFlex (and screenshots of its
pages). It shares nothing with the C++ PNG writer: chunk framing, CRCs, zlib
inflation and scanline un-filtering are done here with the Python standard
library only (no PIL, no numpy), so a writer bug cannot be mirrored here.

Usage: png_check.py FILE [--width W --height H] [--min-colours N] [--min-ink F]
       png_check.py --self-test
Prints one JSON line {"width", "height", "colour_type", "distinct_colours",
"ink", "background"}; distinct colours and ink count RGB values (alpha is
ignored); distinct_colours stops at 4096 (meaning 4096 or more); ink is the
fraction of pixels whose colour is not the most common one (the background).
A failed check: one line naming the file and the problem on stderr, exit 1.
"""
import argparse
import array
import collections
import json
import random
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> bytes per pixel at bit depth 8
DISTINCT_COLOUR_CAP = 4096


class PngError(Exception):
    pass


def read_chunks(blob):
    """[(type, data)] after checking the signature, every CRC and chunk order."""
    if blob[:8] != SIGNATURE:
        raise PngError("bad signature")
    chunks, pos = [], 8
    while pos < len(blob):
        if pos + 12 > len(blob):
            raise PngError("truncated chunk header at offset %d" % pos)
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        name = kind.decode("latin1")
        end = pos + 8 + length
        if end + 4 > len(blob):
            raise PngError("chunk %s at offset %d is truncated" % (name, pos))
        if zlib.crc32(blob[pos + 4:end]) != struct.unpack(">I", blob[end:end + 4])[0]:
            raise PngError("CRC mismatch at chunk %s (offset %d)" % (name, pos))
        chunks.append((name, blob[pos + 8:end]))
        pos = end + 4
        if name == "IEND" and pos != len(blob):
            raise PngError("%d bytes of data after IEND" % (len(blob) - pos))
    names = [name for name, _ in chunks] or ["nothing"]
    idat_at = [i for i, name in enumerate(names) if name == "IDAT"]
    for failed, problem in ((names[0] != "IHDR", "first chunk is %s, not IHDR" % names[0]),
                            (names[-1] != "IEND", "last chunk is %s, not IEND" % names[-1]),
                            (not idat_at, "no IDAT chunk"),
                            (idat_at and idat_at[-1] - idat_at[0] + 1 != len(idat_at), "IDAT chunks not consecutive")):
        if failed:
            raise PngError(problem)
    return chunks


def bytewise_add(x, y, low7, high1):
    """Adds two rows packed into ints, byte by byte modulo 256, without carries."""
    return ((x & low7) + (y & low7)) ^ ((x ^ y) & high1)


def unfilter(raw, height, stride, bpp):
    """Undoes the per-scanline filters; returns the pixel bytes (no filter bytes)."""
    out = bytearray(height * stride)
    low7 = int.from_bytes(b"\x7f" * stride, "little")
    high1 = int.from_bytes(b"\x80" * stride, "little")
    full = (1 << 8 * stride) - 1
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = raw[start + 1:start + 1 + stride]
        if kind == 0:
            row = bytearray(line)
        elif kind == 1:  # Sub: prefix sum along each byte lane, by doubling shifts
            acc, shift = int.from_bytes(line, "little"), bpp
            while shift < stride:
                acc = bytewise_add(acc, (acc << 8 * shift) & full, low7, high1)
                shift *= 2
            row = bytearray(acc.to_bytes(stride, "little"))
        elif kind == 2:  # Up
            acc = bytewise_add(int.from_bytes(line, "little"), int.from_bytes(prev, "little"), low7, high1)
            row = bytearray(acc.to_bytes(stride, "little"))
        elif kind == 3:  # Average, one byte lane at a time (a: the byte bpp to the left)
            row = bytearray(stride)
            for lane in range(bpp):
                lane_out, a = [], 0
                append = lane_out.append
                for x, b in zip(line[lane::bpp], prev[lane::bpp]):
                    a = (x + ((a + b) >> 1)) & 255
                    append(a)
                row[lane::bpp] = bytes(lane_out)
        elif kind == 4:  # Paeth, likewise (b: the byte above, c: the byte above a)
            row = bytearray(stride)
            for lane in range(bpp):
                lane_out, a, c = [], 0, 0
                append = lane_out.append
                for x, b in zip(line[lane::bpp], prev[lane::bpp]):
                    pa, pb = b - c, a - c
                    pc = abs(pa + pb)
                    pa, pb = abs(pa), abs(pb)
                    a = (x + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                    append(a)
                    c = b
                row[lane::bpp] = bytes(lane_out)
        else:
            raise PngError("bad filter type %d on row %d" % (kind, y))
        out[y * stride:(y + 1) * stride] = row
        prev = row
    return out


def decode(blob):
    """Returns (width, height, colour type, pixel bytes, palette bytes or None)."""
    chunks = read_chunks(blob)
    header = chunks[0][1]
    if len(header) != 13:
        raise PngError("IHDR has %d bytes, not 13" % len(header))
    width, height, depth, colour_type, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    if width == 0 or height == 0:
        raise PngError("empty image %dx%d" % (width, height))
    if colour_type not in CHANNELS or depth != 8 or compression or filtering:
        raise PngError("unsupported format: colour type %d, bit depth %d, compression %d, filter method %d"
                       % (colour_type, depth, compression, filtering))
    if interlace:
        raise PngError("interlaced PNGs are not supported")
    palette = next((data for name, data in chunks if name == "PLTE"), None)
    if colour_type == 3 and (palette is None or len(palette) % 3 or not 3 <= len(palette) <= 768):
        raise PngError("colour type 3 without a valid PLTE chunk")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(data for name, data in chunks if name == "IDAT"))
    except zlib.error as error:
        raise PngError("IDAT data does not inflate: %s" % error)
    if not inflater.eof:
        raise PngError("IDAT zlib stream is truncated")
    bpp = CHANNELS[colour_type]
    if len(raw) != height * (width * bpp + 1):
        raise PngError("IDAT inflates to %d bytes, %d expected for %dx%d"
                       % (len(raw), height * (width * bpp + 1), width, height))
    pixels = unfilter(raw, height, width * bpp, bpp)
    if colour_type == 3 and max(pixels) >= len(palette) // 3:
        raise PngError("palette index %d out of range (%d entries)" % (max(pixels), len(palette) // 3))
    return width, height, colour_type, pixels, palette


def colour_keys(colour_type, pixels, palette):
    """The pixels' RGB colours, each packed into one native 32-bit int (R in its first byte)."""
    bpp = CHANNELS[colour_type]
    rgbx = bytearray(len(pixels) // bpp * 4)
    if colour_type == 3:
        padded = palette + bytes(768 - len(palette))
        for channel in range(3):
            rgbx[channel::4] = pixels.translate(padded[channel::3])
    else:
        for channel in range(3):
            rgbx[channel::4] = pixels[(channel if colour_type in (2, 6) else 0)::bpp]
    return memoryview(rgbx).cast("I")


def report(blob):
    width, height, colour_type, pixels, palette = decode(blob)
    keys = colour_keys(colour_type, pixels, palette)
    counts, chunk = collections.Counter(), max(width, 65536)
    for start in range(0, len(keys), chunk):  # stop counting once past the cap
        counts.update(keys[start:start + chunk])
        if len(counts) > DISTINCT_COLOUR_CAP:
            break
    if len(counts) > DISTINCT_COLOUR_CAP:  # the background from a sample of about 2**18 pixels
        background = collections.Counter(keys[::max(1, len(keys) >> 18)]).most_common(1)[0][0]
        background_count = array.array("I", keys.tobytes()).count(background)
    else:
        background, background_count = counts.most_common(1)[0]
    return {"width": width, "height": height, "colour_type": colour_type,
            "distinct_colours": min(len(counts), DISTINCT_COLOUR_CAP),
            "ink": (len(keys) - background_count) / len(keys),
            "background": "#" + background.to_bytes(4, sys.byteorder)[:3].hex()}


def failed_checks(info, width=None, height=None, min_colours=None, min_ink=None):
    problems = []
    if width not in (None, info["width"]) or height not in (None, info["height"]):
        problems.append("size %dx%d where %sx%s expected" % (info["width"], info["height"], width or "?", height or "?"))
    if min_colours is not None and info["distinct_colours"] < min_colours:
        problems.append("only %d colours where >=%d expected" % (info["distinct_colours"], min_colours))
    if min_ink is not None and info["ink"] < min_ink:
        problems.append("ink fraction %.6f below %g" % (info["ink"], min_ink))
    return problems


# --- self test: a tiny local encoder, used only here -------------------------

def _filter_row(kind, row, prev, bpp):
    out = bytearray()
    for i, value in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
        p = a + b - c
        paeth = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
        out.append((value - (0, a, b, (a + b) // 2, paeth)[kind]) & 255)
    return out


def _encode(width, height, colour_type, pixels, filters, palette=None):
    def chunk(name, data):
        return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))
    stride = width * CHANNELS[colour_type]
    raw, prev = bytearray(), bytes(stride)
    for y in range(height):
        row = pixels[y * stride:(y + 1) * stride]
        kind = filters[y % len(filters)]
        raw += bytes([kind]) + _filter_row(kind, row, prev, CHANNELS[colour_type])
        prev = row
    packed = zlib.compress(bytes(raw))
    return (SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
            + (chunk(b"PLTE", palette) if palette else b"") + chunk(b"IDAT", packed[:5])
            + chunk(b"IDAT", packed[5:]) + chunk(b"IEND", b""))


def self_test():
    failures = []
    rng = random.Random(7)
    for width, height, colour_type, filters, levels in (
            (37, 6, 2, (0, 1, 2, 3, 4, 4), 256), (9, 7, 6, (4, 3, 2, 1, 0), 256), (30, 9, 2, (4, 3), 4),
            (16, 5, 0, (1, 4, 3), 256), (5, 5, 4, (2, 4), 256), (11, 4, 3, (4, 1), 4)):
        size = width * height * CHANNELS[colour_type]
        pixels = bytes(rng.randrange(levels) for _ in range(size))  # few levels: many Paeth ties
        palette = b"\x00\x00\x00\xff\x00\x00\x00\xff\x00\xff\x00\x00" if colour_type == 3 else None
        got = decode(_encode(width, height, colour_type, pixels, filters, palette))
        if got[:4] != (width, height, colour_type, pixels):
            failures.append("round trip of colour type %d with filters %s" % (colour_type, filters))
    canvas = bytearray(b"\xff\xff\xff\xff" * 100)  # 10x10 white RGBA with 7 red and 3 blue pixels
    for i in range(10):
        canvas[4 * i * 9:4 * i * 9 + 4] = b"\xff\x00\x00\xff" if i < 7 else b"\x00\x00\xff\x80"
    image = _encode(10, 10, 6, bytes(canvas), (4, 1, 3))
    info = report(image)
    expected = {"width": 10, "height": 10, "colour_type": 6, "distinct_colours": 3, "background": "#ffffff"}
    if {k: info[k] for k in expected} != expected or abs(info["ink"] - 0.1) > 1e-9:
        failures.append("report %r" % info)
    for small, wanted in ((_encode(4, 1, 4, b"\x0a\xff\x0a\x00\xc8\xff\x0a\x09", (0,)), (2, 0.25, "#0a0a0a")),
                          (_encode(4, 1, 3, b"\x01\x02\x01\x00", (1,), b"\0\0\0\xff\0\0\0\xff\0"), (3, 0.5, "#ff0000"))):
        got = report(small)
        if (got["distinct_colours"], got["ink"], got["background"]) != wanted:
            failures.append("report %r where %r expected" % (got, wanted))
    if failed_checks(info, 10, 10, 3, 0.1) != []:
        failures.append("checks that should pass failed")
    if len(failed_checks(info, 11, 10, 4, 0.2)) != 3:
        failures.append("checks that should fail passed")
    for damage, words in ((lambda b: b"\x88" + b[1:], "bad signature"),
                          (lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:], "CRC mismatch at chunk"),
                          (lambda b: b[:-12], "last chunk is IDAT"), (lambda b: b[:-3], "truncated")):
        try:
            decode(damage(image))
            failures.append("damage not detected: " + words)
        except PngError as error:
            if words not in str(error):
                failures.append("damage %r reported as %r" % (words, str(error)))
    for failure in failures:
        print("self-test FAILED: " + failure, file=sys.stderr)
    print("self-test %s" % ("failed" if failures else "passed"))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description="Validate a PNG and report what is in it.")
    parser.add_argument("file", nargs="?")
    for option, kind in (("--width", int), ("--height", int), ("--min-colours", int), ("--min-ink", float)):
        parser.add_argument(option, type=kind)
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if args.file is None:
        parser.error("a FILE is needed")
    try:
        with open(args.file, "rb") as f:
            info = report(f.read())
    except (OSError, PngError) as error:
        print("png_check: %s: %s" % (args.file, error), file=sys.stderr)
        return 1
    print(json.dumps(info))
    problems = failed_checks(info, args.width, args.height, args.min_colours, args.min_ink)
    if problems:
        print("png_check: %s: %s" % (args.file, "; ".join(problems)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
