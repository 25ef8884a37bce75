#!/usr/bin/python3
"""The Python peer of `lorafit-cli bench`: trains the same shapes the way a
Python user does with plain PyTorch — the model written as transformers'
eager GPT-2 / Llama code computes it (materialised causal mask, full-vocabulary
logits, mean cross-entropy), LoRA layers built as PEFT builds them (lora_A and
lora_B nn.Linear, dropout 0.05, scaling alpha/r, r = 16 on every attention and
MLP projection), AdamW with the LoRA+ groups (B at 16x the learning rate),
gradient clipping at 1.0, batch 4 x 256 random token ids. Prints one JSON
object with tokens/s, the median step time and peak RSS.

Run with Debian's python3-torch:  /usr/bin/python3 tests/bench/peer_pytorch.py --shape gpt2-124m --threads 2
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    # vocab, width, mlp, layers, heads, kv heads, kind
    "tiny": (2048, 128, 352, 2, 4, 2, "llama"),
    "gpt2-124m": (50257, 768, 3072, 12, 12, 12, "gpt2"),
    "llama-160m": (32000, 768, 3072, 12, 12, 4, "llama"),
}
RANK, ALPHA, DROPOUT = 16, 32.0, 0.05


class Conv1D(nn.Module):  # GPT-2's projection: weight [in, out]
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(x.size()[:-1] + (self.weight.size(1),))


class LoraLinear(nn.Module):  # as peft.tuners.lora.Linear computes it
    def __init__(self, base, n_in, n_out):
        super().__init__()
        self.base_layer = base
        self.lora_dropout = nn.Dropout(DROPOUT)
        self.lora_A = nn.Linear(n_in, RANK, bias=False)
        self.lora_B = nn.Linear(RANK, n_out, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = ALPHA / RANK

    def forward(self, x):
        result = self.base_layer(x)
        return result + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling


def lora(base, n_in, n_out):
    return LoraLinear(base, n_in, n_out)


class Gpt2Block(nn.Module):
    def __init__(self, c, mlp, heads, positions):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn = lora(Conv1D(c, 3 * c), c, 3 * c)
        self.attn_proj = lora(Conv1D(c, c), c, c)
        self.c_fc = lora(Conv1D(c, mlp), c, mlp)
        self.mlp_proj = lora(Conv1D(mlp, c), mlp, c)
        self.register_buffer("bias", torch.tril(torch.ones(positions, positions, dtype=torch.bool)).view(
            1, 1, positions, positions), persistent=False)

    def attn(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(v.size(-1))
        mask = self.bias[:, :, :t, :t]
        w = torch.where(mask, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        w = F.softmax(w, dim=-1)
        y = torch.matmul(w, v).transpose(1, 2).contiguous().view(b, t, c)
        return self.attn_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(nn.Module):
    def __init__(self, vocab, c, mlp, layers, heads, positions=1024):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, c), nn.Embedding(positions, c)
        self.h = nn.ModuleList(Gpt2Block(c, mlp, heads, positions) for _ in range(layers))
        self.ln_f = nn.LayerNorm(c)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.size(1)))
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)  # tied lm_head


class RmsNorm(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(c)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaLayer(nn.Module):
    def __init__(self, c, mlp, heads, kv):
        super().__init__()
        self.heads, self.kv, self.hd = heads, kv, c // heads
        hd = self.hd
        self.q_proj = lora(nn.Linear(c, heads * hd, bias=False), c, heads * hd)
        self.k_proj = lora(nn.Linear(c, kv * hd, bias=False), c, kv * hd)
        self.v_proj = lora(nn.Linear(c, kv * hd, bias=False), c, kv * hd)
        self.o_proj = lora(nn.Linear(heads * hd, c, bias=False), heads * hd, c)
        self.gate_proj = lora(nn.Linear(c, mlp, bias=False), c, mlp)
        self.up_proj = lora(nn.Linear(c, mlp, bias=False), c, mlp)
        self.down_proj = lora(nn.Linear(mlp, c, bias=False), mlp, c)
        self.input_layernorm, self.post_attention_layernorm = RmsNorm(c), RmsNorm(c)

    def attn(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        groups = self.heads // self.kv
        k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.hd) + mask
        w = F.softmax(w, dim=-1, dtype=torch.float32)
        y = torch.matmul(w, v).transpose(1, 2).contiguous().reshape(b, t, -1)
        return self.o_proj(y)

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.input_layernorm(x), cos, sin, mask)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, vocab, c, mlp, layers, heads, kv):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, c)
        self.layers = nn.ModuleList(LlamaLayer(c, mlp, heads, kv) for _ in range(layers))
        self.norm = RmsNorm(c)
        self.lm_head = nn.Linear(c, vocab, bias=False)
        hd = c // heads
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)

    def forward(self, ids):
        t = ids.size(1)
        freqs = torch.outer(torch.arange(t).float(), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


def build(shape):
    vocab, c, mlp, layers, heads, kv, kind = SHAPES[shape]
    model = Gpt2(vocab, c, mlp, layers, heads) if kind == "gpt2" else Llama(vocab, c, mlp, layers, heads, kv)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                continue
            p.requires_grad_(False)
            if p.dim() >= 2:
                p.normal_(0.0, 0.02)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.fill_(1.0)
    return model, vocab


def blas_core():
    """The kernel set of the OpenBLAS this process multiplies with, e.g. "SkylakeX"; "" if not OpenBLAS."""
    import ctypes
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and line.rstrip().endswith(".so.0")
                 or "libblas.so" in line}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    model, vocab = build(args.shape)
    model.train()
    lr, ratio = 2e-4, 16.0
    a_params = [p for n, p in model.named_parameters() if "lora_A" in n]
    b_params = [p for n, p in model.named_parameters() if "lora_B" in n]
    optimizer = torch.optim.AdamW([{"params": a_params, "lr": lr}, {"params": b_params, "lr": lr * ratio}],
                                  lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    trainable = a_params + b_params
    batch, tokens = 4, 256
    times, losses = [], []
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            usage_start = resource.getrusage(resource.RUSAGE_SELF)
        ids = torch.randint(0, vocab, (batch, tokens))
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1, :].reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        losses.append(loss.item())
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    median = statistics.median(times)
    print(json.dumps({
        "peer": "pytorch " + torch.__version__, "shape": args.shape, "steps": args.steps,
        "threads": torch.get_num_threads(), "blas_core": blas_core(), "batch_size": batch, "sequence_length": tokens,
        "lora_parameters": sum(p.numel() for p in trainable),
        "tokens_per_second": batch * tokens / median, "ms_per_step": 1000 * median,
        "ms_per_step_mean": 1000 * statistics.mean(times),
        "peak_rss_bytes": usage.ru_maxrss * 1024, "peak_rss_mib": usage.ru_maxrss / 1024,
        "user_seconds": usage.ru_utime - usage_start.ru_utime, "system_seconds": usage.ru_stime - usage_start.ru_stime,
        "first_loss": losses[0], "last_loss": losses[-1]}))


if __name__ == "__main__":
    main()
