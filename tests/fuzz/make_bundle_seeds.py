#!/usr/bin/env python3
"""Writes the seed bundles of fuzz_bundle into tests/fuzz/corpus/bundle/.

A bundle is [player][tar archive][footer] (engine/package/Bundle.h). The archives are written the
way writeBundle writes them (ustar headers, mtime 0, files 0644, links 0777), but without the
zero padding of the last tar record, so the seeds stay small. Players are empty or a few bytes.
Run it again only to change the seeds: python3 tests/fuzz/make_bundle_seeds.py
"""
import io
import os
import struct
import tarfile

MAGIC = b"LUNETTE-BUNDLE\x01\x00"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "bundle")


def archive(entries, fmt=tarfile.USTAR_FORMAT):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, kind, content in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = content
                info.mode = 0o777
                tar.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                data = content.encode()
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        end = tar.offset  # end of the last entry; close() adds two zero blocks and padding
    return buffer.getvalue()[: end + 1024]


def bundle(player, entries, **kwargs):
    tar = archive(entries, **kwargs)
    footer = struct.pack("<qq", len(player), len(tar)) + MAGIC
    return player + tar + footer


SITE = [("html/index.html", "file", "<p>hi</p>\n"), ("lua/main.lua", "file", "print('hi')\n")]
SEEDS = {
    "site": bundle(b"", SITE),
    "player": bundle(b"\x7fELF", SITE),
    "links": bundle(b"", SITE + [("html/link.html", "link", "index.html"),
                                  ("html/sub/up", "link", ".."),
                                  ("html/sub/deep/a.css", "file", "p {}\n")]),
    "folders": bundle(b"", [("lua/", "dir", None)] + SITE),
    "pax-long-name": bundle(b"", SITE + [("html/" + "n" * 120 + ".txt", "file", "long\n")],
                            fmt=tarfile.PAX_FORMAT),
    "escapes": bundle(b"", SITE + [("../evil.txt", "file", "x"), ("/abs.txt", "file", "x"),
                                    ("html/out", "link", "../../.."),
                                    ("html/abs", "link", "/etc")]),
    "empty-archive": bundle(b"", []),
    # Regressions (docs/RELIABILITY.md): unpacking through a link; a link target that reads as
    # inside but is turned outside by a link unpacked after it.
    "through-link": bundle(b"", SITE + [("d", "link", "."), ("d/x/y/l", "link", "../../.."),
                                         ("d/x/y/l/escaped.txt", "file", "outside\n")]),
    "turned-around": bundle(b"", SITE + [("x/keep.txt", "file", "keep\n"),
                                          ("l", "link", "s/x/../.."), ("s", "link", ".")]),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name + ".bundle"), "wb") as f:
            f.write(data)
