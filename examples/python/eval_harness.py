#!/usr/bin/env python3
"""An evaluation-harness adapter over the llmrt bindings: the loglikelihood part of lm-eval's LM
interface (requests of (context, continuation) strings in, (log-likelihood, is_greedy) out),
without depending on lm-eval. Subclass it from lm_eval.api.model.LM to plug it into lm-eval.

    LLMRT_LIBRARY=build/libllmrt.so PYTHONPATH=bindings/python python3 examples/python/eval_harness.py \
        [MODEL] [LAMBADA_JSONL] [LIMIT]

With a lambada_openai file it scores the first LIMIT passages the way the harness does
(context = text up to the last space, continuation = " " + last word) and prints the accuracy.
"""
import json
import math
import sys
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple, Union

import llmrt

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models/stories260K/stories260K.gguf"
DEFAULT_LAMBADA = ROOT.parent / "shared/data/lambada_openai/lambada_test.jsonl"

Request = Union[Tuple[str, str], Sequence[str]]


class LlmrtLM:
    """loglikelihood(requests) as lm-eval's LM defines it.

    A request is a (context, continuation) pair, or an object whose .args is one (lm-eval's
    Instance). Tokenization follows lm-eval: trailing spaces of the context move to the
    continuation; the continuation's tokens are those of context + continuation after the
    context's. The context is tokenized with BOS (add_bos=False leaves it out; an empty context
    then starts from EOS, as lm-eval does).
    """

    def __init__(self, model_path: Union[str, Path], n_ctx: int = 0, n_threads: int = 0, add_bos: bool = True):
        self.model = llmrt.Model.load(str(model_path))
        self.context = llmrt.Context(self.model, n_ctx=n_ctx or None, n_threads=n_threads)
        self.add_bos = add_bos

    def close(self) -> None:
        self.context.close()
        self.model.close()

    def __enter__(self) -> "LlmrtLM":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _encode_pair(self, context: str, continuation: str) -> Tuple[List[int], List[int]]:
        n_spaces = len(context) - len(context.rstrip(" "))
        if n_spaces:
            continuation = context[-n_spaces:] + continuation
            context = context[:-n_spaces]
        whole = self.model.tokenize(context + continuation, add_special=self.add_bos)
        if context:
            n = len(self.model.tokenize(context, add_special=self.add_bos))
        else:
            n = 1 if self.add_bos else 0
        context_ids, continuation_ids = whole[:n], whole[n:]
        if not context_ids:
            context_ids = [self.model.eos]
        return context_ids, continuation_ids

    def _score(self, context_ids: List[int], continuation_ids: List[int]) -> Tuple[float, bool]:
        n_ctx = self.context.n_ctx
        over = len(context_ids) + len(continuation_ids) - n_ctx
        if over > 0:  # as the harness does: drop tokens from the start
            context_ids = context_ids[over:]
        return self.context.score_continuation(context_ids, continuation_ids)

    def loglikelihood(self, requests: Iterable[Request]) -> List[Tuple[float, bool]]:
        results = []
        for request in requests:
            context, continuation = getattr(request, "args", request)
            results.append(self._score(*self._encode_pair(context, continuation)))
        return results


def lambada_requests(path: Union[str, Path], limit: int) -> List[Tuple[str, str]]:
    requests = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(requests) >= limit:
                break
            text = json.loads(line)["text"]
            context, word = text.rsplit(" ", 1)
            requests.append((context, " " + word))
    return requests


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_MODEL)
    data = sys.argv[2] if len(sys.argv) > 2 else str(DEFAULT_LAMBADA)
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with LlmrtLM(model) as lm:
        results = lm.loglikelihood(lambada_requests(data, limit))
    acc = sum(greedy for _, greedy in results) / len(results)
    ppl = math.exp(-sum(lp for lp, _ in results) / len(results))
    print(f"lambada_openai, first {len(results)} passages: acc = {acc:.4f}, ppl = {ppl:.3f}")


if __name__ == "__main__":
    main()
