#!/usr/bin/env python3
"""Checks the llmrt command-line tool against the shared llama.cpp references.

Run by ctest (tests/cli.cmake), one case per test:
    python3 check_cli.py --tool build/llmrt --model models/stories260K/stories260K.gguf \
        --shared ../shared --case tokenize
Exits 0 when the case passes; otherwise prints what differed and exits 1.
"""
import argparse
import glob
import json
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile

PROMPT = "Once upon a time"


class CheckFailed(Exception):
    pass


def run(tool, args, expect_code=0, timeout=600, stdin_text=None):
    """Runs the tool; returns (stdout, stderr). Fails unless the exit code is expect_code
    (None accepts any non-zero code). stdin_text, if given, is the tool's standard input."""
    proc = subprocess.run([tool] + args, capture_output=True, timeout=timeout,
                          input=None if stdin_text is None else stdin_text.encode("utf-8"))
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


def chat_reports(err):
    """The JSON lines `llmrt chat --verbose` prints on stderr, one per answered turn."""
    prefix = "llmrt chat: {"
    return [json.loads(line[len("llmrt chat: "):]) for line in err.splitlines() if line.startswith(prefix)]


def case_chat(a):
    # Two turns, /reset, the first turn again, /exit: greedy, on a model without a chat template
    # (the plain "User: ...\nAssistant:" fallback, which stops at "\nUser:").
    n = "16"
    stdin_text = "Tell me a story.\nWhat happened next?\n/reset\nTell me a story.\n/exit\nnot read\n"
    out, err = run(a.tool, ["chat", "-m", a.model, "-n", n, "--temp", "0", "-t", "2", "--verbose"],
                   stdin_text=stdin_text, timeout=60)
    expect("no chat template" in err, f"chat: no warning about the missing template:\n{err}")
    turns = chat_reports(err)
    expect(len(turns) == 3, f"chat: {len(turns)} turns reported, want 3 (the input after /exit is not read):\n{err}")
    for i, t in enumerate(turns):
        # Each answer is what generate gives for the same rendered prompt, cut at the stop string.
        gen, _ = run(a.tool, ["generate", "-m", a.model, "-p", t["prompt"], "-n", n, "--temp", "0", "-t", "2"])
        want = gen[:-1].split("\nUser:")[0]
        expect(t["answer"] == want, f"chat turn {i + 1}: answer {t['answer']!r} != generate's {want!r}")
        expect(t["answer"].strip() in out, f"chat turn {i + 1}: answer not printed:\n{out}")
        expect(t["n_evaluated"] == t["n_prompt_tokens"] - t["n_reused"], f"chat turn {i + 1}: token counts {t}")
    first, second, again = turns
    expect(first["n_reused"] == 0, f"chat: the first turn reused a cache: {first}")
    # The second rendering extends the first with its answer, so its tokens are reused from the
    # cache: only the new turn is evaluated.
    expect(second["prompt"].startswith(first["prompt"] + first["answer"]),
           f"chat: the second prompt does not extend the first:\n{second['prompt']!r}")
    expect(second["n_reused"] >= first["n_prompt_tokens"],
           f"chat: the second turn re-evaluated the first (reused {second['n_reused']} of "
           f"{first['n_prompt_tokens']} prompt tokens)")
    # /reset forgets the conversation and the cache.
    expect(again["prompt"] == first["prompt"] and again["n_reused"] == 0 and again["answer"] == first["answer"],
           f"chat: after /reset the first turn differs: {again} vs {first}")
    expect("error" not in err, f"chat: errors on stderr:\n{err}")


def case_chat_template(a):
    """chat-template renders the reference templates byte for byte (one conversation each) and
    prints Jinja2's message where the reference raised; bad invocations are usage errors."""
    ref = json.load(open(os.path.join(a.shared, "reference", "chat-templates.json"), encoding="utf-8"))
    checked = errors = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmpl_path, ctx_path = os.path.join(tmp, "t.jinja"), os.path.join(tmp, "ctx.json")
        for t in ref["templates"]:
            if "strftime_now" in t["template"] or "firefunction" in t["name"]:
                continue  # the reference froze the date (the tool uses today's); `functions` is llama.cpp's
            with open(tmpl_path, "w", encoding="utf-8") as f:
                f.write(t["template"])
            ok = [c for c in t["cases"] if "error" not in c][:2]
            failing = [c for c in t["cases"] if "error" in c][:1]
            for c in ok + failing:
                context = {"messages": c["messages"], "add_generation_prompt": c["add_generation_prompt"]}
                if "tools" in c:
                    context["tools"] = c["tools"]
                context.update(t["special_tokens"])
                context.update(c.get("extra_kwargs", {}))
                with open(ctx_path, "w", encoding="utf-8") as f:
                    json.dump(context, f, ensure_ascii=False)
                args = ["chat-template", "--template", tmpl_path, "--context", ctx_path]
                if "error" in c:
                    _, err = run(a.tool, args, expect_code=1)
                    expect(c["error"] in err, f"{t['name']} {c['conversation']}: {err!r} lacks {c['error']!r}")
                    errors += 1
                else:
                    out, _ = run(a.tool, args)
                    expect(out == c["output"], f"{t['name']} {c['conversation']}: {out!r} != {c['output']!r}")
                    checked += 1
        expect(checked >= 20 and errors >= 3, f"only {checked} renderings and {errors} errors checked")
        run(a.tool, ["chat-template", "--context", ctx_path], expect_code=2)  # neither -m nor --template
        _, err = run(a.tool, ["chat-template", "-m", a.model, "--context", ctx_path], expect_code=1)
        expect("no chat template" in err, f"stories260K has no template: {err!r}")
        with open(ctx_path, "w") as f:
            f.write("{\"messages\": 3}")
        run(a.tool, ["chat-template", "--template", tmpl_path, "--context", ctx_path], expect_code=2)


def case_chat_window(a):
    # A window of 80 tokens holds one turn and its answer: later turns drop the oldest turns (never
    # the system message) and evaluate the rest again from there; answers still equal generate's.
    n = "16"
    out, err = run(a.tool, ["chat", "-m", a.model, "-n", n, "--temp", "0", "-t", "2", "-c", "80", "--system",
                            "Be kind.", "--verbose"],
                   stdin_text="Tell me a story.\nWhat happened next?\nAnd then?\n", timeout=60)
    turns = chat_reports(err)
    expect(len(turns) == 3, f"chat: {len(turns)} turns reported, want 3:\n{err}")
    expect(any(t["n_dropped_messages"] > 0 for t in turns[1:]),
           f"chat: no turn was dropped in an 80-token window:\n{err}")
    for i, t in enumerate(turns):
        expect(t["prompt"].startswith("Be kind.\n\nUser: "), f"chat turn {i + 1}: the system message is not first "
               f"(or a turn was cut in half): {t['prompt']!r}")
        expect(t["n_prompt_tokens"] + min(int(n), 40) <= 80, f"chat turn {i + 1}: the prompt leaves no room: {t}")
        if t["n_dropped_messages"] > 0:
            # Only the start that still agrees (the system message) comes from the cache.
            expect(t["n_reused"] < turns[i - 1]["n_prompt_tokens"],
                   f"chat turn {i + 1}: dropped turns but reused the whole cache: {t}")
        gen, _ = run(a.tool, ["generate", "-m", a.model, "-p", t["prompt"], "-n", n, "--temp", "0", "-t", "2"])
        expect(t["answer"] == gen[:-1].split("\nUser:")[0], f"chat turn {i + 1}: answer differs from generate's")


def case_chat_interrupt(a):
    # Ctrl-C during an answer stops that answer only: the chat reads on (/exit, exit code 0). A
    # model slower than stories260K (whose answers end in milliseconds) gives time to interrupt.
    model = os.path.join(a.shared, "models", "debdoc-8M-gguf", "debdoc-8M-Q8_0.gguf")
    # SIGINT back to its default: a shell's background job may start with it ignored, and an
    # ignored signal never reaches the tool's watcher thread.
    proc = subprocess.Popen([a.tool, "chat", "-m", model, "-n", "100000", "-c", "4096", "--temp", "0", "-t", "1",
                             "--verbose"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    proc.stdin.write(b"Tell me about Debian.\n")
    proc.stdin.flush()
    shown = b""
    while len(shown) < 40:  # the prompt "> " and the start of the streamed answer
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        expect(ready, f"chat: no answer streamed within 30 s (got {shown!r})")
        chunk = os.read(proc.stdout.fileno(), 4096)
        expect(chunk, f"chat: stdout closed early (got {shown!r})")
        shown += chunk
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(b"/exit\n", timeout=60)
    out, err = (shown + out).decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")
    expect(proc.returncode == 0, f"chat after Ctrl-C: exit {proc.returncode}, want 0 (/exit)\n{err}")
    expect("answer stopped" in err, f"chat: Ctrl-C did not stop the answer:\n{err}")
    turns = chat_reports(err)
    expect(len(turns) == 1 and turns[0]["answer"].strip() and turns[0]["answer"].strip() in out,
           f"chat: the stopped answer is not kept as shown:\n{err}")
    expect(out.rstrip().endswith(">"), f"chat: no prompt for the next message after Ctrl-C:\n{out[-200:]}")


def case_generate_json(a):
    ref = load_reference(a.shared)["prompts"][0]
    data = run_json(a.tool, ["generate", "-m", a.model, "-p", PROMPT, "-n", "32", "--temp", "0"])
    expect(data["tokens"] == ref["greedy_token_ids"],
           f"generate --json tokens: got {data['tokens']}, want {ref['greedy_token_ids']}")
    expect(data["text"] == ref["greedy_text"], f"generate --json text: got {data['text']!r}")
    expect(data["n_prompt"] == len(ref["prompt_token_ids"]), f"n_prompt: {data['n_prompt']}")
    expect(data["n_generated"] == 32, f"n_generated: {data['n_generated']}")
    expect(data["stop_reason"] == "length", f"stop_reason: {data['stop_reason']}")


def case_generate_streaming(a):
    """--keep/--discard (re-evaluate) and --shift-roped-k generate 4x a 64-token window; without
    them the window ends the generation; the shifts are reported on stderr."""
    base = ["generate", "-m", a.model, "-p", PROMPT, "-n", "256", "-c", "64", "--temp", "0", "--ignore-eos"]
    off = run_json(a.tool, base)
    expect(off["stop_reason"] == "context_full" and off["n_generated"] < 64, f"without a shift: {off['stop_reason']}")
    for flags, name in [(["--keep", "4"], "re-evaluate"), (["--discard", "20", "--shift-roped-k"], "shift_roped_k")]:
        data = run_json(a.tool, base + flags)
        expect(data["n_generated"] == 256 and data["stop_reason"] == "length",
               f"{' '.join(flags)}: {data['n_generated']} tokens, stop reason {data['stop_reason']}")
        _, err = run(a.tool, base + flags)
        expect(f"shifts ({name})" in err, f"{' '.join(flags)}: no shift report on stderr:\n{err}")
    run(a.tool, base + ["--keep", "64"], expect_code=None)  # n_keep >= n_ctx


def case_generate_beams(a):
    # One beam is greedy search (HF): the reference's greedy ids. More beams: the best first.
    ref = load_reference(a.shared)["prompts"][0]
    data = run_json(a.tool, ["generate", "-m", a.model, "-p", PROMPT, "-n", "32", "--beams", "1"])
    expect(data["beams"][0]["tokens"] == ref["greedy_token_ids"], f"generate --beams 1: {data}")
    expect(data["n_prompt"] == len(ref["prompt_token_ids"]), f"n_prompt: {data['n_prompt']}")
    data = run_json(a.tool, ["generate", "-m", a.model, "-p", PROMPT, "-n", "16", "--beams", "4",
                             "--num-return", "3", "--length-penalty", "0.5", "--early-stopping"])
    scores = [b["score"] for b in data["beams"]]
    expect(len(scores) == 3 and scores == sorted(scores, reverse=True), f"generate --beams 4: {data}")
    out, _ = run(a.tool, ["generate", "-m", a.model, "-p", PROMPT, "-n", "8", "--beams", "2", "--num-return", "2"])
    expect(out.startswith("[0] score ") and "\n[1] score " in out, f"generate --beams text: {out!r}")
    _, err = run(a.tool, ["generate", "-m", a.model, "-p", PROMPT, "--num-return", "2"], expect_code=2)
    expect("--num-return needs --beams" in err, f"generate --num-return without --beams: {err!r}")


def case_generate_sampling(a):
    """The sampling flags reach the library: each changes the greedy tokens as defined."""
    ref = load_reference(a.shared)["prompts"][0]
    base = ["generate", "-m", a.model, "-p", PROMPT, "-n", "80", "--temp", "0", "--ignore-eos"]
    plain = run_json(a.tool, base)["tokens"]
    first = plain[0]
    banned = run_json(a.tool, base + ["--logit-bias", f"{first}=-inf,0=0.5"])["tokens"]
    expect(banned[0] != first, f"--logit-bias {first}=-inf: first token still {first}")

    def repeated_bigrams(ids):
        pairs = list(zip(ids, ids[1:]))
        return len(pairs) - len(set(pairs))
    no_repeat = run_json(a.tool, base + ["--no-repeat-ngram-size", "2"])["tokens"]
    expect(repeated_bigrams(ref["prompt_token_ids"] + plain) > 0, "greedy output without the ban repeats no bigram")
    expect(repeated_bigrams(ref["prompt_token_ids"] + no_repeat) == 0,
           f"--no-repeat-ngram-size 2 repeats a bigram: {no_repeat}")
    for flag in ["--presence-penalty", "--frequency-penalty"]:
        # 40 tokens: within the penalty window (--repeat-last-n 64).
        tokens = run_json(a.tool, base + [flag, "100", "-n", "40"])["tokens"]
        expect(len(tokens) == 40 and len(set(tokens)) == 40, f"{flag} 100: a token repeats within the window: {tokens}")
    for bad in ["5", "x=1", "5=nan", "5=1,"]:
        _, err = run(a.tool, base + ["--logit-bias", bad], expect_code=2)
        expect("--logit-bias" in err, f"--logit-bias {bad}: stderr does not name the flag:\n{err}")
    _, err = run(a.tool, base + ["--logit-bias", "99999=1"], expect_code=None)
    expect("99999" in err, f"--logit-bias 99999=1: stderr does not name the id:\n{err}")


def case_info(a):
    data = run_json(a.tool, ["info", "-m", a.model])
    expect(data["architecture"] == "llama", f"info architecture: {data['architecture']}")
    expect(data["n_vocab"] == 512, f"info n_vocab: {data['n_vocab']}")
    expect(data["bos"] == 1 and data["eos"] == 2, f"info bos/eos: {data['bos']}/{data['eos']}")
    expect(data["n_params"] > 0 and data["weight_bytes"] > 0, f"info sizes: {data}")
    out, _ = run(a.tool, ["info", "-m", a.model])
    expect("llama" in out, f"info text output lacks the architecture:\n{out}")


def case_info_tensor_types(a):
    # llama.cpp's Q4_K_M mix: Q4_K for most matrices, Q6_K for some, F32 norms (counts from
    # gguf-py, as in tests/api/test_tensor_types.cpp); loaded, the blocks are repacked into int types.
    path = os.path.join(a.shared, "models", "debdoc-8M-gguf", "debdoc-8M-Q4_K_M.gguf")
    data = run_json(a.tool, ["info", "-m", path])
    file_types = {t["type"]: t for t in data["file_tensor_types"]}
    expect(list(file_types) == ["q4_k", "q6_k", "f32"], f"info file_tensor_types: {data['file_tensor_types']}")
    q4k = file_types["q4_k"]
    expect((q4k["n_tensors"], q4k["n_params"], q4k["n_bytes"]) == (49, 6422528, 3612672), f"info q4_k: {q4k}")
    expect(abs(q4k["bits_per_weight"] - 4.5) < 1e-9, f"info q4_k bits per weight: {q4k}")
    loaded = data["loaded_tensor_types"]
    expect(loaded and all(t["type"] == "f32" or t["type"].startswith("int") for t in loaded),
           f"info loaded_tensor_types: {loaded}")
    expect(sum(t["n_params"] for t in loaded) == data["n_params"], f"info loaded n_params: {loaded}")
    out, _ = run(a.tool, ["info", "-m", path])
    expect("tensor types in the file" in out and "q4_k" in out and "4.50" in out,
           f"info text output lacks the file's tensor types:\n{out}")
    expect("tensor types as loaded" in out, f"info text output lacks the loaded tensor types:\n{out}")


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


def case_nul_bytes(a):
    # A NUL byte in a file is text like any other byte (stories260K has the byte token <0x00>):
    # tokenize -f and perplexity -f see the whole file, not the 17 bytes before the NUL.
    text = b"Once upon a time\0there was a little girl who liked to play in the park with her dog."
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "nul.txt")
        with open(path, "wb") as f:
            f.write(text)
        ids = run_json(a.tool, ["tokenize", "-m", a.model, "-f", path])["ids"]
        head = run_json(a.tool, ["tokenize", "-m", a.model, "-p", text[:16].decode()])["ids"]
        expect(ids[:len(head)] == head and len(ids) > len(head) + 10,
               f"tokenize -f: {ids} does not continue after the NUL (before it: {head})")
        nul_id = 3  # <0x00>: the byte tokens follow <unk>, <s>, </s>
        expect(ids[len(head)] == nul_id, f"tokenize -f: the NUL byte is not token {nul_id}: {ids}")
        data = run_json(a.tool, ["perplexity", "-m", a.model, "-f", path, "-c", "8", "--chunks", "1"])
        expect(data["n_tokens"] == len(ids), f"perplexity -f: {data['n_tokens']} tokens, tokenize -f: {len(ids)}")
        run(a.tool, ["tokenize", "-m", a.model, "-f", path, "-p", "x"], expect_code=2)


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


def case_bench_parallel(a):
    # N sequences decoded together: one row per N, generation speed an aggregate (never asserted).
    rows = run_json(a.tool, ["bench", "-m", a.model, "-p", "8", "-n", "4", "-r", "1", "-t", "2",
                             "--parallel", "1,4", "--no-bandwidth"])
    expect([r["parallel"] for r in rows] == [1, 4], f"bench --parallel 1,4: {rows}")
    for r in rows:
        expect(r["gen_tps_mean"] > 0 and r["prompt_tps_mean"] > 0, f"bench --parallel row: {r}")
    out, _ = run(a.tool, ["bench", "-m", a.model, "-p", "8", "-n", "4", "-r", "1", "-t", "1",
                          "--parallel", "2", "--no-bandwidth"])
    expect("parallel" in out.splitlines()[0], f"bench --parallel: no parallel column:\n{out}")


MATMUL_ROLES = ["attn_qkv", "attn_output", "ffn_gate_up", "ffn_down"]


def case_bench_profile(a):
    # --profile: one profiled repetition per row, reported per op; speed is never asserted.
    n_layer = run_json(a.tool, ["info", "-m", a.model])["n_layer"]
    rows = run_json(a.tool, ["bench", "-m", a.model, "-p", "8", "-n", "4", "-r", "1", "-t", "1,2",
                             "--no-bandwidth", "--profile"])
    expect(len(rows) == 2, f"bench --profile: want 2 rows for -t 1,2, got {len(rows)}")
    for r in rows:
        profile = r.get("profile")
        expect(isinstance(profile, dict), f"bench --profile: row without a profile: {r}")
        decode, prefill = profile["decode"], profile["prefill"]
        expect(decode["steps"] == 4 and decode["tokens"] == 4, f"bench --profile decode: {decode}")
        expect(prefill["steps"] == 1 and prefill["tokens"] == 8, f"bench --profile prefill: {prefill}")
        for phase in (decode, prefill):
            ops = {op["op"]: op for op in phase["ops"]}
            for role in MATMUL_ROLES:
                op = ops.get("matmul." + role)
                expect(op is not None and op["calls"] == n_layer * phase["steps"] and op["bytes"] > 0,
                       f"bench --profile: matmul.{role} is {op}")
            total = sum(op["seconds"] for op in phase["ops"])
            expect(total <= phase["seconds"], f"bench --profile: ops take {total} s of {phase['seconds']} s")
    plain = run_json(a.tool, ["bench", "-m", a.model, "-p", "8", "-n", "2", "-r", "1", "-t", "1",
                              "--no-bandwidth"])
    expect("profile" not in plain[0], f"bench without --profile has a profile: {plain[0]}")

    out, _ = run(a.tool, ["bench", "-m", a.model, "-p", "8", "-n", "4", "-r", "1", "-t", "1",
                          "--no-bandwidth", "--profile"])
    for text in ["(steps: 4, tokens/step: 1)", "(steps: 1, tokens/step: 8)", "| matmul.ffn_gate_up",
                 "calls/step", "GB/s", "barrier wait:", "pool runs:"]:
        expect(text in out, f"bench --profile: {text!r} not in the output:\n{out}")
    expect(out.count("barrier wait:") == 2, f"bench --profile: want a decode and a prefill table:\n{out}")


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
    for command in ["generate", "tokenize", "info", "perplexity", "bench", "quantize", "check"]:
        out, _ = run(a.tool, [command, "--help"])
        expect(out.startswith("usage: llmrt " + command), f"{command} --help:\n{out}")
    out, _ = run(a.tool, ["--help"])
    expect("perplexity" in out, f"--help lists no commands:\n{out}")


def llmrt_file_tensor_offset(path, name):
    """Where tensor `name`'s bytes start in an llmrt file (layout in src/formats/llmrt_file.h)."""
    with open(path, "rb") as f:
        data = f.read()
    header_len = struct.unpack_from("<Q", data, 16)[0]
    header = json.loads(data[24:24 + header_len])
    data_start = (24 + header_len + 63) // 64 * 64
    entry = next(t for t in header["tensors"] if t["name"] == name)
    return data_start + entry["offset"] + entry["nbytes"] // 2


def case_check(a):
    with tempfile.TemporaryDirectory() as workdir:
        good = os.path.join(workdir, "good.llmrt")
        run(a.tool, ["quantize", "-m", a.model, "-o", good, "--weight-dtype", "int4"])
        out, _ = run(a.tool, ["check", good])
        expect("all" in out and "checksums match" in out, f"check of an intact file:\n{out}")
        data = run_json(a.tool, ["check", good])
        expect(data["ok"] and data["checked"] > 40 and data["damaged"] == [], f"check --json: {data}")

        bad = os.path.join(workdir, "bad.llmrt")
        damaged = ["blk.0.attn_q.weight", "blk.3.ffn_down.weight"]
        with open(good, "rb") as f:
            content = bytearray(f.read())
        for name in damaged:
            content[llmrt_file_tensor_offset(good, name)] ^= 0x04
        with open(bad, "wb") as f:
            f.write(content)
        out, err = run(a.tool, ["check", bad], expect_code=1)
        for name in damaged:
            expect(f"damaged tensor '{name}'" in out, f"check does not list {name}:\n{out}")
            expect(name in err, f"check's error does not name {name}:\n{err}")
        expect(out.count("damaged") == 2, f"check lists intact tensors as damaged:\n{out}")
        proc = subprocess.run([a.tool, "check", bad, "--json"], capture_output=True)
        expect(proc.returncode == 1, f"check --json of a damaged file exited with {proc.returncode}")
        data = json.loads(proc.stdout)
        expect(not data["ok"] and sorted(d["name"] for d in data["damaged"]) == damaged, f"check --json: {data}")
        # Loading names the first damaged tensor.
        _, err = run(a.tool, ["info", "-m", bad], expect_code=1)
        expect("tensor 'blk.0.attn_q.weight' is corrupt" in err, f"info on a damaged file:\n{err}")

        _, err = run(a.tool, ["check", a.model], expect_code=1)
        expect("not an llmrt file" in err, f"check of a GGUF file:\n{err}")
        run(a.tool, ["check"], expect_code=2)
        run(a.tool, ["check", good, "-m", good], expect_code=2)


# ---- quantization (tests/quant.cmake, label "quant") ------------------------------------------

WIKITEXT = os.path.join("data", "wikitext-2-raw", "wiki.test.raw")


def hf_dir(a):
    return os.path.join(a.shared, "models", "stories260K-hf")


def check_quantized(a, source, input_bytes, workdir, tag):
    """Quantizes source to int8 and int4 (g32), checks sizes, info and greedy generation."""
    ref = load_reference(a.shared)["prompts"][0]
    sizes = {}
    for dtype in ["int8", "int4"]:
        out = os.path.join(workdir, f"{tag}-{dtype}.llmrt")
        data = run_json(a.tool, ["quantize", "-m", source, "-o", out, "--weight-dtype", dtype,
                                 "--group-size", "32"])
        expect(os.path.isfile(out), f"quantize {dtype}: {out} was not written")
        expect(data["output_bytes"] == os.path.getsize(out),
               f"quantize {dtype}: output_bytes {data['output_bytes']} != size {os.path.getsize(out)}")
        expect(data["input_bytes"] == input_bytes,
               f"quantize {dtype}: input_bytes {data['input_bytes']} != {input_bytes}")
        expect(abs(data["ratio"] - input_bytes / data["output_bytes"]) < 1e-9, f"ratio: {data}")
        expect(data["seconds"] >= 0 and data["weight_type"].startswith(dtype), f"quantize: {data}")
        sizes[dtype] = data["output_bytes"]
        info = run_json(a.tool, ["info", "-m", out])
        expect(info["weight_type"].startswith(dtype),
               f"info on the {dtype} file reports weight type {info['weight_type']!r}")
        gen = run_json(a.tool, ["generate", "-m", out, "-p", PROMPT, "-n", "32", "--temp", "0"])
        expect(gen["text"].strip() != "", f"generate on the {dtype} file: empty text {gen}")
        if dtype == "int8":
            want = ref["greedy_token_ids"][:8]
            expect(gen["tokens"][:8] == want,
                   f"generate on the int8 file: first 8 tokens {gen['tokens'][:8]}, f32 reference {want}")
        print(f"{tag} {dtype}: {input_bytes} -> {data['output_bytes']} bytes ({data['ratio']:.2f}x, "
              f"{data['weight_type']}), text {gen['text']!r}")
    expect(sizes["int4"] < sizes["int8"] < input_bytes,
           f"sizes: int4 {sizes['int4']}, int8 {sizes['int8']}, input {input_bytes}")


def case_quantize_gguf(a):
    with tempfile.TemporaryDirectory() as workdir:
        check_quantized(a, a.model, os.path.getsize(a.model), workdir, "gguf")


def case_quantize_hf(a):
    source = hf_dir(a)
    input_bytes = sum(os.path.getsize(p) for p in glob.glob(os.path.join(source, "*.safetensors")))
    with tempfile.TemporaryDirectory() as workdir:
        check_quantized(a, source, input_bytes, workdir, "hf")


def case_quantize_export(a):
    """--output-format gguf: a GGUF file that loads and reports its Q4_0 weights; a type GGUF cannot
    hold is refused naming the tensor, leaving nothing behind."""
    with tempfile.TemporaryDirectory() as workdir:
        out = os.path.join(workdir, "q4_0.gguf")
        data = run_json(a.tool, ["quantize", "-m", a.model, "-o", out, "--output-format", "gguf",
                                 "--scale-dtype", "fp16", "--overrides", "token_embd=int8;ffn_down=f32"])
        expect(data["output_format"] == "gguf", f"quantize --output-format gguf: {data}")
        with open(out, "rb") as f:
            expect(f.read(4) == b"GGUF", f"{out} is not a GGUF file")
        expect(data["output_bytes"] == os.path.getsize(out), f"output_bytes: {data}")
        expect(data["weight_type"].startswith("int4_g32_sym_fp16"), f"weight type of the GGUF file: {data}")
        bad = os.path.join(workdir, "nf4.gguf")
        _, err = run(a.tool, ["quantize", "-m", a.model, "-o", bad, "--output-format", "gguf",
                              "--weight-dtype", "nf4"], expect_code=1)
        expect("nf4" in err and "tensor" in err, f"an nf4 GGUF export: stderr does not say why:\n{err}")
        expect(os.listdir(workdir) == ["q4_0.gguf"], f"a refused export left {os.listdir(workdir)}")
        # hf-gptq: a directory; int4 cannot pack stories260K's 172-wide down projection into 32-bit words.
        gptq = os.path.join(workdir, "gptq")
        data = run_json(a.tool, ["quantize", "-m", hf_dir(a), "-o", gptq, "--output-format", "hf-gptq",
                                 "--weight-dtype", "int8", "--scale-dtype", "fp16"])
        with open(os.path.join(gptq, "config.json")) as f:
            q = json.load(f)["quantization_config"]
        expect(q["quant_method"] == "gptq" and q["bits"] == 8 and q["checkpoint_format"] == "gptq", f"config: {q}")
        expect(data["weight_type"] == "int8_g32_sym_fp16", f"hf-gptq: the reloaded directory is {data}")
        _, err = run(a.tool, ["quantize", "-m", hf_dir(a), "-o", os.path.join(workdir, "int4"), "--output-format",
                              "hf-gptq", "--scale-dtype", "fp16"], expect_code=1)
        expect("down_proj" in err and "32-bit words" in err, f"an int4 hf-gptq export of 172 columns:\n{err}")
        expect(sorted(os.listdir(workdir)) == ["gptq", "q4_0.gguf"], f"a refused export left {os.listdir(workdir)}")


def perplexity(a, model, extra=()):
    data = run_json(a.tool, ["perplexity", "-m", model, "-f", os.path.join(a.shared, WIKITEXT),
                             "-c", "512", "--chunks", "40", "-t", "2"] + list(extra), timeout=1800)
    expect(data["chunks"] == 40, f"perplexity: {data}")
    return data


def check_ppl_bounds(a, bounds):
    """In-memory quantization of each type in bounds (name -> (extra flags, max relative
    change from f32)); the f32 value is measured in the same run. Returns each run's JSON."""
    results = {"f32": perplexity(a, a.model)}
    base = results["f32"]["ppl"]
    expect(results["f32"]["weight_type"] == "f32", f"perplexity f32: {results['f32']}")
    print(f"f32: PPL {base:.4f}")
    failures = []
    for name, (flags, bound) in bounds.items():
        results[name] = perplexity(a, a.model, flags)
        dtype = flags[flags.index("--weight-dtype") + 1]
        expect(results[name]["weight_type"].startswith(dtype),
               f"perplexity --weight-dtype {dtype}: the model has weight type {results[name]['weight_type']!r}")
        ppl = results[name]["ppl"]
        rel = (ppl - base) / base
        print(f"{name}: PPL {ppl:.4f} ({rel:+.3%} vs f32, bound {bound:.1%})")
        if abs(rel) > bound:
            failures.append(f"{name}: PPL {ppl:.4f} is {rel:+.3%} from f32 {base:.4f} (bound {bound:.1%})")
    expect(not failures, "; ".join(failures))
    return results


def case_quant_perplexity_int(a):
    results = check_ppl_bounds(a, {
        "int8": (["--weight-dtype", "int8"], 0.005),
        "int4 g32": (["--weight-dtype", "int4", "--group-size", "32"], 0.05),
    })
    # The quantized file is a repack of what in-memory quantization computes: same numbers.
    mem = results["int8"]
    with tempfile.TemporaryDirectory() as workdir:
        out = os.path.join(workdir, "int8.llmrt")
        run_json(a.tool, ["quantize", "-m", a.model, "-o", out, "--weight-dtype", "int8"])
        from_file = perplexity(a, out)
    expect(from_file["weight_type"] == mem["weight_type"],
           f"int8 file weight type {from_file['weight_type']!r} != in-memory {mem['weight_type']!r}")
    expect(from_file["ppl"] == mem["ppl"] and from_file["stderr"] == mem["stderr"],
           f"int8 file PPL {from_file['ppl']!r} +/- {from_file['stderr']!r} != in-memory "
           f"{mem['ppl']!r} +/- {mem['stderr']!r}")
    print(f"int8 file: PPL {from_file['ppl']:.4f} == in-memory")


def case_gguf_quant_types(a):
    # llama.cpp's files of debdoc-8M in the quantization mixes of types read since the K-quants
    # came (Q5_1, the K-quant mixes, IQ4_XS; Q5_0, Q4_1 and IQ4_NL are covered by the unit tests,
    # Q8_0 and Q4_0 by older ones): our perplexity within 0.2% of llama.cpp's for the same file
    # (its -ub 1 runs). Measured: within 0.05% for every file, Q8_0 and Q4_0 included.
    with open(os.path.join(a.shared, "reference", "debdoc-8M.json"), encoding="utf-8") as f:
        llama = json.load(f)["llama_cpp"]
    reference = {r["file"]: r["ub1"]["wiki_ppl"][0] for r in llama["table"] + llama["table_more"] if "ub1" in r}
    folder = os.path.join(a.shared, "models", "debdoc-8M-gguf")
    failures = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(("-Q8_0.gguf", "-Q4_0.gguf")):
            continue
        want = reference[name]
        got = perplexity(a, os.path.join(folder, name))["ppl"]
        rel = (got - want) / want
        print(f"{name}: PPL {got:.4f}, llama.cpp {want:.4f} ({rel:+.3%})")
        if abs(rel) > 0.002:
            failures.append(f"{name}: {got:.4f} vs llama.cpp {want:.4f} ({rel:+.3%})")
    expect(not failures, "perplexity off by more than 0.2%: " + "; ".join(failures))


def case_quant_perplexity_fp(a):
    # nf4 and fp4 (g32, absmax scales) measured +28.7% and +30.4% over f32 on this 260K-parameter
    # model, above the 15% first aimed at; an independent Python RTN of the same weights run as
    # f32 gives the same PPL (211.6 vs 211.8 for nf4), so this is the method's loss here, not a
    # bug (int4 does better with llama.cpp's signed-max scale). Bound: 35%, about 5 points above
    # the measured values. fp8 measured +2.0% (e4m3) and +2.2% (e5m2): the 10% bound holds.
    check_ppl_bounds(a, {
        "fp8_e4m3": (["--weight-dtype", "fp8_e4m3"], 0.10),
        "fp8_e5m2": (["--weight-dtype", "fp8_e5m2"], 0.10),
        "nf4": (["--weight-dtype", "nf4"], 0.35),
        "fp4": (["--weight-dtype", "fp4"], 0.35),
    })


def case_quant_bench(a):
    # A smoke test of one run over several types: rows, types, sizes and ratios, not speed.
    types = ["f32", "int8", "int4"]
    rows = run_json(a.tool, ["bench", "--synthetic", "stories260k", "--weight-dtype", ",".join(types),
                             "-t", "1,2", "-p", "16", "-n", "8", "-r", "1", "--no-bandwidth"])
    expect(len(rows) == 6, f"bench: want 6 rows (3 types x 2 thread counts), got {len(rows)}")
    expect([(r["weight_dtype"], r["n_threads"]) for r in rows] ==
           [(t, n) for t in types for n in (1, 2)], f"bench row order: {rows}")
    for r in rows:
        expect(r["weight_type"].startswith(r["weight_dtype"]),
               f"bench: weight_type {r['weight_type']!r} for --weight-dtype {r['weight_dtype']}")
        for key in ["prompt_vs_f32", "gen_vs_f32"]:
            expect(isinstance(r[key], (int, float)) and r[key] > 0, f"bench: {key} = {r[key]!r}")
        if r["weight_dtype"] == "f32":
            expect(r["prompt_vs_f32"] == 1.0 and r["gen_vs_f32"] == 1.0, f"bench f32 row: {r}")
        print(f"{r['weight_type']} t={r['n_threads']}: {r['weight_bytes']} bytes, pp x{r['prompt_vs_f32']:.2f}, "
              f"tg x{r['gen_vs_f32']:.2f} vs f32")
    size = {r["weight_dtype"]: r["weight_bytes"] for r in rows}
    expect(size["int4"] < size["int8"] < size["f32"], f"bench weight_bytes: {size}")
    out, _ = run(a.tool, ["bench", "--synthetic", "stories260k", "--weight-dtype", "f32,int4", "-t", "1",
                          "-p", "8", "-n", "4", "-r", "1", "--no-bandwidth"])
    expect("tg vs f32" in out and out.count("\n") == 4, f"bench: no vs-f32 table with 2 rows:\n{out}")


def case_synthetic_shapes(a):
    # --help lists the library's shapes; one too large for the machine ends with a clear error.
    out, _ = run(a.tool, ["bench", "--help"])
    for name in ["stories260k", "tinyllama-1.1b", "llama-7b", "gptj-6b", "falcon-7b", "mixtral-8x7b"]:
        expect(name in out, f"bench --help does not list {name}:\n{out}")
    _, err = run(a.tool, ["bench", "--synthetic", "mixtral-8x7b", "--weight-dtype", "f32", "-r", "1",
                          "--no-bandwidth"], expect_code=1)
    expect("mixtral-8x7b' needs" in err and "GB" in err, f"bench mixtral-8x7b f32: {err}")


def write_garbage(path, size=4096):
    with open(path, "wb") as f:
        f.write(b"GGUF" + bytes((i * 97 + 13) % 251 for i in range(size)))


def case_quant_errors(a):
    with tempfile.TemporaryDirectory() as workdir:
        out = os.path.join(workdir, "out.llmrt")
        missing = os.path.join(workdir, "no-such-model.gguf")
        _, err = run(a.tool, ["quantize", "-m", missing, "-o", out, "--weight-dtype", "int8"], expect_code=1)
        expect(missing in err, f"quantize of a missing input: stderr does not name it:\n{err}")
        expect(os.listdir(workdir) == [], f"quantize of a missing input left {os.listdir(workdir)}")

        _, err = run(a.tool, ["quantize", "-m", a.model, "-o", out, "--weight-dtype", "int5"], expect_code=2)
        expect("int5" in err, f"unknown --weight-dtype: stderr does not name it:\n{err}")
        expect(os.listdir(workdir) == [], f"a usage error left {os.listdir(workdir)}")
        for args in (["--alg", "skew"], ["--scale-dtype", "fp64"], ["--compute-dtype", "int7"],
                     ["--group-size", "x"], ["--algorithm", "magic"], ["--weight-dtype", "f32"],
                     ["--output-format", "onnx"]):
            run(a.tool, ["quantize", "-m", a.model, "-o", out] + args, expect_code=2)
        run(a.tool, ["quantize", "-m", a.model], expect_code=2)                 # -o missing
        run(a.tool, ["quantize", "-m", a.model, "-o", a.model], expect_code=2)  # onto the input
        run(a.tool, ["perplexity", "-m", a.model, "-f", a.model, "--weight-dtype", "int5"], expect_code=2)
        run(a.tool, ["generate", "-m", a.model, "-p", "x", "--group-size", "64"], expect_code=2)
        run(a.tool, ["info", "-m", a.model, "--compute-dtype", "fp16"], expect_code=2)
        run(a.tool, ["bench", "-m", a.model, "--weight-dtype", "f32,int5"], expect_code=2)
        run(a.tool, ["bench", "-m", a.model, "--weight-dtype", "f32,,int8"], expect_code=2)

        # A corrupt input must leave an existing output exactly as it was, and no temporary file.
        garbage = os.path.join(workdir, "garbage.gguf")
        write_garbage(garbage)
        previous = b"an earlier output that must survive\n"
        with open(out, "wb") as f:
            f.write(previous)
        _, err = run(a.tool, ["quantize", "-m", garbage, "-o", out, "--weight-dtype", "int8"], expect_code=1)
        expect(garbage in err, f"quantize of a corrupt input: stderr does not name it:\n{err}")
        with open(out, "rb") as f:
            expect(f.read() == previous, "quantize of a corrupt input modified the existing output")
        expect(sorted(os.listdir(workdir)) == ["garbage.gguf", "out.llmrt"],
               f"quantize of a corrupt input left {os.listdir(workdir)}")


def write_large_hf_model(directory, tokenizer_dir, hidden=1024, intermediate=2816, layers=4):
    """A llama-shaped F16 checkpoint big enough (~100 MB) that quantizing it takes a while."""
    with open(os.path.join(tokenizer_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    vocab = config["vocab_size"]
    config.update(hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
                  num_attention_heads=16, num_key_value_heads=16, head_dim=hidden // 16,
                  torch_dtype="float16")
    with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f)
    for name in ["tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"]:
        with open(os.path.join(tokenizer_dir, name), "rb") as src, \
                open(os.path.join(directory, name), "wb") as dst:
            dst.write(src.read())
    shapes = {"model.embed_tokens.weight": [vocab, hidden], "model.norm.weight": [hidden]}
    for i in range(layers):
        p = f"model.layers.{i}."
        shapes.update({p + "input_layernorm.weight": [hidden], p + "post_attention_layernorm.weight": [hidden],
                       p + "self_attn.q_proj.weight": [hidden, hidden], p + "self_attn.k_proj.weight": [hidden, hidden],
                       p + "self_attn.v_proj.weight": [hidden, hidden], p + "self_attn.o_proj.weight": [hidden, hidden],
                       p + "mlp.gate_proj.weight": [intermediate, hidden], p + "mlp.up_proj.weight": [intermediate, hidden],
                       p + "mlp.down_proj.weight": [hidden, intermediate]})
    # Deterministic small values (a repeated block: random bytes would hold NaNs and infinities).
    block = struct.pack("<4096e", *[((i * 7919) % 2001 - 1000) * 5e-5 for i in range(4096)])
    header, offset = {}, 0
    for name, shape in shapes.items():
        n = 1
        for d in shape:
            n *= d
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + 2 * n]}
        offset += 2 * n
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(directory, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name, shape in shapes.items():
            nbytes = header[name]["data_offsets"][1] - header[name]["data_offsets"][0]
            if len(shape) == 1:
                f.write(struct.pack("<e", 1.0) * (nbytes // 2))
            else:
                f.write(block * (nbytes // len(block)) + block[:nbytes % len(block)])


def case_quant_interrupt(a):
    # Ctrl-C while quantizing: exit 130, no output and no temporary file, the old output intact.
    with tempfile.TemporaryDirectory() as workdir:
        model_dir = os.path.join(workdir, "model")
        os.mkdir(model_dir)
        write_large_hf_model(model_dir, hf_dir(a))
        out = os.path.join(workdir, "out.llmrt")
        previous = b"an earlier output that must survive\n"
        with open(out, "wb") as f:
            f.write(previous)
        proc = subprocess.Popen([a.tool, "quantize", "-m", model_dir, "-o", out, "--weight-dtype", "int4"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stderr.readline().decode("utf-8", errors="replace")
        proc.send_signal(signal.SIGINT)
        stdout, rest = proc.communicate(timeout=600)
        err = first + rest.decode("utf-8", errors="replace")
        expect(first.startswith("quantize "), f"no progress line before the interrupt:\n{err}")
        expect(proc.returncode == 130, f"quantize interrupted: exit {proc.returncode}, want 130\n{err}")
        expect("interrupted" in err, f"quantize interrupted: stderr says nothing:\n{err}")
        with open(out, "rb") as f:
            expect(f.read() == previous, "an interrupted quantize modified the existing output")
        expect(sorted(os.listdir(workdir)) == ["model", "out.llmrt"],
               f"an interrupted quantize left {os.listdir(workdir)}")
        print(f"interrupted after: {first.strip()}")


def case_quant_memory(a):
    # Issue 3: peak memory while quantizing stays below 1.5x the output plus one layer of f32.
    with tempfile.TemporaryDirectory() as workdir:
        model_dir = os.path.join(workdir, "model")
        os.mkdir(model_dir)
        hidden, intermediate = 1024, 2816
        write_large_hf_model(model_dir, hf_dir(a), hidden=hidden, intermediate=intermediate)
        out = os.path.join(workdir, "out.llmrt")
        proc = subprocess.Popen([a.tool, "quantize", "-m", model_dir, "-o", out, "--weight-dtype", "int4"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode("utf-8", errors="replace")
        expect(proc.returncode == 0, f"quantize failed ({proc.returncode}):\n{err}")
        peak = usage.ru_maxrss * 1024
        layer_f32 = 4 * (4 * hidden * hidden + 3 * hidden * intermediate)
        bound = 1.5 * os.path.getsize(out) + layer_f32
        print(f"peak RSS {peak / 1e6:.1f} MB, output {os.path.getsize(out) / 1e6:.1f} MB, bound {bound / 1e6:.1f} MB")
        expect(peak < bound, f"peak RSS {peak} bytes exceeds {bound:.0f}")


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
