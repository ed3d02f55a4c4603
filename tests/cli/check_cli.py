#!/usr/bin/env python3
"""Checks the llmrt command-line tool against the shared llama.cpp references.

Run by ctest (tests/cli.cmake), one case per test:
    python3 check_cli.py --tool build/llmrt --model models/stories260K/stories260K.gguf \
        --shared ../shared --case tokenize
Exits 0 when the case passes; otherwise prints what differed and exits 1.
"""
import argparse
import json
import os
import subprocess
import sys

PROMPT = "Once upon a time"


class CheckFailed(Exception):
    pass


def run(tool, args, expect_code=0, timeout=600):
    """Runs the tool; returns (stdout, stderr). Fails unless the exit code is expect_code
    (None accepts any non-zero code)."""
    proc = subprocess.run([tool] + args, capture_output=True, timeout=timeout)
    out = proc.stdout.decode("utf-8", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    ok = proc.returncode != 0 if expect_code is None else proc.returncode == expect_code
    if not ok:
        raise CheckFailed(
            f"`llmrt {' '.join(args)}` exited with {proc.returncode}, expected "
            f"{'non-zero' if expect_code is None else expect_code}\nstdout:\n{out}\nstderr:\n{err}")
    return out, err


def run_json(tool, args, timeout=600):
    out, err = run(tool, args + ["--json"], timeout=timeout)
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        raise CheckFailed(f"`llmrt {' '.join(args)} --json` printed invalid JSON ({e}):\n{out}\n{err}")


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def load_reference(shared):
    with open(os.path.join(shared, "reference", "stories260K.json"), encoding="utf-8") as f:
        return json.load(f)


# ---- cases ------------------------------------------------------------------------------------

def case_tokenize(a):
    ref = load_reference(a.shared)["prompts"][0]
    want = ref["prompt_token_ids"]
    out, _ = run(a.tool, ["tokenize", "-m", a.model, "-p", PROMPT])
    got = [int(x) for x in out.split()]
    expect(got == want, f"tokenize: got {got}, want {want}")
    data = run_json(a.tool, ["tokenize", "-m", a.model, "-p", PROMPT])
    expect(data["ids"] == want, f"tokenize --json ids: got {data['ids']}, want {want}")
    expect(len(data["pieces"]) == len(want), "tokenize --json: one piece per id")
    expect("".join(data["pieces"][1:]) == " " + PROMPT,
           f"tokenize --json pieces {data['pieces']} do not spell ' {PROMPT}'")
    out, _ = run(a.tool, ["tokenize", "-m", a.model, "-p", PROMPT, "--no-bos"])
    expect([int(x) for x in out.split()] == want[1:], f"tokenize --no-bos: got {out.strip()}")


def case_generate(a):
    ref = load_reference(a.shared)["prompts"][0]
    args = ["generate", "-m", a.model, "-p", PROMPT, "-n", "32", "--temp", "0", "-t", "2"]
    out, _ = run(a.tool, args)
    expect(ref["greedy_text"] in out,
           f"generate: greedy text not in output\n got: {out!r}\nwant: {ref['greedy_text']!r}")


def case_generate_json(a):
    ref = load_reference(a.shared)["prompts"][0]
    data = run_json(a.tool, ["generate", "-m", a.model, "-p", PROMPT, "-n", "32", "--temp", "0"])
    expect(data["tokens"] == ref["greedy_token_ids"],
           f"generate --json tokens: got {data['tokens']}, want {ref['greedy_token_ids']}")
    expect(data["text"] == ref["greedy_text"], f"generate --json text: got {data['text']!r}")
    expect(data["n_prompt"] == len(ref["prompt_token_ids"]), f"n_prompt: {data['n_prompt']}")
    expect(data["n_generated"] == 32, f"n_generated: {data['n_generated']}")
    expect(data["stop_reason"] == "length", f"stop_reason: {data['stop_reason']}")


def case_info(a):
    data = run_json(a.tool, ["info", "-m", a.model])
    expect(data["architecture"] == "llama", f"info architecture: {data['architecture']}")
    expect(data["n_vocab"] == 512, f"info n_vocab: {data['n_vocab']}")
    expect(data["bos"] == 1 and data["eos"] == 2, f"info bos/eos: {data['bos']}/{data['eos']}")
    expect(data["n_params"] > 0 and data["weight_bytes"] > 0, f"info sizes: {data}")
    out, _ = run(a.tool, ["info", "-m", a.model])
    expect("llama" in out, f"info text output lacks the architecture:\n{out}")


def case_perplexity(a):
    ref = load_reference(a.shared)["perplexity_wikitext2_test"]
    want = ref["results"]["F32"]
    text_file = os.path.join(a.shared, "data", "wikitext-2-raw", "wiki.test.raw")
    data = run_json(a.tool, ["perplexity", "-m", a.model, "-f", text_file, "-c", "512",
                             "--chunks", "40", "-t", "2"], timeout=1800)
    expect(data["chunks"] == 40 and data["n_ctx"] == 512, f"perplexity chunks/n_ctx: {data}")
    rel = abs(data["ppl"] - want["ppl"]) / want["ppl"]
    expect(rel <= 0.005, f"perplexity {data['ppl']:.4f} is {rel:.2%} from llama.cpp's {want['ppl']}")
    # The error estimate uses llama.cpp's formula; it tracks PPL, so the bound can be loose.
    rel_se = abs(data["stderr"] - want["stderr"]) / want["stderr"]
    expect(rel_se <= 0.05, f"perplexity stderr {data['stderr']:.5f} vs llama.cpp's {want['stderr']}")
    expect(data["tokens_per_second"] > 0, f"tokens_per_second: {data['tokens_per_second']}")
    print(f"PPL = {data['ppl']:.4f} +/- {data['stderr']:.5f} (llama.cpp {want['ppl']} +/- "
          f"{want['stderr']}), {data['tokens_per_second']:.0f} tokens/s")


def case_perplexity_text(a):
    # Few chunks: this checks the llama.cpp-style text output, not the value.
    text_file = os.path.join(a.shared, "data", "wikitext-2-raw", "wiki.test.raw")
    out, _ = run(a.tool, ["perplexity", "-m", a.model, "-f", text_file, "-c", "128", "--chunks", "3"])
    expect(out.startswith("[1]") and "[3]" in out, f"perplexity: no running values:\n{out}")
    expect("Final estimate: PPL = " in out and "+/-" in out, f"perplexity: no final estimate:\n{out}")


def case_bench(a):
    # A smoke test: speed is never asserted, only that every figure was measured.
    rows = run_json(a.tool, ["bench", "-m", a.model, "-p", "16", "-n", "8", "-r", "1", "-t", "1,2"])
    expect(isinstance(rows, list) and len(rows) == 2, f"bench: want 2 rows for -t 1,2, got {rows}")
    expect([r["n_threads"] for r in rows] == [1, 2], f"bench thread counts: {rows}")
    for r in rows:
        for key in ["prompt_tps_mean", "gen_tps_mean", "first_token_ms_mean", "per_token_ms_mean",
                    "weight_bytes", "achieved_gbps", "bandwidth_gbps", "bandwidth_ratio",
                    "peak_rss_bytes"]:
            expect(isinstance(r.get(key), (int, float)) and r[key] > 0,
                   f"bench: {key} = {r.get(key)!r} is not a positive number")
        print(f"t={r['n_threads']}: pp {r['prompt_tps_mean']:.0f} t/s, tg {r['gen_tps_mean']:.0f} "
              f"t/s, {r['achieved_gbps']:.2f} of {r['bandwidth_gbps']:.1f} GB/s")
    out, _ = run(a.tool, ["bench", "-m", a.model, "-p", "8", "-n", "4", "-r", "2", "-t", "1",
                          "--no-bandwidth"])
    expect(out.startswith("| model") and "pp8 t/s" in out and "tg4 t/s" in out,
           f"bench: no markdown table:\n{out}")


def case_missing_model(a):
    path = "/nonexistent/dir/no-such-model.gguf"
    _, err = run(a.tool, ["info", "-m", path], expect_code=None)
    expect(path in err, f"missing model: stderr does not name the path:\n{err}")
    _, err = run(a.tool, ["generate", "-m", path, "-p", "x"], expect_code=None)
    expect(path in err, f"missing model (generate): stderr does not name the path:\n{err}")


def case_usage_errors(a):
    _, err = run(a.tool, ["no-such-command"], expect_code=2)
    expect("no-such-command" in err, f"unknown command: stderr does not name it:\n{err}")
    run(a.tool, [], expect_code=2)
    _, err = run(a.tool, ["generate", "-m", a.model, "-p", "x", "--bogus"], expect_code=2)
    expect("--bogus" in err, f"unknown flag: stderr does not name it:\n{err}")
    _, err = run(a.tool, ["generate", "-m", a.model, "-p", "x", "-n", "many"], expect_code=2)
    expect("many" in err, f"bad value: stderr does not name it:\n{err}")
    _, err = run(a.tool, ["generate", "-m", a.model, "-p", "x", "--top-p", "1.5"], expect_code=2)
    expect("range" in err, f"out-of-range value: {err}")
    run(a.tool, ["tokenize", "-p", "x"], expect_code=2)          # -m missing
    run(a.tool, ["bench", "-m", a.model, "-t", "1,x"], expect_code=2)
    run(a.tool, ["info", "-m", a.model, "--synthetic", "llama-7b"], expect_code=2)
    for command in ["generate", "tokenize", "info", "perplexity", "bench"]:
        out, _ = run(a.tool, [command, "--help"])
        expect(out.startswith("usage: llmrt " + command), f"{command} --help:\n{out}")
    out, _ = run(a.tool, ["--help"])
    expect("perplexity" in out, f"--help lists no commands:\n{out}")


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True, help="path of the llmrt executable")
    parser.add_argument("--model", required=True, help="the bundled stories260K GGUF")
    parser.add_argument("--shared", required=True, help="the shared directory (references, data)")
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    args = parser.parse_args()
    try:
        CASES[args.case](args)
    except CheckFailed as e:
        print(f"FAIL {args.case}: {e}", file=sys.stderr)
        return 1
    print(f"PASS {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
