#!/usr/bin/python3
"""Writes the pretraining corpus of Lorafit's demo model from Debian packages.

  make_demo_corpus.py OUT_DIR

Reads the King James Bible with the `bible` program (packages bible-kjv and
bible-kjv-text) and the Jargon File 4.4.7 (package jargon-text); both texts
are in the public domain. Writes OUT_DIR/kjv.txt (one document per chapter:
the heading, then one verse per line, without verse numbers) and
OUT_DIR/jargon.txt (one document per lexicon entry). Documents are separated
by blank lines, which is how `lorafit-cli pretrain` reads .txt files.
Deterministic: the same packages give the same bytes.
"""
import gzip
import re
import subprocess
import sys
from pathlib import Path

JARGON = Path("/usr/share/doc/jargon-text/jargon.txt.gz")


def kjv_chapters():
    raw = subprocess.run(["bible", "-l100000", "gen1:1-rev22:21"], check=True, capture_output=True,
                         text=True).stdout
    chapters, current = [], []
    for line in raw.splitlines():
        if not line.strip():
            continue
        verse = re.match(r"^\s+\d+ (.*)$", line)  # verses are indented; headings ("1 Samuel 3") are not
        if verse:
            current.append(verse.group(1).strip())
        else:  # a chapter heading such as "Genesis 1"
            if current:
                chapters.append("\n".join(current))
            current = [line.strip()]
    if current:
        chapters.append("\n".join(current))
    return chapters


def jargon_entries():
    text = gzip.decompress(JARGON.read_bytes()).decode("utf-8")
    entries, current = [], []
    in_lexicon = False
    for line in text.splitlines():
        head = re.match(r"^   :([^:]+):(.*)$", line)
        if head:
            in_lexicon = True
            if current:
                entries.append(current)
            current = [(head.group(1) + ":" + head.group(2)).strip()]
            continue
        if in_lexicon:
            current.append(line.strip())
    if current:
        entries.append(current)
    docs = []
    for entry in entries:
        paragraphs = " ".join(entry).split("  ")  # blank lines became double spaces
        body = "\n".join(re.sub(r"\s+", " ", p).strip() for p in paragraphs if p.strip())
        if len(body) > 40:
            docs.append(body)
    return docs


def write(path, documents):
    path.write_text("\n\n".join(documents) + "\n", encoding="utf-8")
    print(f"{path}: {len(documents)} documents, {path.stat().st_size} bytes")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_demo_corpus.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    write(out / "kjv.txt", kjv_chapters())
    write(out / "jargon.txt", jargon_entries())


if __name__ == "__main__":
    main()
