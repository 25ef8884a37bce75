#!/usr/bin/python3
"""Writes the demo datasets of Lorafit from the demo corpus (make_demo_corpus.py).

  make_demo_datasets.py CORPUS_DIR OUT_DIR

style_train.jsonl / style_validation.jsonl: prompt/completion pairs that turn a
King James verse into plain modern English by fixed word rules (thou/thee/ye
-> you, hath -> has, saith -> says, unto -> to, -eth verbs -> -s, ...). The
demo base model read the archaic text during pretraining but never this
modern register, so a LoRA run visibly changes what it writes after
"Modern:". Only verses that at least three rules change are used.

chat_train.jsonl / chat_validation.jsonl: conversations in the messages shape
("What does <term> mean?" -> the Jargon File's first definition sentence), for
the ChatML template of the demo model.

Deterministic: the same corpus gives the same bytes (a fixed stride, not a
random sample, picks the validation records).
"""
import json
import re
import sys
from pathlib import Path

WORDS = {
    "thou": "you", "thee": "you", "ye": "you", "thy": "your", "thine": "your", "thyself": "yourself",
    "hath": "has", "hast": "have", "doth": "does", "dost": "do", "saith": "says", "art": "are",
    "wast": "were", "wert": "were", "shalt": "will", "shall": "will", "wilt": "will", "unto": "to",
    "spake": "spoke", "begat": "fathered", "behold": "look", "lo": "look", "verily": "truly",
    "yea": "yes", "nay": "no", "whither": "where", "thither": "there", "hither": "here",
    "whence": "from where", "wherefore": "why", "ere": "before", "aught": "anything",
    "naught": "nothing", "twain": "two", "goeth": "goes", "doeth": "does", "seeth": "sees",
    "hideth": "hides", "provideth": "provides", "addeth": "adds", "sheweth": "shows",
    "shew": "show", "shewed": "showed", "brethren": "brothers", "kine": "cows", "raiment": "clothing",
}
NO_ES = set("aeiouy")


def modern_verb(word):
    """A regular -eth verb in the present tense, e.g. 'cometh' -> 'comes'."""
    stem = word[:-3]
    if stem.endswith(("ss", "sh", "ch", "x", "z", "o")):
        return stem + "es"
    if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] in "tnpgmbr":
        return stem[:-1] + "s"
    if len(stem) >= 3 and stem[-1] in "vkmcgzsdt" and stem[-2] in "aeiou" and stem[-3] not in "aeiou":
        return stem + "es"
    if stem.endswith("v"):
        return stem + "es"
    return stem + "s"


def modernise(text):
    changes = 0

    def swap(match):
        nonlocal changes
        word = match.group(0)
        lower = word.lower()
        if lower in WORDS:
            new = WORDS[lower]
        elif lower.endswith("eth") and len(lower) > 5 and lower not in ("teeth", "seth", "elisabeth", "japheth",
                                                                        "nazareth", "beth", "heth", "meth"):
            new = modern_verb(lower)
        elif lower.endswith("est") and len(lower) > 6 and word.islower() and lower not in (
                "forest", "interest", "harvest", "priest", "highest", "greatest", "least", "rest", "midst",
                "honest", "eldest", "youngest", "strongest", "wisest", "mightiest", "request", "west",
                "east", "breast", "feast", "chest", "guest", "manifest", "est", "nest", "best", "lest"):
            new = lower[:-3] if not lower.endswith("eest") else lower[:-2]
        else:
            return word
        changes += 1
        return new[:1].upper() + new[1:] if word[:1].isupper() else new

    out = re.sub(r"[A-Za-z]+", swap, text)
    return out, changes


def verses(corpus_dir):
    for chapter in (corpus_dir / "kjv.txt").read_text(encoding="utf-8").split("\n\n"):
        for line in chapter.strip().split("\n")[1:]:
            yield line


def style_records(corpus_dir):
    records = []
    for verse in verses(corpus_dir):
        modern, changes = modernise(verse)
        if changes >= 3 and 60 <= len(verse) <= 220:
            records.append({"prompt": "Archaic: " + verse + "\nModern:", "completion": " " + modern})
    return records


def chat_records(corpus_dir):
    records = []
    for entry in (corpus_dir / "jargon.txt").read_text(encoding="utf-8").split("\n\n"):
        lines = entry.strip().split("\n")
        term = lines[0].split(":")[0].strip()
        body = " ".join(l for l in lines[1:] if not l.startswith("["))
        body = re.sub(r"^(\d+\. )?((n|v|vt|vi|adj|adv|interj)\.\s*)?", "", body).replace("{", "").replace("}", "")
        sentence = re.match(r"(.{20,200}?(?<![ .][A-Z])[.!?])(\s|$)", body)
        if not term or not sentence or len(term) > 30:
            continue
        records.append({"messages": [
            {"role": "user", "content": f"What does {term} mean?"},
            {"role": "assistant", "content": sentence.group(1)},
        ]})
    return records


def write_split(out_dir, name, records, limit, every):
    records = records[:limit]
    validation = records[::every]
    train = [r for i, r in enumerate(records) if i % every != 0]
    for part, rows in (("train", train), ("validation", validation)):
        path = out_dir / f"{name}_{part}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{path}: {len(rows)} records")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_demo_datasets.py CORPUS_DIR OUT_DIR")
    corpus_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    style = style_records(corpus_dir)
    write_split(out_dir, "style", style[::max(1, len(style) // 2200)], 2200, 11)
    write_split(out_dir, "chat", chat_records(corpus_dir), 2000, 11)


if __name__ == "__main__":
    main()
