/*
 * A tensor-parallel generation in which rank 1 fails, for tests/mpi/check_tp_faults.py. Every
 * rank loads MODEL sharded over MPI_COMM_WORLD, evaluates a prompt and decodes greedily; after
 * kFaultStep decoded tokens rank 1 does what FAULT says:
 *   none      carries on: nobody fails, the job must succeed (the control)
 *   die       _exit(3): the process is gone mid-generation
 *   stall     sleeps instead of decoding: alive, but it never joins the next collective
 *   leave     frees the model and returns 0 from main: a clean exit that abandons the others
 *   skipload  after the generation, when every rank loads the model a second time (a sharded
 *             load is collective), sleeps instead
 * Public C API only. A failed call is reported on stderr as
 *   tp_fault: rank R: CALL: STATUS: MESSAGE
 * and ends the rank with status 2; rank 0 prints "tp_fault: done" after the last token.
 *
 *   tp_fault MODEL FAULT
 *
 * (A rank that never loads a model at all hangs the others inside MPI_Init_thread, which waits for
 * every rank and has no timeout: not tested here.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llmrt.h>

enum { kFaultStep = 4, kSteps = 16, kStallSeconds = 300 };

static int rank = -1;  /* for the messages; -1 until the model is loaded */

static int failed(const char *call, llmrt_status status) {
    fprintf(stderr, "tp_fault: rank %d: %s: %s: %s\n", rank, call, llmrt_status_string(status), llmrt_last_error());
    return 2;
}

static int32_t argmax(const float *v, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i)
        if (v[i] > v[best]) best = i;
    return best;
}

static int generate(llmrt_model *model, const char *fault) {
    llmrt_context_params cp;
    llmrt_context_params_init(&cp);
    cp.n_ctx = 128;
    cp.n_threads = 1; /* the ranks already share the cores */
    llmrt_context *ctx = NULL;
    llmrt_status status = llmrt_context_create(model, &cp, &ctx);
    if (status != LLMRT_OK) return failed("llmrt_context_create", status);

    llmrt_token tokens[64];
    int32_t n = 0;
    status = llmrt_tokenize(model, "Once upon a time", 1, tokens, 64, &n);
    if (status == LLMRT_OK) status = llmrt_decode(ctx, tokens, n);
    for (int step = 0; status == LLMRT_OK && step < kSteps; ++step) {
        if (rank == 1 && step == kFaultStep) {
            if (strcmp(fault, "die") == 0) _exit(3);
            if (strcmp(fault, "stall") == 0) sleep(kStallSeconds);
            if (strcmp(fault, "leave") == 0) break;
        }
        llmrt_token next = argmax(llmrt_get_logits(ctx), llmrt_model_n_vocab(model));
        status = llmrt_decode(ctx, &next, 1);
    }
    llmrt_context_free(ctx);
    if (status != LLMRT_OK) return failed("llmrt_decode", status);
    return 0;
}

int main(int argc, char **argv) {
    const char *faults[] = {"none", "die", "stall", "leave", "skipload"};
    int known = 0;
    for (size_t i = 0; argc == 3 && i < sizeof faults / sizeof faults[0]; ++i) known |= strcmp(argv[2], faults[i]) == 0;
    if (!known) {
        fprintf(stderr, "usage: tp_fault MODEL none|die|stall|leave|skipload\n");
        return 1;
    }
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.tensor_parallel = 1;
    llmrt_model *model = NULL;
    llmrt_status status = llmrt_model_load(argv[1], &mp, &model);
    if (status != LLMRT_OK) return failed("llmrt_model_load", status);
    rank = llmrt_model_tp_rank(model);
    int result = generate(model, argv[2]);
    llmrt_model_free(model);
    if (result == 0 && rank == 1 && strcmp(argv[2], "skipload") == 0) sleep(kStallSeconds);
    if (result == 0) {
        model = NULL;
        status = llmrt_model_load(argv[1], &mp, &model);
        if (status != LLMRT_OK) result = failed("llmrt_model_load", status);
        llmrt_model_free(model);
    }
    if (result == 0 && rank == 0) fprintf(stderr, "tp_fault: done\n");
    return result;
}
