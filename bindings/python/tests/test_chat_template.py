"""Chat templates through the binding: renderings byte-identical to Jinja2's reference
(../shared/reference/chat-templates.json), template errors with Jinja2's message, and a model
without a template."""
import json
import os
from pathlib import Path

import pytest

import llmrt

CHAT_REFERENCE_PATH = Path(os.environ.get("LLMRT_TEST_CHAT_REFERENCE",
                                          Path(__file__).resolve().parents[3].parent /
                                          "shared/reference/chat-templates.json"))

# (template, conversation): plain turns, a system prompt, unicode, tools with a tool-call round,
# and a template variable (Qwen 3's enable_thinking) passed as an extra keyword.
CASES = [
    ("microsoft-Phi-3.5-mini-instruct", "multi_turn"),
    ("meta-llama-Llama-3.1-8B-Instruct", "system_user"),
    ("Qwen-Qwen2.5-7B-Instruct", "unicode_newlines"),
    ("meta-llama-Llama-3.1-8B-Instruct", "tool_call_round"),
    ("qwen3-tokenizer_config", "reasoning_history"),
]


@pytest.fixture(scope="module")
def templates() -> dict:
    with open(CHAT_REFERENCE_PATH, encoding="utf-8") as f:
        return {t["name"]: t for t in json.load(f)["templates"]}


def reference_cases(template: dict, conversation: str) -> list:
    cases = [c for c in template["cases"] if c["conversation"] == conversation]
    assert cases, f"{template['name']} has no {conversation} case"
    return cases


def render(template: dict, case: dict) -> str:
    """The case rendered as the reference was: the template's special tokens as bos/eos_token,
    the others (pad_token...) and the case's extra kwargs as extra variables."""
    special = dict(template["special_tokens"])
    extra = {**special, **case.get("extra_kwargs", {})}
    extra.pop("bos_token", None)
    extra.pop("eos_token", None)
    return llmrt.apply_chat_template(case["messages"], template=template["template"],
                                     add_generation_prompt=case["add_generation_prompt"],
                                     bos_token=special.get("bos_token"), eos_token=special.get("eos_token"),
                                     tools=case.get("tools"), **extra)


@pytest.mark.parametrize("name,conversation", CASES)
def test_matches_jinja2_byte_for_byte(templates, name, conversation):
    for case in reference_cases(templates[name], conversation):
        assert "error" not in case
        assert render(templates[name], case).encode("utf-8") == case["output"].encode("utf-8")


def test_template_error_has_jinja2_message(templates):
    # Gemma's template refuses a system message with raise_exception.
    case = reference_cases(templates["google-gemma-2-2b-it"], "system_user")[0]
    with pytest.raises(llmrt.InvalidArgumentError) as info:
        render(templates["google-gemma-2-2b-it"], case)
    assert info.value.message == case["error"]


def test_malformed_template_is_invalid_argument():
    with pytest.raises(llmrt.InvalidArgumentError):
        llmrt.apply_chat_template([{"role": "user", "content": "Hi"}], template="{% for m in messages %}")


def test_model_without_template(model):
    assert model.chat_template() is None
    # Without a template of its own or a given one, rendering is refused, naming the cause.
    with pytest.raises(llmrt.InvalidArgumentError, match="no chat template"):
        llmrt.apply_chat_template([{"role": "user", "content": "Hi"}], model=model)
    # A given template sees the model's BOS/EOS text.
    text = model.apply_chat_template([{"role": "user", "content": "Hi"}],
                                     template="{{ bos_token }}{{ messages[0]['content'] }}{{ eos_token }}")
    assert text == model.detokenize([model.bos], skip_special=False) + "Hi" + \
        model.detokenize([model.eos], skip_special=False)
