"""A multi-turn chat: every answer sees the whole conversation, and only the new turn is evaluated
(the session keeps the KV cache). Usage: chat.py MODEL MESSAGE..."""
import sys

import llmrt

with llmrt.Model.load(sys.argv[1]) as model, llmrt.Context(model) as ctx, \
        llmrt.Sampler(temperature=0) as sampler, \
        llmrt.ChatSession(ctx, sampler, system_prompt="You are a storyteller.") as chat:
    for message in sys.argv[2:]:
        print(">", message)
        for piece in chat.respond_stream(message, max_new_tokens=32):
            print(piece, end="", flush=True)
        print(f"\n({chat.n_evaluated} prompt tokens evaluated, {chat.n_reused} reused from the cache)")
    print(chat.messages[-1])  # {'role': 'assistant', 'content': ...}: the conversation so far
