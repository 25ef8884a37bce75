#!/usr/bin/python3
"""Lorafit's adapters loaded by the real PEFT and transformers.

Usage: peft_crosscheck.py --cli LORAFIT_CLI --work DIR [--venv DIR] [--models gpt2,llama,qwen3,gemma2,phi3,demo]
                          [--prepare-only]
       peft_crosscheck.py --from-prepared DIR --eval-tool LORAFIT_GPUCHECK [--device cuda]

For each model (tiny random gpt2, llama, qwen3, gemma2 and phi3 folders written
here with transformers, and the demo model of resources/demo) this
  1. trains a LoRA adapter for a few steps with `lorafit-cli train`,
  2. exports the checkpoint with `lorafit-cli export --format peft,merged`,
  3. takes the per-token losses of a text from `lorafit-cli eval --token-losses`
     with the PEFT adapter on the base, and of the merged model alone,
  4. loads base + adapter with transformers + PEFT (PeftModel.from_pretrained)
     and the merged folder with plain AutoModelForCausalLM, in float32, and
     computes the same losses on the same token ids and windows,
and fails unless PEFT loaded every tensor of the adapter file unchanged and
the losses agree within 1e-4 relative (largest absolute difference
over the largest loss, as tests/engine/tensorcompare.h). Two controls show the
comparison can fail: the adapter must move Lorafit's losses by far more than
the tolerance, and the PEFT model with one lora_B scaled by 1.05 must miss it.

With --venv the script re-runs itself with DIR/bin/python (the environment of
scripts/reference-venv.sh); it exits 77 (CTest's skip code) with the reason when
that environment could not be made.

On a GPU machine without Qt (no lorafit-cli), the work is split: --prepare-only
does steps 1-3 here and records each model's files, token ids and CPU losses in
DIR/<model>/prepared.json (paths relative to DIR, so the folder can travel);
--from-prepared DIR then computes Lorafit's losses again with
`lorafit-gpucheck eval --device D` and the reference with transformers + PEFT
on the same device, both in f32, and compares them at the same tolerance
(tests/bench/gpu_check.sh runs it on CUDA). LORAFIT_REFERENCE_PYTHON names another
interpreter with torch, transformers and peft instead (e.g. one with torch 2.x
and transformers >= 4.51, which has Qwen3). A model whose architecture the
installed transformers lacks is reported as skipped; the others still count.
"""
import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys

TOLERANCE = 1e-4  # relative, f32
SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "resources", "demo")
WINDOW = 48  # eval window (tokens): the text spans several windows
STEPS = 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", help="lorafit-cli executable")
    parser.add_argument("--work", help="scratch folder (emptied first)")
    parser.add_argument("--venv", help="virtual environment made by scripts/reference-venv.sh")
    parser.add_argument("--models", default="gpt2,llama,qwen3,gemma2,phi3,demo")
    parser.add_argument("--prepare-only", action="store_true",
                        help="train, export and evaluate with lorafit-cli, record prepared.json, compare nothing")
    parser.add_argument("--from-prepared", metavar="DIR", help="compare the models a --prepare-only run left in DIR")
    parser.add_argument("--eval-tool", help="lorafit-gpucheck executable (its eval subcommand), with --from-prepared")
    parser.add_argument("--device", default="cpu", help="device of both sides' evaluation: cpu, cuda, cuda:N")
    args = parser.parse_args()
    if args.from_prepared:
        if not args.eval_tool:
            parser.error("--from-prepared needs --eval-tool LORAFIT_GPUCHECK")
    elif not args.cli or not args.work:
        parser.error("--cli and --work are required (or --from-prepared DIR --eval-tool TOOL)")
    return args


def enter_environment(args):
    """Re-executes under the reference interpreter, or exits with SKIP."""
    python = os.environ.get("LORAFIT_REFERENCE_PYTHON")
    if not python and args.venv:
        venv = os.path.abspath(args.venv)
        if os.path.isfile(os.path.join(venv, "READY")):
            python = os.path.join(venv, "bin", "python")
        else:
            reason_file = os.path.join(venv, "SKIPPED")
            reason = open(reason_file).read().strip() if os.path.isfile(reason_file) else (
                "no environment at " + venv + " (hint: bash scripts/reference-venv.sh " + venv + ")")
            print("SKIP: PEFT cross-check: " + reason)
            sys.exit(SKIP)
    if python and os.environ.get("LORAFIT_REFERENCE_ENTERED") != "1":
        os.environ["LORAFIT_REFERENCE_ENTERED"] = "1"
        os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


def run(command, what):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit("FAIL: %s: exit %d\n  command: %s\n  stdout: %s\n  stderr: %s" % (
            what, result.returncode, " ".join(command), result.stdout.strip()[-2000:], result.stderr.strip()[-2000:]))
    return result.stdout


# ---- fixtures -------------------------------------------------------------

def f32(torch, transformers):
    """from_pretrained's float32 argument: `dtype` from transformers 4.56, `torch_dtype` before; eager
    attention (Gemma 2's soft-capping is only in transformers' eager path)."""
    version = tuple(int(p) for p in transformers.__version__.split(".")[:2])
    dtype = {"dtype": torch.float32} if version >= (4, 56) else {"torch_dtype": torch.float32}
    return dict(dtype, attn_implementation="eager")


def tiny_config(transformers, name):
    common = dict(vocab_size=4096, bos_token_id=0, eos_token_id=0)
    if name == "gpt2":
        return transformers.GPT2Config(n_embd=64, n_layer=2, n_head=4, n_positions=64, **common)
    shape = dict(hidden_size=64, intermediate_size=112, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6,
                 tie_word_embeddings=False, **common)
    if name == "llama":
        return transformers.LlamaConfig(**shape)
    if name == "gemma2":  # soft-capping, a 16-token window on even layers, tied head, query scalar != head_dim
        shape.update(tie_word_embeddings=True, head_dim=16, query_pre_attn_scalar=24, sliding_window=16,
                     attn_logit_softcapping=20.0, final_logit_softcapping=15.0)
        return transformers.Gemma2Config(**shape)
    if name == "phi3":  # fused qkv_proj / gate_up_proj, partial rotary
        return transformers.Phi3Config(partial_rotary_factor=0.5, pad_token_id=0, **shape)
    return transformers.Qwen3Config(head_dim=24, **shape)  # head_dim != hidden / heads, as in Qwen3-0.6B


def write_tiny_model(torch, transformers, name, folder):
    """A tiny random model in Hugging Face format (save_pretrained) with the demo's tokenizer."""
    torch.manual_seed(5)
    model = transformers.AutoModelForCausalLM.from_config(tiny_config(transformers, name), **f32(torch, transformers))
    with torch.no_grad():
        for pname, p in model.named_parameters():
            noise = torch.randn(p.shape)
            if p.dim() == 1 and ("norm" in pname or "ln_" in pname) and pname.endswith("weight"):
                p.copy_((0.0 if name == "gemma2" else 1.0) + 0.2 * noise)  # Gemma scales by 1 + weight
            elif p.dim() == 1:
                p.copy_(0.1 * noise)
            elif "wte" in pname or "wpe" in pname or "embed" in pname:
                p.copy_(0.5 * noise)
            else:
                p.copy_(0.15 * noise)
    model.save_pretrained(folder, safe_serialization=True)
    for file in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(DEMO, "model", file), folder)


LORA = {
    # GPT-2's Conv1D layers (PEFT sets fan_in_fan_out) with DoRA, and dropout that eval must switch off.
    "gpt2": dict(rank=4, alpha=8.0, dropout=0.05, dora=True, target_mode="all-linear", target_modules=[]),
    # rank-stabilised scaling (alpha / sqrt(r)) and a rank pattern.
    "llama": dict(rank=8, alpha=16.0, rslora=True, target_mode="suffixes",
                  target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                  rank_pattern={"down_proj": 4}),
    "qwen3": dict(rank=4, alpha=16.0, target_mode="suffixes", target_modules=["q_proj", "v_proj", "up_proj"]),
    "gemma2": dict(rank=4, alpha=8.0, target_mode="all-linear", target_modules=[]),
    # PEFT's names for Phi-3's fused projections.
    "phi3": dict(rank=4, alpha=16.0, target_mode="suffixes", target_modules=["qkv_proj", "o_proj", "gate_up_proj"]),
    "demo": {},  # the demo's own settings (resources/demo/demo.json)
}


def write_settings(name, base, folder):
    with open(os.path.join(DEMO, "demo.json")) as f:
        settings = json.load(f)
    sections = settings["sections"]
    sections["model"]["values"]["path"] = os.path.abspath(base)
    data = sections["dataset"]["values"]
    data["train_path"] = os.path.join(DEMO, data["train_path"])
    data["validation_path"] = os.path.join(DEMO, data["validation_path"])
    data["max_length"] = 64
    sections["lora"]["values"].update(LORA[name])
    optimizer = sections["optimizer"]["values"]
    optimizer.update(learning_rate=5e-3, schedule="constant", warmup_steps=0)
    sections["training"]["values"].update(max_steps=STEPS, batch_size=4, eval_every=0, checkpoint_every=STEPS,
                                          probe_every=0, threads=2)
    path = os.path.join(folder, "settings.json")
    with open(path, "w") as f:
        json.dump(settings, f, indent=2)
    return path


def eval_text(path):
    """A few validation completions of the demo dataset: ~150 tokens, several windows."""
    with open(os.path.join(DEMO, "data", "style_validation.jsonl")) as f:
        lines = [json.loads(line)["completion"].strip() for _, line in zip(range(4), f)]
    with open(path, "w") as f:
        f.write(" ".join(lines) + "\n")


# ---- Lorafit side ---------------------------------------------------------

def read_token_losses(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [int(r["position"]) for r in rows], [int(r["token_id"]) for r in rows], [float(r["loss"]) for r in rows]


def lorafit_losses(evaluate, model, text, ids, out, adapter=None):
    """Per-token losses from `evaluate` ([lorafit-cli or lorafit-gpucheck, "eval", "--device", D])."""
    command = evaluate + ["--model", model, "--text", text, "--token-losses", out, "--max-length", str(WINDOW)]
    if adapter:
        command += ["--adapter", adapter]
    run(command, os.path.basename(evaluate[0]) + " eval of " + (adapter or model))
    positions, token_ids, losses = read_token_losses(out)
    if positions != list(range(1, len(ids))) or token_ids != ids[1:]:
        raise SystemExit("FAIL: %s: positions or token ids differ from 'lorafit-cli tokenize' (%d ids)" % (out, len(ids)))
    return losses


# ---- reference side -------------------------------------------------------

def reference_losses(torch, model, ids):
    """-log p(ids[t] | window) with the windows of engine/generate/tokenlosses.cpp."""
    losses = []
    device = next(model.parameters()).device
    with torch.no_grad():
        for begin in range(0, len(ids) - 1, WINDOW - 1):
            window = torch.tensor([ids[begin:begin + WINDOW]], device=device)
            logits = model(input_ids=window, use_cache=False).logits[0].double()  # (T, V), computed in f32
            logp = torch.log_softmax(logits[:-1], dim=-1)
            losses += (-logp.gather(1, window[0, 1:, None])[:, 0]).cpu().tolist()
    return losses


def relative(actual, expected):
    worst = max(abs(a - b) for a, b in zip(actual, expected))
    return worst / max(max(abs(b) for b in expected), 1e-12)


def check_loaded(torch, model, adapter):
    """Every tensor of the adapter file is in the PEFT model, unchanged, and no adapter tensor is left out."""
    from safetensors.torch import load_file
    path = os.path.join(adapter, "adapter_model.safetensors")
    saved = load_file(path)
    state = {k.replace(".default", ""): v for k, v in model.state_dict().items() if "lora_" in k}
    state.update({k[:-len(".weight")]: v for k, v in list(state.items()) if "magnitude" in k and k.endswith(".weight")})
    for key, value in saved.items():
        if key not in state or not torch.equal(state[key], value.to(state[key].device, state[key].dtype)):
            raise SystemExit("FAIL: %s: tensor '%s' is %s in the PEFT model (hint: compare the key names with "
                             "peft's get_peft_model_state_dict)" % (path, key, "different" if key in state else "missing"))
    adapters = sum(1 for k in model.state_dict() if "lora_" in k)
    if adapters != len(saved):
        raise SystemExit("FAIL: %s holds %d tensors but the PEFT model has %d adapter tensors: PEFT kept some at "
                         "their initial values" % (path, len(saved), adapters))


def first_lora_b(model):
    for name, module in model.named_modules():
        if hasattr(module, "lora_B") and len(module.lora_B) > 0:
            return name, next(iter(module.lora_B.values())).weight
    raise SystemExit("FAIL: the PEFT model has no lora_B weights")


def prepare_model(torch, transformers, cli, name, work):
    """Steps 1-3 with lorafit-cli; returns (and records in prepared.json) what the comparison needs."""
    folder = os.path.join(work, name)
    os.makedirs(folder)
    if name == "demo":
        base = os.path.join(folder, "base")
        shutil.copytree(os.path.join(DEMO, "model"), base)  # inside the folder, so it travels with it
    else:
        if name == "qwen3" and not hasattr(transformers, "Qwen3ForCausalLM"):
            return {"model": name, "skipped": "transformers %s has no Qwen3 (added in 4.51, which needs torch >= 2.1; "
                    "hint: LORAFIT_REFERENCE_PYTHON=<python with torch 2.x, transformers>=4.51, peft>=0.15>)"
                    % transformers.__version__}
        base = os.path.join(folder, "base")
        write_tiny_model(torch, transformers, name, base)

    settings = write_settings(name, base, folder)
    run_dir = os.path.join(folder, "run")
    run([cli, "train", settings, "--out", run_dir, "--max-steps", str(STEPS), "--quiet"], "lorafit-cli train " + name)
    checkpoint = os.path.join(run_dir, "checkpoint-%d" % STEPS)
    export = os.path.join(folder, "export")
    run([cli, "export", checkpoint, "--format", "peft,merged", "--out", export], "lorafit-cli export " + checkpoint)
    shutil.rmtree(run_dir)  # the checkpoint's optimizer state is not needed any more

    text = os.path.join(folder, "text.txt")
    eval_text(text)
    ids = json.loads(run([cli, "tokenize", "--model", base, "--file", text], "lorafit-cli tokenize"))
    evaluate = [cli, "eval", "--device", "cpu"]
    prepared = {"model": name, "base": "base", "adapter": "export/peft", "merged": "export/merged",
                "text": "text.txt", "ids": ids,
                "cpu": {"base": lorafit_losses(evaluate, base, text, ids, os.path.join(folder, "base.tsv")),
                        "adapter": lorafit_losses(evaluate, base, text, ids, os.path.join(folder, "adapter.tsv"),
                                                  os.path.join(export, "peft")),
                        "merged": lorafit_losses(evaluate, os.path.join(export, "merged"), text, ids,
                                                 os.path.join(folder, "merged.tsv"))}}
    with open(os.path.join(folder, "prepared.json"), "w") as f:
        json.dump(prepared, f)
    return prepared


def compare_model(torch, transformers, peft, prepared, folder, evaluate, device):
    """Lorafit's losses (from the CPU run, or again with `evaluate` on `device`) against transformers + PEFT."""
    path = lambda key: os.path.join(folder, prepared[key])
    base, adapter, merged, text, ids = path("base"), path("adapter"), path("merged"), path("text"), prepared["ids"]
    if evaluate:
        ours_base = lorafit_losses(evaluate, base, text, ids, os.path.join(folder, "base.%s.tsv" % device))
        ours_adapter = lorafit_losses(evaluate, base, text, ids, os.path.join(folder, "adapter.%s.tsv" % device),
                                      adapter)
        ours_merged = lorafit_losses(evaluate, merged, text, ids, os.path.join(folder, "merged.%s.tsv" % device))
    else:
        ours_base, ours_adapter, ours_merged = (prepared["cpu"][k] for k in ("base", "adapter", "merged"))

    auto = transformers.AutoModelForCausalLM
    peft_model = peft.PeftModel.from_pretrained(auto.from_pretrained(base, **f32(torch, transformers)), adapter)
    peft_model = peft_model.to(device).eval()
    check_loaded(torch, peft_model, adapter)
    b_name, b_weight = first_lora_b(peft_model)
    if float(b_weight.abs().max()) == 0.0:
        raise SystemExit("FAIL: %s: lora_B of %s is zero after %d steps (nothing to compare)" % (adapter, b_name, STEPS))
    ref_adapter = reference_losses(torch, peft_model, ids)
    with torch.no_grad():
        b_weight.mul_(1.05)
    ref_perturbed = reference_losses(torch, peft_model, ids)
    ref_merged = reference_losses(torch, auto.from_pretrained(merged, **f32(torch, transformers)).to(device).eval(),
                                  ids)

    result = {"model": prepared["model"], "tokens": len(ids), "windows": math.ceil((len(ids) - 1) / (WINDOW - 1)),
              "adapter": relative(ours_adapter, ref_adapter), "merged": relative(ours_merged, ref_merged),
              "adapter_effect": relative(ours_base, ours_adapter), "perturbed": relative(ours_adapter, ref_perturbed),
              "perturbed_module": b_name, "adapter_dir": adapter, "merged_dir": merged, "folder": folder}
    if evaluate and device != "cpu":  # the same Lorafit evaluation on the CPU and on the device
        result["device_vs_cpu"] = relative(ours_adapter, prepared["cpu"]["adapter"])
    return result


def verdict(result):
    if "skipped" in result:
        return []
    problems = []
    for key, what in (("adapter", "base + PEFT adapter"), ("merged", "merged model")):
        if not result[key] <= TOLERANCE:
            problems.append("%s: %s losses differ from transformers by %.3g relative (> %g); files: %s, "
                            "Lorafit's losses in %s.tsv" % (result["model"], what, result[key], TOLERANCE,
                                                            result[key + "_dir"], result["folder"] + "/" + key))
    if not result["adapter_effect"] > 100 * TOLERANCE:
        problems.append("%s: the adapter moves Lorafit's losses by only %.3g relative, too little to test "
                        "(hint: more steps or a larger learning rate)" % (result["model"], result["adapter_effect"]))
    if not result["perturbed"] > TOLERANCE:
        problems.append("%s: scaling lora_B of %s by 1.05 changed the reference by only %.3g: the comparison "
                        "cannot see the adapter" % (result["model"], result["perturbed_module"], result["perturbed"]))
    return problems


def main():
    args = parse_args()
    enter_environment(args)
    import peft
    import torch
    import transformers
    torch.set_num_threads(2)
    print("reference: python %s, torch %s, transformers %s, peft %s, device %s%s" % (
        sys.version.split()[0], torch.__version__, transformers.__version__, peft.__version__, args.device,
        " (%s)" % torch.cuda.get_device_name(torch.device(args.device)) if args.device.startswith("cuda") else ""))
    if args.from_prepared:
        work = os.path.abspath(args.from_prepared)
        names = sorted(n for n in os.listdir(work) if os.path.isfile(os.path.join(work, n, "prepared.json")))
        if not names:
            raise SystemExit("FAIL: no <model>/prepared.json in %s (hint: peft_crosscheck.py --prepare-only)" % work)
        evaluate = [os.path.abspath(args.eval_tool), "eval", "--device", args.device]
        results = []
        for name in names:
            with open(os.path.join(work, name, "prepared.json")) as f:
                prepared = json.load(f)
            try:  # one model's failure does not hide the others' results
                results.append(compare_model(torch, transformers, peft, prepared, os.path.join(work, name), evaluate,
                                             args.device))
            except SystemExit as failure:
                results.append({"model": name, "failed": str(failure)})
    else:
        cli, work = os.path.abspath(args.cli), os.path.abspath(args.work)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        prepared = [prepare_model(torch, transformers, cli, name, work) for name in args.models.split(",")]
        if args.prepare_only:
            for p in prepared:
                print("%-6s %s" % (p["model"], "skipped: " + p["skipped"] if "skipped" in p else
                                   "prepared in " + os.path.join(work, p["model"])))
            return
        results = [p if "skipped" in p else compare_model(torch, transformers, peft, p,
                                                          os.path.join(work, p["model"]), None, "cpu")
                   for p in prepared]
    problems = []
    for r in results:
        if "skipped" in r:
            print("%-6s skipped: %s" % (r["model"], r["skipped"]))
            continue
        if "failed" in r:
            problems.append(r["model"] + ": " + r["failed"])
            continue
        print("%-6s %3d tokens, %d windows: max relative difference adapter %.2e, merged %.2e "
              "(tolerance %g); adapter effect %.2e, lora_B x1.05 %.2e%s" % (
                  r["model"], r["tokens"], r["windows"], r["adapter"], r["merged"], TOLERANCE,
                  r["adapter_effect"], r["perturbed"],
                  "; Lorafit %s vs CPU %.2e" % (args.device, r["device_vs_cpu"]) if "device_vs_cpu" in r else ""))
        problems += verdict(r)
    checked = sum(1 for r in results if "skipped" not in r and "failed" not in r)
    for p in problems:
        print("FAIL: " + p)
    if problems or checked == 0:
        sys.exit(1)
    print("PEFT cross-check: %d model(s) agree with transformers %s + peft %s on %s" % (
        checked, transformers.__version__, peft.__version__, args.device))


if __name__ == "__main__":
    main()
