/* A multi-turn chat: every answer sees the whole conversation, and only the new turn is
 * evaluated (the session keeps the KV cache). Usage: chat MODEL MESSAGE... */
#include <stdio.h>
#include <llmrt.h>

static int32_t on_piece(const char *piece, size_t len, int32_t token, void *user_data) {
    (void)token; (void)user_data;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return 0; /* non-zero stops the answer */
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL MESSAGE...\n", argv[0]);
        return 2;
    }
    llmrt_model *model = NULL;
    llmrt_context *ctx = NULL;
    llmrt_sampler *sampler = NULL;
    llmrt_chat_session *chat = NULL;
    llmrt_sampler_params sp;
    llmrt_sampler_params_init(&sp);
    sp.temperature = 0.0f; /* greedy */
    llmrt_chat_session_params cp;
    llmrt_chat_session_params_init(&cp); /* the model's chat template */
    cp.system_prompt = "You are a storyteller.";
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 32;

    llmrt_status st = llmrt_model_load(argv[1], NULL, &model);
    if (st == LLMRT_OK) st = llmrt_context_create(model, NULL, &ctx);
    if (st == LLMRT_OK) st = llmrt_sampler_create(&sp, &sampler);
    if (st == LLMRT_OK) st = llmrt_chat_session_create(ctx, sampler, &cp, &chat);
    for (int i = 2; i < argc && st == LLMRT_OK; ++i) {
        printf("> %s\n", argv[i]);
        st = llmrt_chat_session_add_message(chat, "user", argv[i]);
        if (st == LLMRT_OK) st = llmrt_chat_session_respond(chat, &gp, on_piece, NULL);
        if (st == LLMRT_OK)
            printf("\n(%d prompt tokens evaluated, %d reused from the cache)\n",
                   llmrt_chat_session_n_evaluated(chat), llmrt_chat_session_n_reused(chat));
    }
    if (st != LLMRT_OK) fprintf(stderr, "error: %s\n", llmrt_last_error());
    llmrt_chat_session_free(chat);
    llmrt_sampler_free(sampler);
    llmrt_context_free(ctx);
    llmrt_model_free(model);
    return st == LLMRT_OK ? 0 : 1;
}
