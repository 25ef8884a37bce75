#!/usr/bin/python3
"""Independent reference logits for Lorafit's model tests.

Usage: /usr/bin/python3 ref_causal_lm.py DIR

Reads DIR/config.json, the safetensors weights of DIR (model.safetensors or a
model.safetensors.index.json with shards) and DIR/ids.json (a list of lists of
token ids, one per batch row), runs the forward pass of GPT2LMHeadModel or
Llama/Mistral/Qwen2/Qwen3ForCausalLM written from the transformers modeling
math (not from Lorafit's C++), and writes DIR/ref_logits.safetensors holding
one F32 tensor "logits" of shape (B, T, V). Computes in float64.

Needs only torch (Debian's python3-torch); safetensors is parsed with struct
and json so the reference shares no code with the reader under test.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]) if raw else torch.empty(0, dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).to(torch.float64)
    return tensors


def read_weights(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
        weights = {}
        for name in files:
            weights.update(read_safetensors(os.path.join(folder, name)))
        return weights
    return read_safetensors(os.path.join(folder, "model.safetensors"))


def write_safetensors(path, name, tensor):
    t = tensor.to(torch.float32).contiguous()
    raw = t.numpy().tobytes()
    header = json.dumps({name: {"dtype": "F32", "shape": list(t.shape), "data_offsets": [0, len(raw)]}})
    header += " " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header.encode() + raw)


def causal_mask(t, window=None):
    q = torch.arange(t)[:, None]
    k = torch.arange(t)[None, :]
    allowed = k <= q
    if window:
        allowed &= k > q - window
    return allowed


def attention(q, k, v, window=None):
    # q, k, v: (B, heads, T, hd)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~causal_mask(q.shape[2], window), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


# ---------------------------------------------------------------- GPT-2

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_logits(cfg, w, ids):
    w = {(k[len("transformer."):] if k.startswith("transformer.") else k): v for k, v in w.items()}
    c = cfg.get("n_embd", 768)
    nh = cfg.get("n_head", 12)
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    hd = c // nh
    b, t = ids.shape
    x = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(t)]
    for i in range(cfg.get("n_layer", 12)):
        p = "h.%d." % i
        h = torch.nn.functional.layer_norm(x, (c,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (z.view(b, t, nh, hd).transpose(1, 2) for z in qkv.split(c, dim=2))
        y = attention(q, k, v).transpose(1, 2).reshape(b, t, c)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = torch.nn.functional.layer_norm(x, (c,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = torch.nn.functional.layer_norm(x, (c,), w["ln_f.weight"], w["ln_f.bias"], eps)
    head = w["wte.weight"] if cfg.get("tie_word_embeddings", True) else w["lm_head.weight"]
    return x @ head.T


# ---------------------------------------------------------------- Llama family

def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope_settings(cfg):
    params = cfg.get("rope_parameters") or {}
    theta = cfg.get("rope_theta")
    if theta is None:
        theta = params.get("rope_theta", 10000.0)
    scaling = cfg.get("rope_scaling") or params or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    return theta, kind, scaling


def inverse_frequencies(cfg, hd):
    theta, kind, s = rope_settings(cfg)
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    if kind == "linear":
        inv = inv / s["factor"]
    elif kind == "llama3":
        factor, low, high = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
        old = s["original_max_position_embeddings"]
        low_wl, high_wl = old / low, old / high
        out = []
        for f in inv.tolist():
            wl = 2 * math.pi / f
            if wl < high_wl:
                out.append(f)
            elif wl > low_wl:
                out.append(f / factor)
            else:
                smooth = (old / wl - low) / (high - low)
                out.append((1 - smooth) * f / factor + smooth * f)
        inv = torch.tensor(out, dtype=torch.float64)
    elif kind != "default":
        raise SystemExit("reference: rope type %s not implemented" % kind)
    return inv


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def layer_windows(cfg, mt, layers):
    if mt == "mistral":
        window = cfg.get("sliding_window", 4096)
    elif mt in ("qwen2", "qwen3") and cfg.get("use_sliding_window", False):
        window = cfg.get("sliding_window", 4096)
    else:
        window = None
    if not window:
        return [None] * layers
    if cfg.get("layer_types"):
        return [window if kind == "sliding_attention" else None for kind in cfg["layer_types"]]
    first = 0 if mt == "mistral" else cfg.get("max_window_layers", 28)
    return [window if i >= first else None for i in range(layers)]


def llama_logits(cfg, w, ids):
    mt = cfg["model_type"]
    hidden = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = cfg.get("head_dim") or (128 if mt == "qwen3" else hidden // nh)
    eps = cfg.get("rms_norm_eps", 1e-6)
    layers = cfg["num_hidden_layers"]
    b, t = ids.shape
    angles = torch.outer(torch.arange(t, dtype=torch.float64), inverse_frequencies(cfg, hd))
    emb = torch.cat((angles, angles), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    windows = layer_windows(cfg, mt, layers)

    def proj(x, name):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    x = w["model.embed_tokens.weight"][ids]
    for i in range(layers):
        p = "model.layers.%d." % i
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = proj(h, p + "self_attn.q_proj").view(b, t, nh, hd)
        k = proj(h, p + "self_attn.k_proj").view(b, t, nkv, hd)
        v = proj(h, p + "self_attn.v_proj").view(b, t, nkv, hd)
        if mt == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k[:, :, None].expand(b, nkv, nh // nkv, t, hd).reshape(b, nh, t, hd)
        v = v[:, :, None].expand(b, nkv, nh // nkv, t, hd).reshape(b, nh, t, hd)
        y = attention(q, k, v, windows[i]).transpose(1, 2).reshape(b, t, nh * hd)
        x = x + proj(y, p + "self_attn.o_proj")
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = proj(h, p + "mlp.gate_proj")
        x = x + proj(gate * torch.sigmoid(gate) * proj(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return x @ head.T


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "ids.json")) as f:
        ids = torch.tensor(json.load(f), dtype=torch.int64)
    weights = read_weights(folder)
    with torch.no_grad():
        if cfg["model_type"] == "gpt2":
            logits = gpt2_logits(cfg, weights, ids)
        else:
            logits = llama_logits(cfg, weights, ids)
    write_safetensors(os.path.join(folder, "ref_logits.safetensors"), "logits", logits)


if __name__ == "__main__":
    main()
