#!/usr/bin/python3
"""Writes the demo's classification-as-generation dataset from the King James Bible.

  make_demo_sections.py OUT_DIR

Reads the text with the `bible` program (packages bible-kjv and
bible-kjv-text; public domain) and writes OUT_DIR/sections_train.jsonl and
OUT_DIR/sections_validation.jsonl: prompt/completion pairs that ask which of
eight parts of the Bible a verse comes from ("Verse: …\\nPart:" -> " Law",
" History", " Wisdom", " Prophets", " Gospels", " Acts", " Letters",
" Revelation"). A task of another kind than the style and chat sets (a label,
not a rewrite or an answer), for comparing optimizer settings across tasks
(tests/bench/autolambda_compare.sh). Each part gives the same number of verses,
picked by a fixed stride, so the bytes are the same on every run.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

PARTS = {
    "Law": ["Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy"],
    "History": ["Joshua", "Judges", "Ruth", "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles",
                "2 Chronicles", "Ezra", "Nehemiah", "Esther"],
    "Wisdom": ["Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon"],
    "Prophets": ["Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos", "Obadiah",
                 "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi"],
    "Gospels": ["Matthew", "Mark", "Luke", "John"],
    "Acts": ["Acts"],
    "Letters": ["Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians",
                "1 Thessalonians", "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews",
                "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude"],
    "Revelation": ["Revelation"],
}
PER_PART_TRAIN, PER_PART_VALIDATION = 150, 15


def verses_by_part():
    part_of = {book: part for part, books in PARTS.items() for book in books}
    raw = subprocess.run(["bible", "-l100000", "gen1:1-rev22:21"], check=True, capture_output=True,
                         text=True).stdout
    verses, part = {p: [] for p in PARTS}, None
    for line in raw.splitlines():
        if not line.strip():
            continue
        verse = re.match(r"^\s+\d+ (.*)$", line)
        if verse:
            text = verse.group(1).strip()
            if 30 <= len(text) <= 200:
                verses[part].append(text)
            continue
        book = re.sub(r"\s+\d+$", "", line.strip())  # "1 Samuel 3" -> "1 Samuel"
        if book not in part_of:
            sys.exit(f"unknown book heading {line!r}")
        part = part_of[book]
    return verses


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_demo_sections.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    per_part_train, validation = [], []
    every = (PER_PART_TRAIN + PER_PART_VALIDATION) // PER_PART_VALIDATION
    for part, verses in verses_by_part().items():
        need = PER_PART_TRAIN + PER_PART_VALIDATION
        stride = len(verses) / need
        records = [{"prompt": f"Verse: {verses[int(i * stride)]}\nPart:", "completion": f" {part}"} for i in range(need)]
        validation += [r for i, r in enumerate(records) if i % every == 0]
        per_part_train.append([r for i, r in enumerate(records) if i % every != 0])
    # Interleave the parts, so any prefix of the training file has all of them.
    train = [r for group in zip(*per_part_train) for r in group]
    for name, records in (("sections_train.jsonl", train), ("sections_validation.jsonl", validation)):
        path = out / name
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        print(f"{path}: {len(records)} records")


if __name__ == "__main__":
    main()
