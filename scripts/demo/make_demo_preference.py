#!/usr/bin/python3
"""Writes the demo's preference pairs from its style-transfer data.

  make_demo_preference.py DATA_DIR

Reads DATA_DIR/style_train.jsonl and style_validation.jsonl (make_demo_datasets.py)
and writes style_preference_train.jsonl / style_preference_validation.jsonl:
{"prompt": "Archaic: <verse>\\nModern:", "chosen": " <modern verse>",
 "rejected": " <the archaic verse again>"}. The demo model read the archaic
register in pretraining, so before tuning it prefers the rejected answer or
cannot tell them apart; DPO teaches it to prefer the modern one.

Deterministic: the first TRAIN_PAIRS and VALIDATION_PAIRS records, in file order.
"""
import json
import sys
from pathlib import Path

TRAIN_PAIRS = 480
VALIDATION_PAIRS = 96


def pairs(source, count):
    out = []
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            prompt = record["prompt"]
            archaic = prompt[len("Archaic: "):prompt.rindex("\nModern:")]
            out.append({"prompt": prompt, "chosen": record["completion"], "rejected": " " + archaic})
            if len(out) == count:
                break
    return out


def write(path, records):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")


def main():
    data = Path(sys.argv[1])
    write(data / "style_preference_train.jsonl", pairs(data / "style_train.jsonl", TRAIN_PAIRS))
    write(data / "style_preference_validation.jsonl", pairs(data / "style_validation.jsonl", VALIDATION_PAIRS))


if __name__ == "__main__":
    main()
