#!/usr/bin/env python3
"""Logits of the real transformers for Lorafit's model tests.

Usage: VENV/bin/python hf_logits.py DIR

Loads DIR (config.json + model.safetensors, as the tests write them) with
transformers' AutoModelForCausalLM in float32 with eager attention and no
cache, runs DIR/ids.json (a list of lists of token ids) through it and writes
DIR/hf_logits.safetensors holding one F32 tensor "logits" (B, T, V).
Exits with 77 when this transformers does not know the model type (gemma3
needs transformers 4.50+, which needs torch 2).
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "config.json")) as f:
        model_type = json.load(f)["model_type"]
    if model_type not in transformers.models.auto.configuration_auto.CONFIG_MAPPING_NAMES:
        print("transformers %s has no model type %s" % (transformers.__version__, model_type), file=sys.stderr)
        sys.exit(77)
    with open(os.path.join(folder, "ids.json")) as f:
        ids = torch.tensor(json.load(f), dtype=torch.int64)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        folder, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=ids, use_cache=False).logits
    save_file({"logits": logits.float().contiguous()}, os.path.join(folder, "hf_logits.safetensors"))
    print("transformers %s" % transformers.__version__)


if __name__ == "__main__":
    main()
