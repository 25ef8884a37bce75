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


def attention(q, k, v, window=None, scale=None, softcap=None):
    # q, k, v: (B, heads, T, hd)
    scores = q @ k.transpose(-1, -2) * (scale if scale else 1.0 / math.sqrt(q.shape[-1]))
    if softcap:
        scores = softcap * torch.tanh(scores / softcap)
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


def gelu_exact(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


FAMILY = {  # transformers' configuration defaults used by the tiny configs' missing keys
    "gemma": dict(head_dim=256, rms=1e-6, tie=True),
    "gemma2": dict(head_dim=256, rms=1e-6, tie=True),
    "gemma3_text": dict(head_dim=256, rms=1e-6, tie=True),
    "phi3": dict(head_dim=None, rms=1e-5, tie=False),
}


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
    elif kind in ("longrope", "su"):
        return inv  # factors applied in rope_tables
    elif kind != "default":
        raise SystemExit("reference: rope type %s not implemented" % kind)
    return inv


def rope_tables(cfg, rd, t, local=False):
    """cos, sin (T, rd) for the global (or Gemma 3 local) layers."""
    if local:
        theta = cfg.get("rope_local_base_freq", 10000.0)
        inv = 1.0 / (theta ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))
    else:
        inv = inverse_frequencies(cfg, rd)
    _, kind, s = rope_settings(cfg)
    scale = 1.0
    if kind in ("longrope", "su"):
        original = cfg.get("original_max_position_embeddings", cfg["max_position_embeddings"])
        factors = s["long_factor"] if t > original else s["short_factor"]
        inv = inv / torch.tensor(factors, dtype=torch.float64)
        ratio = cfg["max_position_embeddings"] / original
        scale = s.get("attention_factor") or (1.0 if ratio <= 1 else math.sqrt(1 + math.log(ratio) / math.log(original)))
    angles = torch.outer(torch.arange(t, dtype=torch.float64), inv)
    emb = torch.cat((angles, angles), dim=-1)
    return emb.cos() * scale, emb.sin() * scale


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def layer_windows(cfg, mt, layers):
    if mt in ("gemma2", "gemma3_text"):
        window = cfg.get("sliding_window", 4096)
        if cfg.get("layer_types"):
            return [window if kind == "sliding_attention" else None for kind in cfg["layer_types"]]
        if mt == "gemma2":
            return [window if i % 2 == 0 else None for i in range(layers)]
        pattern = cfg.get("sliding_window_pattern", 6)
        return [window if (i + 1) % pattern else None for i in range(layers)]
    if mt == "phi3":
        return [cfg.get("sliding_window")] * layers
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
    fam = FAMILY.get(mt, dict(head_dim=128 if mt == "qwen3" else None, rms=1e-6, tie=False))
    gemma = mt.startswith("gemma")
    sandwich = mt in ("gemma2", "gemma3_text")
    hidden = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = cfg.get("head_dim") or fam["head_dim"] or hidden // nh
    rd = int(hd * cfg.get("partial_rotary_factor", 1.0))
    eps = cfg.get("rms_norm_eps", fam["rms"])
    layers = cfg["num_hidden_layers"]
    b, t = ids.shape
    cos, sin = rope_tables(cfg, rd, t)
    local_cos, local_sin = rope_tables(cfg, rd, t, local=True) if mt == "gemma3_text" else (cos, sin)
    windows = layer_windows(cfg, mt, layers)
    scale = cfg.get("query_pre_attn_scalar", 256) ** -0.5 if sandwich else None
    softcap = cfg.get("attn_logit_softcapping", 50.0 if mt == "gemma2" else None)
    final_cap = cfg.get("final_logit_softcapping", 30.0 if mt == "gemma2" else None)
    act = cfg.get("hidden_act", "gelu_pytorch_tanh") if mt == "gemma" else cfg.get("hidden_activation", "gelu_pytorch_tanh")

    def norm(x, name):
        weight = w[name + ".weight"]
        return rms_norm(x, 1.0 + weight if gemma else weight, eps)

    def proj(x, name):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    def rope(x, c, s_):
        rot, rest = x[..., :rd], x[..., rd:]
        return torch.cat((rot * c + rotate_half(rot) * s_, rest), dim=-1)

    def mlp(h, p):
        if mt == "phi3":
            gate, up = proj(h, p + "mlp.gate_up_proj").chunk(2, dim=-1)
        else:
            gate, up = proj(h, p + "mlp.gate_proj"), proj(h, p + "mlp.up_proj")
        if not gemma:
            a = gate * torch.sigmoid(gate)
        else:
            a = gelu_exact(gate) if act == "gelu" else gelu_new(gate)
        return proj(a * up, p + "mlp.down_proj")

    x = w["model.embed_tokens.weight"][ids]
    if gemma:
        x = x * math.sqrt(hidden)
    for i in range(layers):
        p = "model.layers.%d." % i
        h = norm(x, p + "input_layernorm")
        if mt == "phi3":
            q, k, v = proj(h, p + "self_attn.qkv_proj").split([nh * hd, nkv * hd, nkv * hd], dim=-1)
        else:
            q, k, v = (proj(h, p + "self_attn.%s_proj" % n) for n in "qkv")
        q, k, v = q.view(b, t, nh, hd), k.view(b, t, nkv, hd), v.view(b, t, nkv, hd)
        if mt in ("qwen3", "gemma3_text"):
            q = norm(q, p + "self_attn.q_norm")
            k = norm(k, p + "self_attn.k_norm")
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        c, s_ = (local_cos, local_sin) if windows[i] and mt == "gemma3_text" else (cos, sin)
        q, k = rope(q, c, s_), rope(k, c, s_)
        k = k[:, :, None].expand(b, nkv, nh // nkv, t, hd).reshape(b, nh, t, hd)
        v = v[:, :, None].expand(b, nkv, nh // nkv, t, hd).reshape(b, nh, t, hd)
        y = attention(q, k, v, windows[i], scale, softcap).transpose(1, 2).reshape(b, t, nh * hd)
        a = proj(y, p + "self_attn.o_proj")
        if sandwich:
            x = x + norm(a, p + "post_attention_layernorm")
            x = x + norm(mlp(norm(x, p + "pre_feedforward_layernorm"), p), p + "post_feedforward_layernorm")
        else:
            x = x + a
            x = x + mlp(norm(x, p + "post_attention_layernorm"), p)
    x = norm(x, "model.norm")
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", fam["tie"]) else w["lm_head.weight"]
    logits = x @ head.T
    if final_cap:
        logits = final_cap * torch.tanh(logits / final_cap)
    return logits


def text_part(cfg, weights):
    """A multimodal gemma3 folder: its text_config and language-model weights."""
    if cfg["model_type"] != "gemma3":
        return cfg, weights
    text = dict(cfg["text_config"])
    text.setdefault("model_type", "gemma3_text")
    renamed = {}
    for name, value in weights.items():
        for old, new in (("language_model.model.", "model."), ("model.language_model.", "model."),
                         ("language_model.lm_head.", "lm_head.")):
            if name.startswith(old):
                renamed[new + name[len(old):]] = value
    return text, renamed


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "ids.json")) as f:
        ids = torch.tensor(json.load(f), dtype=torch.int64)
    cfg, weights = text_part(cfg, read_weights(folder))
    with torch.no_grad():
        if cfg["model_type"] == "gpt2":
            logits = gpt2_logits(cfg, weights, ids)
        else:
            logits = llama_logits(cfg, weights, ids)
    write_safetensors(os.path.join(folder, "ref_logits.safetensors"), "logits", logits)


if __name__ == "__main__":
    main()
