/*
 * Load a model, stream a generation through the callback, and stop after N tokens.
 *
 *   cc generate.c $(pkg-config --cflags --libs llmrt) -o generate
 *   ./generate MODEL_PATH "Once upon a time" [MAX_TOKENS]
 */
#include <stdio.h>
#include <stdlib.h>

#include <llmrt.h>

struct stream_state {
    int tokens_seen;
    int max_tokens; /* cancel once this many tokens have streamed */
};

static int32_t on_token(const char *piece, size_t len, int32_t token, void *user_data) {
    struct stream_state *state = (struct stream_state *)user_data;
    (void)token;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    state->tokens_seen++;
    return state->tokens_seen >= state->max_tokens; /* non-zero cancels */
}

static int fail(const char *what, llmrt_status status) {
    fprintf(stderr, "%s failed: %s (%s)\n", what, llmrt_last_error(), llmrt_status_string(status));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL_PATH PROMPT [MAX_TOKENS]\n", argv[0]);
        return 2;
    }
    struct stream_state state = {0, argc > 3 ? atoi(argv[3]) : 32};

    llmrt_model *model = NULL;
    llmrt_status status = llmrt_model_load(argv[1], NULL, &model);
    if (status != LLMRT_OK) return fail("loading the model", status);

    llmrt_context *ctx = NULL;
    status = llmrt_context_create(model, NULL, &ctx);
    if (status != LLMRT_OK) {
        llmrt_model_free(model);
        return fail("creating a context", status);
    }

    llmrt_sampler_params sampler_params;
    llmrt_sampler_params_init(&sampler_params);
    sampler_params.temperature = 0.0f; /* greedy: the same text every run */
    llmrt_sampler *sampler = NULL;
    status = llmrt_sampler_create(&sampler_params, &sampler);

    if (status == LLMRT_OK) {
        llmrt_generate_params gen_params;
        llmrt_generate_params_init(&gen_params);
        gen_params.max_new_tokens = 1000;
        status = llmrt_generate(ctx, sampler, argv[2], &gen_params, on_token, &state);
        printf("\n");
    }
    int rc = 0;
    if (status == LLMRT_CANCELLED) {
        fprintf(stderr, "stopped after %d tokens\n", state.tokens_seen);
    } else if (status != LLMRT_OK) {
        rc = fail("generating", status);
    }
    llmrt_sampler_free(sampler);
    llmrt_context_free(ctx);
    llmrt_model_free(model);
    return rc;
}
