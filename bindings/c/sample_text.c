/*
 * Cross-language check, C side: writes the text of one sampled generation to a file.
 * bindings/cross_language.py runs the same generation from C, Python, Java and C#.
 *
 *   llmrt_sample_text MODEL_PATH OUT_PATH
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llmrt.h>

struct text {
    char *data;
    size_t len;
};

static int32_t append_piece(const char *piece, size_t len, int32_t token, void *user_data) {
    struct text *out = (struct text *)user_data;
    (void)token;
    char *grown = realloc(out->data, out->len + len + 1);
    if (!grown) return 1; /* stop: main reports the cancelled status */
    memcpy(grown + out->len, piece, len);
    out->data = grown;
    out->len += len;
    out->data[out->len] = '\0';
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL_PATH OUT_PATH\n", argv[0]);
        return 2;
    }
    llmrt_model *model = NULL;
    llmrt_context *ctx = NULL;
    llmrt_sampler *sampler = NULL;
    struct text out = {NULL, 0};

    llmrt_sampler_params sp;
    llmrt_sampler_params_init(&sp);
    sp.temperature = 0.8f;
    sp.top_p = 0.9f;
    sp.top_k = 40;
    sp.min_p = 0.05f;
    sp.seed = 42;
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 40;

    llmrt_status status = llmrt_model_load(argv[1], NULL, &model);
    if (status == LLMRT_OK) status = llmrt_context_create(model, NULL, &ctx);
    if (status == LLMRT_OK) status = llmrt_sampler_create(&sp, &sampler);
    if (status == LLMRT_OK) status = llmrt_generate(ctx, sampler, "Once upon a time", &gp, append_piece, &out);
    if (status != LLMRT_OK) fprintf(stderr, "llmrt: %s (%s)\n", llmrt_last_error(), llmrt_status_string(status));

    int rc = status == LLMRT_OK ? 0 : 1;
    if (rc == 0) {
        FILE *f = fopen(argv[2], "wb");
        if (!f || fwrite(out.data ? out.data : "", 1, out.len, f) != out.len || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[2]);
            rc = 1;
        }
    }
    free(out.data);
    llmrt_sampler_free(sampler);
    llmrt_context_free(ctx);
    llmrt_model_free(model);
    return rc;
}
