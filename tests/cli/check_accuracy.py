#!/usr/bin/env python3
"""Checks the accuracy tools (llmrt perplexity --kl-divergence[-base], llmrt eval) against an
independent computation: the Python bindings decode the same tokens with logits_all and the
statistics are computed here in float64 from the raw logits (no llmrt_score_continuation, no
16-bit base file).

Run by ctest (tests/cli.cmake), one case per test:
    python3 check_accuracy.py --tool build/llmrt --library build/libllmrt.so \
        --bindings bindings/python --model models/stories260K/stories260K.gguf --shared ../shared --case kld
"""
import argparse
import bz2
import json
import math
import os
import sys
import tempfile

from check_cli import CheckFailed, expect, run, run_json

llmrt = None  # imported in main() once LLMRT_LIBRARY is set


def wiki(a):
    return os.path.join(a.shared, "data", "wikitext-2-raw", "wiki.test.raw")


def small_text(a, tmp):
    """The first 40 KB of wikitext-2 (whole lines): enough chunks, and quick to tokenize."""
    with open(wiki(a), "rb") as f:
        data = f.read(40000)
    path = os.path.join(tmp, "wiki-head.txt")
    with open(path, "wb") as f:
        f.write(data[:data.rindex(b"\n") + 1])
    return path


def log_softmax(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(x - m) for x in row))
    return [x - lse for x in row]


def argmax(row):
    best = 0
    for i, x in enumerate(row):
        if x > row[best]:
            best = i
    return best


def chunk_logits(model, tokens, n_ctx, n_chunks):
    """Per chunk (BOS first, like llmrt/llama.cpp perplexity): the logits rows of the scored half."""
    out = []
    with llmrt.Context(model, n_ctx=n_ctx, logits_all=True, n_threads=2) as ctx:
        for c in range(n_chunks):
            chunk = list(tokens[c * n_ctx:(c + 1) * n_ctx])
            chunk[0] = model.bos
            ctx.reset()
            ctx.decode(chunk)
            out.append([(list(ctx.logits(j)), chunk[j + 1]) for j in range(n_ctx // 2, n_ctx - 1)])
    return out


def read_text(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    return text[:-1] if text.endswith("\n") else text


def case_kld(a):
    n_ctx, n_chunks = 128, 3
    with tempfile.TemporaryDirectory() as tmp:
        text = small_text(a, tmp)
        base = os.path.join(tmp, "base.kld")
        common = ["-f", text, "-c", str(n_ctx), "--chunks", str(n_chunks), "-t", "2"]
        ppl_base = run_json(a.tool, ["perplexity", "-m", a.model] + common + ["--kl-divergence-base", base])
        # The model against itself: nothing differs.
        same = run_json(a.tool, ["perplexity", "-m", a.model, "-f", text, "-c", str(n_ctx), "-t", "2",
                                 "--kl-divergence", base])
        expect(same["n_scored"] == n_chunks * (n_ctx - 1 - n_ctx // 2), f"self: {same}")
        expect(abs(same["kld_mean"]) < 1e-6 and same["kld_max"] < 1e-5, f"self KLD is not 0: {same}")
        expect(same["same_top"] == 1.0, f"self top-1 agreement is not 100%: {same}")
        expect(abs(same["delta_ppl"]) < 1e-3 * same["ppl"] * 1e-2, f"self delta PPL: {same}")
        expect(abs(same["ppl_base"] - ppl_base["ppl"]) < 1e-4 * ppl_base["ppl"], f"base PPL {same} vs {ppl_base}")
        # int8 against f32: small and positive, and what float64 over the raw logits gives.
        q = run_json(a.tool, ["perplexity", "-m", a.model] + common +
                     ["--weight-dtype", "int8", "--kl-divergence", base])
        expect(0 < q["kld_mean"] < 0.05, f"int8 KLD not small and positive: {q}")
        words = read_text(text)

    with llmrt.Model.load(a.model) as f32, llmrt.Model.load(a.model, quantize="int8") as i8:
        tokens = f32.tokenize(words, add_special=True)
        rows_f = chunk_logits(f32, tokens, n_ctx, n_chunks)
        rows_q = chunk_logits(i8, tokens, n_ctx, n_chunks)
    klds, same_top, nll, nll_base = [], 0, [], []
    for cf, cq in zip(rows_f, rows_q):
        for (lf, nxt), (lq, _) in zip(cf, cq):
            pf, pq = log_softmax(lf), log_softmax(lq)
            klds.append(sum(math.exp(x) * (x - y) for x, y in zip(pf, pq)))
            same_top += argmax(lf) == argmax(lq)
            nll.append(-pq[nxt])
            nll_base.append(-pf[nxt])
    n = len(klds)
    kld = sum(klds) / n
    kld_se = math.sqrt((sum(k * k for k in klds) / n - kld * kld) / (n - 1))
    ppl, ppl_b = math.exp(sum(nll) / n), math.exp(sum(nll_base) / n)
    print(f"int8 vs f32: llmrt KLD {q['kld_mean']:.6f} +/- {q['kld_stderr']:.6f}, float64 {kld:.6f} +/- {kld_se:.6f}; "
          f"top-1 {q['same_top']:.4f} vs {same_top / n:.4f}; dPPL {q['delta_ppl']:.4f} vs {ppl - ppl_b:.4f}")
    expect(abs(q["kld_mean"] - kld) <= 0.01 * kld + 1e-6, f"mean KLD {q['kld_mean']} vs float64 {kld}")
    expect(abs(q["kld_stderr"] - kld_se) <= 0.02 * kld_se, f"KLD stderr {q['kld_stderr']} vs {kld_se}")
    s = sorted(klds)
    expect(abs(q["kld_max"] - s[-1]) <= 0.01 * s[-1] + 1e-6, f"max KLD {q['kld_max']} vs {s[-1]}")
    expect(abs(q["same_top"] - same_top / n) < 1e-9, f"top-1 {q['same_top']} vs {same_top / n}")
    expect(abs(q["ppl"] - ppl) <= 1e-4 * ppl and abs(q["ppl_base"] - ppl_b) <= 1e-4 * ppl_b,
           f"PPL {q['ppl']}/{q['ppl_base']} vs {ppl}/{ppl_b}")
    expect(abs(q["delta_ppl"] - (ppl - ppl_b)) <= 1e-3 * ppl, f"dPPL {q['delta_ppl']} vs {ppl - ppl_b}")


def case_kld_refused(a):
    with tempfile.TemporaryDirectory() as tmp:
        text = small_text(a, tmp)
        base = os.path.join(tmp, "base.kld")
        run(a.tool, ["perplexity", "-m", a.model, "-f", text, "-c", "64", "--chunks", "2",
                     "--kl-divergence-base", base])

        def refused(args, words):
            _, err = run(a.tool, ["perplexity"] + args + ["--kl-divergence", base], expect_code=None)
            expect(all(w in err for w in words), f"refusal of {args} does not say {words}: {err}")

        refused(["-m", a.model, "-f", text, "-c", "128"], ["-c 64"])
        refused(["-m", a.model, "-f", text, "-c", "64", "--chunks", "1"], ["2 chunks"])
        other = os.path.join(tmp, "other.txt")
        with open(other, "w") as f:
            f.write("Once upon a time there was a cat. " * 40)
        refused(["-m", a.model, "-f", other, "-c", "64"], ["other tokens"])
        debdoc = os.path.join(a.shared, "models", "debdoc-8M-gguf", "debdoc-8M-Q8_0.gguf")
        if os.path.exists(debdoc):
            refused(["-m", debdoc, "-f", text, "-c", "64"], ["vocabulary"])
        refused(["-m", a.model, "-f", text, "-c", "64", "--kl-divergence-base", base + "2"], ["together"])
        _, err = run(a.tool, ["perplexity", "-m", a.model, "-f", text, "-c", "64", "--kl-divergence", text],
                     expect_code=None)
        expect("not an llmrt KL-divergence base file" in err, f"a text file as base: {err}")
        with open(base, "rb") as f:
            data = f.read()
        with open(base, "wb") as f:
            f.write(data[:-10])
        refused(["-m", a.model, "-f", text, "-c", "64"], ["truncated"])


def sequence_logprob(model, ctx, prefix, cont):
    """Sum of log p(cont) and whether each is the argmax, from one logits_all decode."""
    ctx.reset()
    ctx.decode(prefix + cont)
    total, greedy = 0.0, True
    for j, tok in enumerate(cont):
        row = list(ctx.logits(len(prefix) - 1 + j))
        total += log_softmax(row)[tok]
        greedy = greedy and argmax(row) == tok
    return total, greedy


def case_eval_lambada(a):
    limit = 8
    data = os.path.join(a.shared, "data", "lambada_openai", "lambada_test.jsonl")
    got = run_json(a.tool, ["eval", "--task", "lambada", "-m", a.model, "-f", data, "--limit", str(limit), "-t", "2"])
    expect(got["n"] == limit and len(got["examples"]) == limit, f"lambada: {got}")
    with llmrt.Model.load(a.model) as model, llmrt.Context(model, logits_all=True, n_threads=2) as ctx:
        with open(data, encoding="utf-8") as f:
            texts = [json.loads(next(f))["text"] for _ in range(limit)]
        lps, greedy = [], []
        for text in texts:
            context, word = text.rsplit(" ", 1)
            whole = model.tokenize(context + " " + word)
            n = len(model.tokenize(context))
            lp, g = sequence_logprob(model, ctx, whole[:n], whole[n:])
            lps.append(lp)
            greedy.append(g)
    for i, (ex, lp, g) in enumerate(zip(got["examples"], lps, greedy)):
        expect(abs(ex["logprob"] - lp) < 1e-4 and ex["greedy"] == g, f"passage {i}: {ex} vs {lp}, {g}")
    acc = sum(greedy) / limit
    ppl = math.exp(-sum(lps) / limit)
    expect(abs(got["acc"] - acc) < 1e-12 and abs(got["ppl"] - ppl) < 1e-4 * ppl, f"lambada {got} vs acc {acc} ppl {ppl}")
    se = math.sqrt(acc * (1 - acc) / (limit - 1))
    expect(abs(got["acc_stderr"] - se) < 1e-9, f"acc stderr {got['acc_stderr']} vs {se}")
    print(f"lambada, {limit} passages: acc {got['acc']:.3f} +/- {got['acc_stderr']:.3f}, ppl {got['ppl']:.2f}")


def case_eval_hellaswag(a):
    limit = 4
    data = os.path.join(a.shared, "data", "hellaswag", "hellaswag_val_full.txt.bz2")
    got = run_json(a.tool, ["eval", "--task", "hellaswag", "-m", a.model, "-f", data, "--limit", str(limit), "-t", "2"])
    expect(got["n"] == limit, f"hellaswag: {got}")
    with bz2.open(data, "rt", encoding="utf-8") as f:
        lines = [next(f).rstrip("\n") for _ in range(6 * limit)]
    correct = 0
    with llmrt.Model.load(a.model) as model, llmrt.Context(model, logits_all=True, n_threads=2) as ctx:
        for t in range(limit):
            task = lines[6 * t:6 * t + 6]
            seqs = [model.tokenize(task[0] + " " + e) for e in task[2:6]]
            common = 0
            while all(common < len(s) for s in seqs) and len({s[common] for s in seqs}) == 1:
                common += 1
            norm = []
            for s in seqs:
                lp, _ = sequence_logprob(model, ctx, s[:common], s[common:])
                norm.append(lp / (len(s) - common))
            ex = got["examples"][t]
            expect(all(abs(x - y) < 1e-5 for x, y in zip(ex["logprob_norm"], norm)), f"task {t}: {ex} vs {norm}")
            correct += max(range(4), key=lambda i: (norm[i], -i)) == int(task[1])
    expect(abs(got["acc_norm"] - correct / limit) < 1e-12, f"acc_norm {got['acc_norm']} vs {correct / limit}")
    print(f"hellaswag, {limit} tasks: acc_norm {got['acc_norm']:.3f} +/- {got['acc_norm_stderr']:.3f}")


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    global llmrt
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--library", required=True, help="libllmrt for the Python bindings")
    parser.add_argument("--bindings", required=True, help="bindings/python")
    parser.add_argument("--model", required=True)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    args = parser.parse_args()
    os.environ["LLMRT_LIBRARY"] = args.library
    sys.path.insert(0, args.bindings)
    import llmrt as module
    llmrt = module
    try:
        CASES[args.case](args)
    except CheckFailed as e:
        print(f"FAIL ({args.case}): {e}")
        sys.exit(1)
    print(f"ok ({args.case})")


if __name__ == "__main__":
    main()
