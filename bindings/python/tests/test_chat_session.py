"""Generation handles and chat sessions (llmrt.Generation, llmrt.ChatSession)."""
import pytest

import llmrt

CHATML = ("{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def test_generation_handle_pulls_the_greedy_reference(model, reference):
    n = len(reference["greedy_token_ids"])
    with llmrt.Context(model) as ctx, llmrt.Sampler(temperature=0) as sampler:
        with llmrt.Generation(ctx, sampler, reference["prompt"], max_new_tokens=n, stop_at_eos=False) as gen:
            assert gen.stop_reason == ""
            # One generation per context at a time, until it ends.
            with pytest.raises(llmrt.BusyError):
                llmrt.Generation(ctx, sampler, "x")
            assert gen.text() == reference["greedy_text"]
            assert gen.tokens == reference["greedy_token_ids"]
            assert gen.stop_reason == "length"
            ctx.reset()
            with llmrt.Generation(ctx, sampler, reference["prompt"], max_new_tokens=1) as again:
                assert again.tokens == [] and next(again) == reference["greedy_text"][0]


def test_chat_session_reuses_the_cache_and_answers_as_a_fresh_context(model):
    with llmrt.Context(model, n_ctx=512) as ctx, llmrt.Sampler(temperature=0) as sampler, \
            llmrt.ChatSession(ctx, sampler, template=CHATML, system_prompt="You tell stories.") as chat:
        first = chat.respond("Tell me about a cat.", max_new_tokens=12)
        assert chat.n_reused == 0
        first_prompt_tokens = chat.n_evaluated
        second = chat.respond("What did it eat?", max_new_tokens=12)
        assert chat.n_reused >= first_prompt_tokens
        assert chat.n_evaluated + chat.n_reused == len(model.tokenize(chat.prompt))
        roles = [m["role"] for m in chat.messages]
        assert roles == ["system", "user", "assistant", "user", "assistant"]
        assert [m["content"] for m in chat.messages][2::2] == [first, second]
        prompt = chat.prompt
    # A fresh context given the same rendered conversation gives the same answer.
    with llmrt.Context(model, n_ctx=512) as ctx, llmrt.Sampler(temperature=0) as sampler:
        with llmrt.Generation(ctx, sampler, prompt, max_new_tokens=12, stop=["<|im_end|>"]) as gen:
            assert gen.text() == second


def test_chat_session_stream_truncate_reset_and_errors(model):
    with llmrt.Context(model, n_ctx=256) as ctx, llmrt.Sampler(temperature=0) as sampler, \
            llmrt.ChatSession(ctx, sampler, system_prompt="sys") as chat:
        with pytest.raises(llmrt.InvalidArgumentError, match="user message"):
            chat.respond(max_new_tokens=4)
        with chat.respond_stream("Hello", max_new_tokens=6) as gen:
            with pytest.raises(llmrt.BusyError):
                chat.add_message("user", "too early")
            text = "".join(gen)
        assert chat.messages[-1] == {"role": "assistant", "content": text}
        chat.respond("Again", max_new_tokens=4)
        assert len(chat.messages) == 5
        chat.truncate(1)
        assert [m["content"] for m in chat.messages][:2] == ["sys", "Again"]
        chat.pop_message()
        chat.pop_message()
        with pytest.raises(llmrt.InvalidArgumentError):
            chat.pop_message()  # the system message stays
        chat.add_message("user", "x")
        chat.reset()
        assert chat.messages == [{"role": "system", "content": "sys"}]
        with pytest.raises(OverflowError):
            chat.truncate(1 << 40)
    with llmrt.Context(model) as ctx, llmrt.Sampler(temperature=0) as sampler, \
            llmrt.ChatSession(ctx, sampler, template="{{ raise_exception('no chat here') }}") as chat:
        with pytest.raises(llmrt.InvalidArgumentError, match="no chat here"):
            chat.respond("hi", max_new_tokens=4)
