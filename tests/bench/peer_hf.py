#!/usr/bin/env python3
"""The GPU peer of `lorafit-cli bench`: what a GPU user runs in Python. A
transformers model built from the same configuration as Lorafit's bench shapes
(engine/bench/benchshape.cpp: tiny, gpt2-124m, llama-160m) with random weights
and transformers' default attention (SDPA), PEFT's
LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear"),
AdamW with the LoRA+ groups (lora_B at 16x the learning rate), bf16 autocast on
CUDA, gradient clipping at 1.0, and random token batches, the loss computed by
the model itself (labels = input ids). Prints one JSON object with tokens/s,
the median step time, peak GPU memory (torch.cuda.max_memory_allocated) and
peak RSS, under the key names of `lorafit-cli bench --json`.

It also runs on the CPU (--device cpu, f32, no autocast), which is how it is
checked on machines without a GPU.

  python3 tests/bench/peer_hf.py --shape gpt2-124m --device cuda --batch 16 --length 1024
Needs torch, transformers and peft (pip install torch transformers peft).
"""
import argparse
import json
import resource
import statistics
import time

import torch

SHAPES = {
    # vocab, width, mlp, layers, heads, kv heads, kind (as engine/bench/benchshape.cpp)
    "tiny": (2048, 128, 352, 2, 4, 2, "llama"),
    "gpt2-124m": (50257, 768, 3072, 12, 12, 12, "gpt2"),
    "llama-160m": (32000, 768, 3072, 12, 12, 4, "llama"),
}
RANK, ALPHA, DROPOUT = 16, 32, 0.05
LEARNING_RATE, LORA_PLUS_RATIO, MAX_GRAD_NORM = 2e-4, 16.0, 1.0


def model_config(shape):
    from transformers import GPT2Config, LlamaConfig

    vocab, width, mlp, layers, heads, kv, kind = SHAPES[shape]
    if kind == "gpt2":
        return GPT2Config(vocab_size=vocab, n_positions=1024, n_embd=width, n_inner=mlp, n_layer=layers,
                          n_head=heads, activation_function="gelu_new", layer_norm_epsilon=1e-5,
                          resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True)
    return LlamaConfig(vocab_size=vocab, hidden_size=width, intermediate_size=mlp, num_hidden_layers=layers,
                       num_attention_heads=heads, num_key_value_heads=kv, max_position_embeddings=2048,
                       rms_norm_eps=1e-6, hidden_act="silu", tie_word_embeddings=False)


def build(shape, device, base_dtype):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_config(model_config(shape), attn_implementation="sdpa")
    if base_dtype == "bf16":
        model = model.to(torch.bfloat16)  # PEFT keeps the adapters in f32 (autocast_adapter_dtype)
    lora = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=DROPOUT, target_modules="all-linear",
                      task_type="CAUSAL_LM")
    model = get_peft_model(model, lora).to(device)
    model.train()
    return model


def optimizer_for(model):
    a = [p for n, p in model.named_parameters() if p.requires_grad and "lora_A" in n]
    b = [p for n, p in model.named_parameters() if p.requires_grad and "lora_B" in n]
    groups = [{"params": a, "lr": LEARNING_RATE}, {"params": b, "lr": LEARNING_RATE * LORA_PLUS_RATIO}]
    return torch.optim.AdamW(groups, lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0), a + b


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="CPU intra-op threads (0: PyTorch's default)")
    parser.add_argument("--base-dtype", default="f32", choices=("f32", "bf16"),
                        help="frozen weights as loaded: f32 (default) or bf16 (torch_dtype=bfloat16)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit("peer_hf.py: --device cuda but torch.cuda.is_available() is False "
                         "(hint: a CUDA build of PyTorch and a visible GPU, or --device cpu)")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = build(args.shape, device, args.base_dtype)
    optimizer, trainable = optimizer_for(model)
    vocab = SHAPES[args.shape][0]
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda)

    times, losses = [], []
    usage_start = resource.getrusage(resource.RUSAGE_SELF)
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            usage_start = resource.getrusage(resource.RUSAGE_SELF)
            if cuda:
                torch.cuda.synchronize(device)
                torch.cuda.reset_peak_memory_stats(device)
        ids = torch.randint(0, vocab, (args.batch, args.length), device=device)
        if cuda:
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        optimizer.step()
        if cuda:
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - start
        losses.append(loss.item())
        if step >= args.warmup:
            times.append(elapsed)

    usage = resource.getrusage(resource.RUSAGE_SELF)
    median = statistics.median(times)
    peak_gpu = torch.cuda.max_memory_allocated(device) if cuda else 0
    reserved_gpu = torch.cuda.max_memory_reserved(device) if cuda else 0
    import peft
    import transformers

    print(json.dumps({
        "peer": f"transformers {transformers.__version__} + peft {peft.__version__} on torch {torch.__version__}",
        "gpu": torch.cuda.get_device_name(device) if cuda else "",
        "shape": args.shape, "steps": args.steps, "warmup_steps": args.warmup, "device": str(device),
        "threads": torch.get_num_threads(), "batch_size": args.batch, "sequence_length": args.length,
        "base_weights": args.base_dtype, "attention": getattr(model.config, "_attn_implementation", ""),
        "lora_parameters": sum(p.numel() for p in trainable),
        "tokens_per_second": args.batch * args.length / median, "ms_per_step": 1000 * median,
        "ms_per_step_mean": 1000 * statistics.mean(times),
        "peak_gpu_bytes": peak_gpu, "peak_gpu_mib": peak_gpu / 2**20, "peak_gpu_reserved_mib": reserved_gpu / 2**20,
        "peak_rss_bytes": usage.ru_maxrss * 1024, "peak_rss_mib": usage.ru_maxrss / 1024,
        "user_seconds": usage.ru_utime - usage_start.ru_utime, "system_seconds": usage.ru_stime - usage_start.ru_stime,
        "first_loss": losses[0], "last_loss": losses[-1]}))


if __name__ == "__main__":
    main()
