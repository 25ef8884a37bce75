#!/usr/bin/python3
"""Writes README.md (the model card) of the demo model from the files that
`lorafit-cli pretrain` wrote: config.json and lorafit_pretrain.json.

  write_model_card.py MODEL_DIR MINUTES CORPUS_DIR
"""
import json
import math
import sys
from pathlib import Path

CARD = """# Lorafit demo base model

A small Llama-architecture language model, made entirely by Lorafit's own code
(`lorafit-cli pretrain`) so that Lorafit can open on a working demo without
downloading anything. It is a toy: it writes English that looks like the King
James Bible and the Jargon File, not sensible answers. Its purpose is to show a
LoRA / LoRA+ run visibly changing what a model writes within a few minutes on a CPU.

## How it was made

* Corpus (public domain, from Debian packages; build-time inputs of the demo only):
  * the King James Version of the Bible, packages `bible-kjv` + `bible-kjv-text`
    (extracted with `bible`; one document per chapter, verse numbers removed);
  * the Jargon File 4.4.7, package `jargon-text` (one document per lexicon entry).
  `scripts/demo/make_demo_corpus.py` writes it: {documents} documents, {bytes:,} bytes of text.
* Tokenizer: byte-level BPE (GPT-2 pre-tokenizer) with {vocab} ids trained on the training
  documents; special tokens `<|endoftext|>` (0, bos/eos/pad), `<|im_start|>` (1), `<|im_end|>` (2)
  and a ChatML `chat_template` in tokenizer_config.json. Generation stops at ids 0 and 2.
* Model: `LlamaForCausalLM`, {layers} layers, hidden size {hidden}, {heads} attention heads
  ({kv} key/value heads), MLP width {inter}, context {context} tokens, RoPE θ = 10000,
  tied input/output embedding: **{params:,} parameters**, stored as float16 ({weights_mb:.1f} MB).
* Training: every parameter from a normal(0, 0.02) initialisation; AdamW (β = 0.9, 0.95,
  weight decay 0.1 on matrices), peak learning rate {lr}, linear warmup then cosine decay to 10%,
  gradient clipping at 1.0, batches of {batch} windows of {context} tokens from the shuffled
  token stream (documents separated by `<|endoftext|>`), seed {seed}.
  A {minutes}-minute budget on a shared 2-core CPU gave **{steps} steps** ({tokens_seen:,} tokens,
  {epochs:.2f} epochs of the {train_tokens:,} training tokens) at {tps:.0f} tokens/s
  ({train_minutes:.1f} minutes of training).
* Validation: {validation_fraction:.0%} of the documents ({validation_documents} documents,
  {validation_tokens:,} tokens) held out. Loss of the saved float16 weights: **{val_loss:.4f} nats per
  token, perplexity {ppl:.1f}** (untrained: {init_loss:.4f}, perplexity {init_ppl:.0f}). The training loss
  fell from {first_loss:.3f} (first step) to {final_loss:.3f} (mean of the last 10% of steps).

## Reproduce

```sh
apt-get install bible-kjv bible-kjv-text jargon-text
cmake --preset ci && cmake --build --preset ci --target lorafit-cli
scripts/make-demo-model.sh build/ci {minutes}
```

The script runs exactly:

```sh
lorafit-cli pretrain --corpus CORPUS_DIR --out resources/demo/model --overwrite \\
    --vocab {vocab_arg} --layers {layers} --hidden {hidden} --heads {heads} --kv-heads {kv} --intermediate {inter} \\
    --context {context} --minutes {minutes} --batch {batch} --lr {lr} --seed {seed} --validation-fraction {validation_fraction}
```

With `--minutes` the number of steps depends on the machine's speed; pass `--steps {steps}` instead
to repeat this run step for step. `pretrain.log` is the console output of the run and
`lorafit_pretrain.json` its figures.

## Files

config.json, model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json
(the Hugging Face layout; transformers loads it as a Llama model), lorafit_pretrain.json, pretrain.log.
"""


def main():
    model = Path(sys.argv[1])
    if len(sys.argv) != 4:
        sys.exit("usage: write_model_card.py MODEL_DIR MINUTES CORPUS_DIR")
    minutes = sys.argv[2]
    corpus_bytes = sum(p.stat().st_size for p in Path(sys.argv[3]).iterdir())
    config = json.loads((model / "config.json").read_text())
    report = json.loads((model / "lorafit_pretrain.json").read_text())
    text = CARD.format(
        documents=report["train_documents"] + report["validation_documents"],
        bytes=corpus_bytes, vocab=config["vocab_size"], vocab_arg=config["vocab_size"],
        layers=config["num_hidden_layers"], hidden=config["hidden_size"],
        heads=config["num_attention_heads"], kv=config["num_key_value_heads"], inter=config["intermediate_size"],
        context=config["max_position_embeddings"], params=report["parameters"],
        weights_mb=(model / "model.safetensors").stat().st_size / 1e6,
        lr=report["learning_rate"], batch=report["batch_size"], seed=report["seed"], minutes=minutes,
        steps=report["steps"], tokens_seen=report["tokens_seen"], train_tokens=report["train_tokens"],
        epochs=report["tokens_seen"] / max(1, report["train_tokens"]), tps=report["tokens_per_second"],
        train_minutes=report["train_seconds"] / 60, validation_fraction=report["validation_fraction"],
        validation_documents=report["validation_documents"], validation_tokens=report["validation_tokens"],
        val_loss=report["validation_loss"], ppl=report["validation_perplexity"],
        init_loss=report["initial_validation_loss"], init_ppl=math.exp(report["initial_validation_loss"]),
        first_loss=report["first_loss"], final_loss=report["final_loss"])
    (model / "README.md").write_text(text, encoding="utf-8")
    print(f"wrote {model / 'README.md'}")


if __name__ == "__main__":
    main()
