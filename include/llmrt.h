/*
 * llmrt: a C runtime for large language models on CPUs.
 *
 * Rules that hold for every function below:
 *  - Fallible calls return llmrt_status; on failure llmrt_last_error() returns a message for the
 *    calling thread, valid until that thread's next llmrt call.
 *  - Handles are opaque. Objects created by *_create / *_load are released by the matching *_free,
 *    which accepts NULL.
 *  - Params structs begin with struct_size and are filled by their *_params_init function, an
 *    inline wrapper that passes sizeof the caller's struct to the exported *_params_init_sized:
 *    the library writes, and later reads, only the fields that size covers, so structs only ever
 *    grow at the end and code built against an older header keeps working with a newer library.
 *  - A model may be used by many threads at once; a context or a sampler by one thread at a time.
 *    llmrt_context_cancel may be called from any thread.
 *  - Lifetimes: a context keeps its model alive and a generation keeps its sampler alive, so
 *    llmrt_model_free / llmrt_sampler_free may be called while they are in use: the object goes
 *    when its last user does. Handles must not be used after their *_free.
 *  - Re-entry: while a call on a context runs (llmrt_decode, llmrt_generate*), calls that would
 *    change that context (decode, generate*, reset, set_profiling, a second call from another
 *    thread) are refused with LLMRT_ERR_BUSY, also from the running call's own callback. Reading
 *    calls (n_past, logits, stop reason) and llmrt_context_cancel are allowed; llmrt_context_free
 *    from the callback cancels the call and frees the context when it returns.
 *  - Strings passed in are UTF-8 and are not retained after the call returns unless stated.
 */
#ifndef LLMRT_H
#define LLMRT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(LLMRT_BUILDING_LIBRARY)
#    define LLMRT_API __declspec(dllexport)
#  else
#    define LLMRT_API __declspec(dllimport)
#  endif
#else
#  define LLMRT_API __attribute__((visibility("default")))
#endif

/* Staged renames (as llama.cpp does them): a function that has a replacement keeps working for a
 * while and is marked LLMRT_DEPRECATED("use <replacement>"), so the compiler names the
 * replacement at every call; it is removed in a later API version. Define
 * LLMRT_NO_DEPRECATION_WARNINGS before including this header to silence the warnings. */
#if defined(LLMRT_NO_DEPRECATION_WARNINGS)
#  define LLMRT_DEPRECATED(hint)
#elif defined(__GNUC__) || defined(__clang__)
#  define LLMRT_DEPRECATED(hint) __attribute__((deprecated(hint)))
#elif defined(_MSC_VER)
#  define LLMRT_DEPRECATED(hint) __declspec(deprecated(hint))
#else
#  define LLMRT_DEPRECATED(hint)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The API's version, and the rule that lets a program or binding built for one version run on a
 * newer library. LLMRT_API_VERSION (the major) changes only with an incompatible change: a function
 * removed or its signature changed, a struct field moved. LLMRT_API_VERSION_MINOR grows with each
 * addition: a function, a constant, a field at the end of a params struct (struct_size tells the
 * library which fields its caller knows; fields it does not know keep their defaults). Code built
 * for (major, minor) runs on a library whose llmrt_api_version() equals its major and whose
 * llmrt_api_version_minor() is at least its minor; bindings check both at load. Deprecated
 * functions (LLMRT_DEPRECATED) are removed only with a new major.
 *   minor 1: KV cache types, sampling penalties, logit bias, stop callback, chat templates
 *   minor 2: generation handle, chat sessions, StreamingLLM shift, several sequences, beam
 *            search, tensor override arrays, weight dtype and KV type names
 *   minor 3: stop reason codes (LLMRT_STOP_*), byte lengths as size_t (_v2), scale and compute
 *            types as constants; for applications with their own decode loop: text streams,
 *            llmrt_token_is_end_of_generation, llmrt_tokenize_flags, llmrt_chat_tokenize,
 *            llmrt_chat_template_stop_text, llmrt_chat_plain_template, llmrt_decode_multi_select
 *   minor 4: tensor parallelism over MPI (llmrt_model_params.tensor_parallel,
 *            llmrt_model_tp_rank / llmrt_model_tp_size) */
#define LLMRT_API_VERSION 1
#define LLMRT_API_VERSION_MINOR 4

/* ---------------------------------------------------------------------------------------------- */
/* Status, errors, version, logging                                                               */
/* ---------------------------------------------------------------------------------------------- */

typedef int32_t llmrt_status;
#define LLMRT_OK                    0
#define LLMRT_ERR_INVALID_ARGUMENT  1  /* a NULL handle, a bad parameter value */
#define LLMRT_ERR_IO                2  /* a file could not be opened, read or written; tensor-parallel
                                          ranks stopped communicating (LLMRT_TP_TIMEOUT) */
#define LLMRT_ERR_FORMAT            3  /* a file is malformed: truncated, bad offsets, wrong shapes */
#define LLMRT_ERR_UNSUPPORTED       4  /* valid input this build cannot handle (architecture, dtype) */
#define LLMRT_ERR_OUT_OF_MEMORY     5
#define LLMRT_ERR_CONTEXT_FULL      6  /* the tokens do not fit in the context window */
#define LLMRT_CANCELLED             7  /* a callback returned non-zero or llmrt_context_cancel was called */
#define LLMRT_ERR_BUFFER_TOO_SMALL  8  /* an output buffer is too small; the needed size is reported */
#define LLMRT_ERR_INTERNAL          9  /* a bug in llmrt: please report it */
#define LLMRT_END_OF_GENERATION    10  /* llmrt_generate_next: the generation has finished */
#define LLMRT_ERR_BUSY             11  /* the context is in use by a running call (see Re-entry) */

/* Most threads a context or a model load may use (n_threads above it is an invalid argument). */
#define LLMRT_MAX_THREADS 512

/* The calling thread's last error message ("" if none). Owned by the library. */
LLMRT_API const char *llmrt_last_error(void);
/* A static description of a status code. */
LLMRT_API const char *llmrt_status_string(llmrt_status status);
/* The library's LLMRT_API_VERSION and LLMRT_API_VERSION_MINOR (see the rule above). */
LLMRT_API uint32_t llmrt_api_version(void);
LLMRT_API uint32_t llmrt_api_version_minor(void);
/* e.g. "0.1.0". Static string. */
LLMRT_API const char *llmrt_version_string(void);

#define LLMRT_LOG_DEBUG 0
#define LLMRT_LOG_INFO  1
#define LLMRT_LOG_WARN  2
#define LLMRT_LOG_ERROR 3
/* Called from any thread, with no lock held (it may call llmrt functions); message is valid only
 * during the call and has no trailing newline. Messages logged on a thread while its callback
 * runs go to stderr instead, so a callback that logs cannot recurse. */
typedef void (*llmrt_log_callback)(int32_t level, const char *message, void *user_data);
/* NULL restores the default (warnings and errors to stderr). Process-wide. A callback being
 * replaced may still be running on other threads when this returns. */
LLMRT_API void llmrt_set_log_callback(llmrt_log_callback callback, void *user_data);
/* Messages below this level are dropped (default LLMRT_LOG_WARN). */
LLMRT_API void llmrt_set_log_level(int32_t level);

/* ---------------------------------------------------------------------------------------------- */
/* Model                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

typedef struct llmrt_model llmrt_model;
typedef int32_t llmrt_token;

/* Reports progress while quantizing: fraction in [0, 1], the tensor being processed. Return
 * non-zero to stop; the call then returns LLMRT_CANCELLED and writes no output file. */
typedef int32_t (*llmrt_progress_callback)(float fraction, const char *tensor_name, void *user_data);

/* One entry of llmrt_quant_params.overrides: tensors whose name matches pattern (a substring of
 * the name, or a glob with '*') take dtype: "f32" (kept), a weight_dtype such as "int8" (group,
 * scheme and scale type as the params say) or a full weight type name such as
 * "int8_g128_sym_fp16" or "int4_g16_asym_fp16". */
typedef struct llmrt_tensor_override {
    const char *pattern;
    const char *dtype;
} llmrt_tensor_override;

/* How to quantize weights. Strings and arrays are not retained after the call that receives them. */
typedef struct llmrt_quant_params {
    uint32_t struct_size;
    const char *weight_dtype;   /* "int8", "int4", "nf4", "fp4", "fp8_e4m3", "fp8_e5m2" (default "int4";
                                   the list: llmrt_weight_dtype_name) */
    const char *algorithm;      /* "rtn" (default): round to nearest; "gptq", "awq": calibrated, see below */
    int32_t group_size;         /* 32 (default), 64, 128, or -1 for one group per output channel */
    int32_t asym;               /* int8/int4: 1 = scale and minimum per group, 0 = scale only (default) */
    /* The API 1.0 spellings of scale_type and compute_type (at the end): NULL (default) leaves
     * them to those; a name ("fp32", "bf16", "fp16"; "auto", "fp32", "bf16", "int8") is read
     * instead, and must agree with the constant unless that is at its default. */
    const char *scale_dtype;
    const char *compute_dtype;
    /* Tensors kept in another type, as "pattern=dtype" items separated by ';', each as an
     * llmrt_tensor_override says; the first match wins. NULL (default) keeps the embeddings and
     * the output head in int8. "" quantizes everything to weight_dtype. The array form
     * (overrides, below) takes any pattern, also one with ';' or '='; set one form, not both. */
    const char *tensor_overrides;
    llmrt_progress_callback progress; /* may be NULL */
    void *progress_user_data;
    /* Calibrated algorithms ("gptq", "awq"; added in API 1.x: read only when struct_size covers them).
     * The calibration text: plain text, or JSONL with a "text" field per line. n_samples windows
     * of seq_len tokens are drawn from it at random offsets (seed). Calibrate on text that is not
     * your evaluation text. */
    const char *calibration_path; /* required by "gptq" and "awq" (default NULL) */
    int32_t n_samples;            /* 128 */
    int32_t seq_len;              /* 512 */
    uint64_t seed;                /* 0 */
    float gptq_damp;              /* 0.01: added to the Hessian's diagonal, share of its mean */
    int32_t gptq_act_order;       /* 0; 1 = columns by decreasing Hessian diagonal, static groups */
    /* 0 (the reference's default); N > 0: each group's range is shrunk by the best of N steps
     * from 1 down to 0.8, judged by its rounding error weighted by the Hessian's diagonal (the
     * reference GPTQ's "mse" option). Added after gptq_act_order: read when struct_size covers it. */
    int32_t gptq_clip_grid;
    /* What llmrt_quantize writes (added in API 1.x: read only when struct_size covers it; the
     * caller owns the string, which is copied by llmrt_quantizer_create and not retained):
     * "llmrt" (default, also for NULL): our file. "hf-gptq": a Hugging Face GPTQ directory
     * (int4/int8 Linears of one type, the rest float32; HF sources only). "gguf": llama.cpp's
     * file (int4_g32_sym_fp16 -> Q4_0, int4_g32_asym_fp16 -> Q4_1, int8_g32_sym_fp16 -> Q8_0,
     * f32 -> F32; from GGUF files and Llama HF checkpoints). A tensor the format cannot hold
     * exactly fails with LLMRT_ERR_UNSUPPORTED naming it. Ignored by llmrt_model_load. */
    const char *output_format;
    /* SmoothQuant ("smoothquant": int8 weights and int8 activations, W8A8; weight_dtype "int8",
     * group_size -1 is the recipe's; computes in int8 whatever compute_dtype says). Per input
     * channel s = max|x|^alpha / max|w|^(1 - alpha), folded into the op before the layers. Added
     * after the calibration fields: read only when struct_size covers them. */
    float sq_alpha;               /* 0.5 */
    int32_t sq_alpha_auto;        /* 0; 1 = alpha searched per group of layers sharing an input */
    float sq_alpha_min;           /* 0.5: the search's grid */
    float sq_alpha_max;           /* 0.95 */
    float sq_alpha_step;          /* 0.05 */
    const char *sq_criterion;     /* "mean" (default) or "max" of the group's layers' errors */
    const char *sq_activations;   /* "dynamic" (default: one scale per token) or "static" (one
                                     calibrated scale per layer, stored in the file) */
    float sq_act_percentile;      /* 100: static scale from max |x|; below 100 clips outliers */
    const char *sq_keep;          /* tensor name patterns kept in f32, ';'-separated (default NULL) */
    /* tensor_overrides as n_overrides entries, in order (added in API 1.x: read only when
     * struct_size covers them). overrides NULL (default): tensor_overrides decides; not NULL
     * with n_overrides 0: quantize everything. Setting both forms is LLMRT_ERR_INVALID_ARGUMENT. */
    const llmrt_tensor_override *overrides;
    int32_t n_overrides;
    /* Added in API 1.3: read only when struct_size covers them. */
    int32_t scale_type;   /* how each group's scale (and minimum) is stored: LLMRT_SCALE_F32 (default),
                             LLMRT_SCALE_BF16, LLMRT_SCALE_F16 (what llama.cpp's blocks hold) */
    int32_t compute_type; /* what the dot products run in: LLMRT_COMPUTE_AUTO (default: the fastest this
                             CPU has for the type), LLMRT_COMPUTE_F32, _BF16, _INT8 */
} llmrt_quant_params;

#define LLMRT_SCALE_F32 0
#define LLMRT_SCALE_BF16 1
#define LLMRT_SCALE_F16 2
#define LLMRT_COMPUTE_AUTO 0
#define LLMRT_COMPUTE_F32 1
#define LLMRT_COMPUTE_BF16 2
#define LLMRT_COMPUTE_INT8 3
/* "fp32", "bf16", "fp16" for the LLMRT_SCALE_* values and "auto", "fp32", "bf16", "int8" for the
 * LLMRT_COMPUTE_* values (the names the CLI and the bindings take), NULL for any other. Both count
 * up from 0. Static strings. */
LLMRT_API const char *llmrt_scale_type_name(int32_t scale_type);
LLMRT_API const char *llmrt_compute_type_name(int32_t compute_type);

LLMRT_API void llmrt_quant_params_init_sized(llmrt_quant_params *params, uint32_t struct_size);
static inline void llmrt_quant_params_init(llmrt_quant_params *params) {
    llmrt_quant_params_init_sized(params, (uint32_t)sizeof(*params));
}

/* The weight_dtype names this library accepts, in a fixed order, so help texts, menus and
 * bindings need no list of their own: index in [0, llmrt_weight_dtype_count()), NULL outside.
 * Static strings. */
LLMRT_API int32_t llmrt_weight_dtype_count(void);
LLMRT_API const char *llmrt_weight_dtype_name(int32_t index);

typedef struct llmrt_model_params {
    uint32_t struct_size;
    int32_t use_mmap;        /* 1 (default): map weights from the file where the layout allows */
    int32_t n_threads;       /* threads for load-time work such as conversion; 0 = all cores,
                                at most LLMRT_MAX_THREADS */
    /* Quantize the weights in memory while loading (like load_in_4bit elsewhere). NULL (default)
     * keeps the file's types. Not retained after llmrt_model_load returns. */
    const llmrt_quant_params *quantize;
    /* compute_type's API 1.0 spelling: NULL (default) leaves it to compute_type; a name ("auto",
     * "fp32", "bf16", "int8") is read instead, and must agree unless compute_type is at its default. */
    const char *compute_dtype;
    /* Added in API 1.3: read only when struct_size covers it. Compute type for weights stored
     * quantized in the file: LLMRT_COMPUTE_* (default LLMRT_COMPUTE_AUTO). Ignored when quantize
     * is set (its compute_type applies). */
    int32_t compute_type;
    /* Added in API 1.4: read only when struct_size covers it. 0 (default): off. 1: tensor
     * parallelism over the ranks of MPI_COMM_WORLD (start the program with mpirun -np N), Megatron
     * style: every rank owns some attention heads (their q/k/v rows, their columns of the output
     * projection, their keys and values in its KV cache) and a slice of the MLP's hidden features
     * (rows of gate/up, columns of down), and keeps only those weights; one all-reduce per output
     * projection adds the ranks' partial sums, in rank order, so every rank holds the same bits.
     * The output head is split by vocabulary rows and gathered: every rank computes the same
     * logits (within 1e-4 of a single process's: only the order of addition differs) and samples
     * the same token, so no token is broadcast, but every rank must make the same calls with the
     * same arguments (prompts, seeds: a clock-chosen seed differs between ranks), with one context
     * computing at a time. Quantized weights are cut on their groups' boundaries
     * (LLMRT_ERR_UNSUPPORTED when a split would cut a group, or there are more ranks than heads),
     * and llmrt_model_weight_bytes is this rank's share. The library starts
     * MPI (MPI_Init_thread, SERIALIZED: the thread calling llmrt communicates, the library's
     * worker threads never do) unless the program did, and then finalizes it at exit.
     * LLMRT_ERR_UNSUPPORTED in a build without MPI; an MPI failure is LLMRT_ERR_INTERNAL. A rank
     * never waits forever: when the other ranks do not all join a collective within
     * LLMRT_TP_TIMEOUT seconds (environment variable, default 600), the load or decode fails with
     * LLMRT_ERR_IO; the ranks are then out of step for good, so the model fails every later
     * computation, and the library does not finalize MPI at exit, which makes mpirun end the
     * other ranks (a program that initialized MPI itself should call MPI_Abort then). */
    int32_t tensor_parallel;
} llmrt_model_params;

LLMRT_API void llmrt_model_params_init_sized(llmrt_model_params *params, uint32_t struct_size);
static inline void llmrt_model_params_init(llmrt_model_params *params) {
    llmrt_model_params_init_sized(params, (uint32_t)sizeof(*params));
}

/* Loads a Hugging Face directory (config.json + safetensors), a GGUF file or an llmrt file.
 * params may be NULL for defaults. On success *out receives a model to free with llmrt_model_free. */
LLMRT_API llmrt_status llmrt_model_load(const char *path, const llmrt_model_params *params,
                                        llmrt_model **out);
LLMRT_API void llmrt_model_free(llmrt_model *model);

/* Builds a model with random weights and the shape of a known model, in memory, for benchmarks
 * without downloads: "tinyllama-1.1b", "llama-7b", "gptj-6b", "falcon-7b", "mixtral-8x7b", ...
 * (llmrt_synthetic_shapes lists them). Its tokenizer is a byte-level stand-in (one token per
 * byte). seed makes the weights reproducible. LLMRT_ERR_OUT_OF_MEMORY, with the memory needed in
 * llmrt_last_error, when the shape in the requested weight type does not fit this machine. */
LLMRT_API llmrt_status llmrt_model_create_synthetic(const char *shape_name, uint64_t seed,
                                                    const llmrt_model_params *params,
                                                    llmrt_model **out);
/* The shape names llmrt_model_create_synthetic knows, comma-separated ("stories260k, ..."). Static. */
LLMRT_API const char *llmrt_synthetic_shapes(void);

/* Introspection. Returned strings live as long as the model. */
LLMRT_API const char *llmrt_model_architecture(const llmrt_model *model); /* e.g. "llama" */
LLMRT_API const char *llmrt_model_weight_type(const llmrt_model *model);  /* e.g. "f32" */
LLMRT_API uint64_t llmrt_model_n_params(const llmrt_model *model);
LLMRT_API uint64_t llmrt_model_weight_bytes(const llmrt_model *model);
/* Weight bytes one decoded token reads: all weights but the token embedding table, of which one
 * row (the whole table when the output head shares it). Decode tokens/s is at most the memory
 * bandwidth divided by this. */
LLMRT_API uint64_t llmrt_model_decode_read_bytes(const llmrt_model *model);
LLMRT_API int32_t llmrt_model_n_vocab(const llmrt_model *model);
LLMRT_API int32_t llmrt_model_n_ctx_train(const llmrt_model *model);
LLMRT_API int32_t llmrt_model_n_embd(const llmrt_model *model);
LLMRT_API int32_t llmrt_model_n_layer(const llmrt_model *model);
LLMRT_API llmrt_token llmrt_model_bos(const llmrt_model *model); /* -1 if none */
LLMRT_API llmrt_token llmrt_model_eos(const llmrt_model *model); /* -1 if none */
/* 1 if token ends a generation: the EOS and the end-of-turn tokens the model declares
 * (<|eot_id|>, <|im_end|>, <end_of_turn>, ...), the set llmrt_generate stops at; else 0. */
LLMRT_API int32_t llmrt_token_is_end_of_generation(const llmrt_model *model, llmrt_token token);
/* Added in API 1.4. Tensor parallelism (llmrt_model_params.tensor_parallel): this process's rank
 * and the number of ranks the model's weights are sharded over; 0 and 1 when it is off (and for
 * a NULL model). A program usually lets only rank 0 print. */
LLMRT_API int32_t llmrt_model_tp_rank(const llmrt_model *model);
LLMRT_API int32_t llmrt_model_tp_size(const llmrt_model *model);

/* Called by llmrt_check_file for each tensor and embedded file of an llmrt file, in file order:
 * kind ("tensor" or "embedded file"), its name, and ok = 1 when its checksum matches, 0 when its
 * bytes are damaged. The strings are valid during the call. Return non-zero to stop: the call
 * then returns LLMRT_CANCELLED. */
typedef int32_t (*llmrt_check_callback)(const char *kind, const char *name, int32_t ok, void *user_data);

/* Verifies every checksum of an llmrt file (its header's, each tensor's and embedded file's),
 * reading the whole file. Returns LLMRT_OK when all match; LLMRT_ERR_FORMAT when any does not
 * (the message names them, the callback sees each) or the file is malformed; LLMRT_ERR_UNSUPPORTED
 * for an llmrt file written without checksums (version 2). callback may be NULL.
 * llmrt_model_load verifies the same checksums and fails with LLMRT_ERR_FORMAT naming the first
 * damaged tensor. */
LLMRT_API llmrt_status llmrt_check_file(const char *path, llmrt_check_callback callback, void *user_data);

/* The tensors of one type in a model, from llmrt_model_tensor_type. An output struct, so it follows
 * the params structs' size rule: it begins with struct_size and only ever grows at the end; the
 * library writes only the fields the caller's struct holds and sets struct_size to their size. */
typedef struct llmrt_tensor_type_stats {
    uint32_t struct_size;
    const char *type;   /* owned by the model, valid until it is freed: "f32", "bf16", "q4_k"...
                           (as stored in the file) or "f32", "int4_g32_sym_fp32"... (as loaded) */
    int32_t n_tensors;
    uint64_t n_params;  /* elements of those tensors */
    uint64_t n_bytes;   /* n_bytes * 8 / n_params = bits per weight */
} llmrt_tensor_type_stats;

/* The tensor types of a model, sorted by n_params, most first. as_loaded = 0: the tensors of its
 * file by their type there (GGUF/safetensors dtypes in lower case, an llmrt file's weight types),
 * every tensor of the file, also one the model does not use; a synthetic model counts the bf16
 * tensors it is generated in. as_loaded != 0: the tensors the model holds in memory, by the type
 * they were converted, repacked or quantized to on load (their n_params add up to
 * llmrt_model_n_params, their n_bytes to llmrt_model_weight_bytes). 0 for a NULL model. */
LLMRT_API int32_t llmrt_model_n_tensor_types(const llmrt_model *model, int32_t as_loaded);
/* Writes the index-th of those types to *out. LLMRT_ERR_INVALID_ARGUMENT if index is outside
 * [0, llmrt_model_n_tensor_types). */
LLMRT_API llmrt_status llmrt_model_tensor_type_sized(const llmrt_model *model, int32_t as_loaded, int32_t index,
                                                     llmrt_tensor_type_stats *out, uint32_t struct_size);
static inline llmrt_status llmrt_model_tensor_type(const llmrt_model *model, int32_t as_loaded, int32_t index,
                                                   llmrt_tensor_type_stats *out) {
    return llmrt_model_tensor_type_sized(model, as_loaded, index, out, (uint32_t)sizeof(*out));
}

/* ---------------------------------------------------------------------------------------------- */
/* Quantizer: checkpoint in, packed llmrt file out                                               */
/* ---------------------------------------------------------------------------------------------- */

typedef struct llmrt_quantizer llmrt_quantizer;

/* Validates params (unknown dtype, group size...) and keeps a copy of them. */
LLMRT_API llmrt_status llmrt_quantizer_create(const llmrt_quant_params *params, llmrt_quantizer **out);
LLMRT_API void llmrt_quantizer_free(llmrt_quantizer *quantizer);
/* Reads input_path (HF directory, GGUF or llmrt file), quantizes it and writes one llmrt file at
 * output_path: written to a temporary name in the same directory and renamed when complete, so
 * an interrupted or failed run never leaves a partial file (nor touches an existing one). */
LLMRT_API llmrt_status llmrt_quantize(llmrt_quantizer *quantizer, const char *input_path,
                                      const char *output_path);

/* ---------------------------------------------------------------------------------------------- */
/* Tokenizer                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

/* Converts NUL-terminated text to token ids (llmrt_tokenize_n takes a length). add_special != 0 adds the model's BOS (and whatever else its
 * tokenizer adds). If capacity is too small, returns LLMRT_ERR_BUFFER_TOO_SMALL and still writes
 * the needed count to *n_tokens; tokens may be NULL when capacity is 0. */
LLMRT_API llmrt_status llmrt_tokenize(const llmrt_model *model, const char *text, int32_t add_special,
                                      llmrt_token *tokens, int32_t capacity, int32_t *n_tokens);
/* llmrt_tokenize for text of text_len bytes, which may hold NUL bytes (tokenized like any other
 * byte); text may be NULL when text_len is 0. */
LLMRT_API llmrt_status llmrt_tokenize_n(const llmrt_model *model, const char *text, size_t text_len,
                                        int32_t add_special, llmrt_token *tokens, int32_t capacity,
                                        int32_t *n_tokens);

/* llmrt_tokenize_n with flags: LLMRT_TOKENIZE_ADD_SPECIAL as add_special; LLMRT_TOKENIZE_PARSE_SPECIAL
 * turns control tokens written in the text (<|eot_id|>, <|im_start|>, ...) into those tokens, as a
 * rendered chat template needs (llama.cpp's parse_special; without it they are ordinary text). */
#define LLMRT_TOKENIZE_ADD_SPECIAL 1
#define LLMRT_TOKENIZE_PARSE_SPECIAL 2
LLMRT_API llmrt_status llmrt_tokenize_flags(const llmrt_model *model, const char *text, size_t text_len,
                                            int32_t flags, llmrt_token *tokens, int32_t capacity,
                                            int32_t *n_tokens);

/* The bytes one token stands for (a piece may be part of a UTF-8 character). Writes up to
 * capacity bytes, no terminator; *length receives the needed size. LLMRT_ERR_BUFFER_TOO_SMALL if
 * it did not fit; buf may be NULL when capacity is 0, to ask for the size. */
LLMRT_API llmrt_status llmrt_token_to_piece_v2(const llmrt_model *model, llmrt_token token, char *buf,
                                               size_t capacity, size_t *length);

/* Converts ids back to text, NUL-terminated. skip_special != 0 omits control tokens (BOS, EOS).
 * *length receives the text length without the terminator; LLMRT_ERR_BUFFER_TOO_SMALL if
 * capacity < *length + 1 (buf may be NULL when capacity is 0). */
LLMRT_API llmrt_status llmrt_detokenize_v2(const llmrt_model *model, const llmrt_token *tokens,
                                           int32_t n_tokens, int32_t skip_special, char *buf,
                                           size_t capacity, size_t *length);

/* The API 1.0 forms, with int32_t byte counts where the rest of this header has size_t. */
LLMRT_DEPRECATED("use llmrt_token_to_piece_v2 (size_t lengths)")
LLMRT_API llmrt_status llmrt_token_to_piece(const llmrt_model *model, llmrt_token token, char *buf,
                                            int32_t capacity, int32_t *length);
LLMRT_DEPRECATED("use llmrt_detokenize_v2 (size_t lengths)")
LLMRT_API llmrt_status llmrt_detokenize(const llmrt_model *model, const llmrt_token *tokens,
                                        int32_t n_tokens, int32_t skip_special, char *buf,
                                        int32_t capacity, int32_t *length);

/* A text stream turns a sequence's token pieces into text to show, as llmrt_generation_next does
 * inside, for callers with their own decode loop (several sequences with llmrt_decode_multi, a
 * server): a piece of text never ends inside a UTF-8 character, and text that may be the start of
 * a stop string is held back until it is not. Not thread-safe; one per sequence. */
typedef struct llmrt_text_stream llmrt_text_stream;

/* n_stop_strings NUL-terminated strings (copied; stop_strings may be NULL when n is 0; an empty
 * one is invalid). On success *out receives a stream to free with llmrt_text_stream_free. */
LLMRT_API llmrt_status llmrt_text_stream_create(const char *const *stop_strings, int32_t n_stop_strings,
                                                llmrt_text_stream **out);
LLMRT_API void llmrt_text_stream_free(llmrt_text_stream *stream);
/* Adds len bytes (a token's piece, llmrt_token_to_piece_v2) and sets *text / *text_len to what can
 * be shown now: owned by stream, valid until its next call, possibly empty. Once a stop string has
 * appeared, the text before it is returned and the stream is stopped: later pushes return "". */
LLMRT_API llmrt_status llmrt_text_stream_push(llmrt_text_stream *stream, const char *bytes, size_t len,
                                              const char **text, size_t *text_len);
/* 1 once a stop string has appeared, else 0. */
LLMRT_API int32_t llmrt_text_stream_stopped(const llmrt_text_stream *stream);
/* At the end of a sequence that did not stop on a stop string: what is still held back (an
 * incomplete character, the start of a stop string), as push returns it. */
LLMRT_API llmrt_status llmrt_text_stream_flush(llmrt_text_stream *stream, const char **text, size_t *text_len);

/* ---------------------------------------------------------------------------------------------- */
/* Chat templates                                                                                 */
/* ---------------------------------------------------------------------------------------------- */

/* Chat templates are Jinja templates (tokenizer_config.json "chat_template", GGUF
 * tokenizer.chat_template), rendered as Hugging Face transformers' apply_chat_template renders
 * them with Jinja2: the variables are messages, tools (None unless given), documents (None),
 * add_generation_prompt, bos_token/eos_token when known, and extra_vars_json's; the globals
 * raise_exception and strftime_now (the current local time) are defined. */

/* One message of a conversation. Both strings are NUL-terminated UTF-8. */
typedef struct llmrt_chat_message {
    const char *role;    /* "system", "user", "assistant", "tool", ... */
    const char *content;
} llmrt_chat_message;

typedef struct llmrt_chat_template_params {
    uint32_t struct_size;
    int32_t add_generation_prompt; /* 1 (default): end with the opening of the assistant's turn */
    /* The special tokens' text. NULL (default): the model's BOS/EOS when a model is given,
     * otherwise undefined in the template. */
    const char *bos_token;
    const char *eos_token;
    const char *tools_json;      /* JSON array of tool definitions; NULL (default): tools = None */
    const char *extra_vars_json; /* JSON object of further variables, e.g. {"enable_thinking": false},
                                    which win over the ones above; NULL (default): none */
} llmrt_chat_template_params;

LLMRT_API void llmrt_chat_template_params_init_sized(llmrt_chat_template_params *params, uint32_t struct_size);
static inline void llmrt_chat_template_params_init(llmrt_chat_template_params *params) {
    llmrt_chat_template_params_init_sized(params, (uint32_t)sizeof(*params));
}

/* The model's chat template called name (NULL or "default": its default one; others such as
 * "tool_use" exist in some tokenizer_config.json files), NUL-terminated in buf. *length receives
 * the length without the terminator; it is 0 (and buf holds "") when the model has no such
 * template. LLMRT_ERR_BUFFER_TOO_SMALL if capacity < *length + 1; buf may be NULL when capacity
 * is 0, to ask for the length. */
LLMRT_API llmrt_status llmrt_model_chat_template(const llmrt_model *model, const char *name, char *buf,
                                                 size_t capacity, size_t *length);

/* Renders the chat template tmpl (NULL: the model's default template) for n_messages messages,
 * NUL-terminated in buf; *length receives the length without the terminator, and
 * LLMRT_ERR_BUFFER_TOO_SMALL is returned if capacity < *length + 1 (buf may be NULL when capacity
 * is 0). model may be NULL when tmpl is given; params may be NULL for defaults. A template that
 * is malformed or raises (raise_exception, a type error, ...) gives LLMRT_ERR_INVALID_ARGUMENT and
 * a message like Jinja2's ("TemplateError: System role not supported"). */
LLMRT_API llmrt_status llmrt_chat_apply_template(const llmrt_model *model, const char *tmpl,
                                                 const llmrt_chat_message *messages, size_t n_messages,
                                                 const llmrt_chat_template_params *params, char *buf,
                                                 size_t capacity, size_t *length);
/* The same with the messages as a JSON array of objects, for messages with more than a role and
 * a content (tool_calls, tool_call_id, name, ...). */
LLMRT_API llmrt_status llmrt_chat_apply_template_json(const llmrt_model *model, const char *tmpl,
                                                      const char *messages_json,
                                                      const llmrt_chat_template_params *params, char *buf,
                                                      size_t capacity, size_t *length);

/* What a chat session does around the template, for applications that render chats themselves
 * (a server: several conversations on one context).
 *  - The template a chat session uses for a model without one: a plain "User: ... / Assistant:"
 *    transcript (README, "Multi-turn chat"). Static string. */
LLMRT_API const char *llmrt_chat_plain_template(void);
/*  - Where an answer rendered with tmpl (NULL: the model's default; the plain template too) ends
 *    besides end-of-generation tokens: the text the template writes after an assistant's message
 *    ("<|im_end|>", "<end_of_turn>"; "\nUser:" for the plain transcript), a stop string of a chat
 *    session; "" when there is none. Buffer rules of llmrt_chat_apply_template. */
LLMRT_API llmrt_status llmrt_chat_template_stop_text(const llmrt_model *model, const char *tmpl, char *buf,
                                                     size_t capacity, size_t *length);
/*  - A rendered chat as tokens, as a chat session tokenizes it: control-token text is those tokens
 *    (LLMRT_TOKENIZE_PARSE_SPECIAL), and the BOS is added unless the text begins with the BOS text.
 *    Buffer rules of llmrt_tokenize. */
LLMRT_API llmrt_status llmrt_chat_tokenize(const llmrt_model *model, const char *text, size_t text_len,
                                           llmrt_token *tokens, int32_t capacity, int32_t *n_tokens);

/* ---------------------------------------------------------------------------------------------- */
/* Context: KV cache and scratch for one sequence (or several)                                    */
/* ---------------------------------------------------------------------------------------------- */

typedef struct llmrt_context llmrt_context;

typedef struct llmrt_context_params {
    uint32_t struct_size;
    int32_t n_ctx;     /* context window in tokens; 0 = the model's training length (default 0,
                          capped at 4096 to keep the cache small) */
    int32_t n_batch;   /* most tokens evaluated in one prefill step (default 512) */
    int32_t n_threads; /* worker threads; 0 = all cores (default), at most LLMRT_MAX_THREADS;
                          LLMRT_ERR_OUT_OF_MEMORY if the system cannot start them */
    int32_t logits_all; /* 1: keep logits for every token of the last llmrt_decode (perplexity);
                           0 (default): only the last */
    int32_t kv_type;    /* LLMRT_KV_F32 (default); LLMRT_KV_F16: half the cache memory, and the
                           numerics of llama.cpp's default cache; LLMRT_KV_BF16: half, f32's
                           range; LLMRT_KV_INT8: about a quarter (int8 with one scale per head and
                           position). Accuracy of each: README, "KV cache types". */
    /* Added in API 1.x: read only when struct_size covers it. Independent sequences the context
       holds, each with its own n_ctx positions (the cache is n_seq_max times as large); 1 to
       LLMRT_MAX_SEQUENCES (default 1). See "Several sequences" below. */
    int32_t n_seq_max;
} llmrt_context_params;

#define LLMRT_MAX_SEQUENCES 256

#define LLMRT_KV_F32 0
#define LLMRT_KV_F16 1
#define LLMRT_KV_BF16 2
#define LLMRT_KV_INT8 3
#define LLMRT_KV_Q8 LLMRT_KV_INT8 /* its name in API 1.1 and 1.2 */
/* "f32", "f16", "bf16", "int8" for the LLMRT_KV_* values, NULL for any other. The values count up
 * from 0, so the names can be listed by counting until NULL (help texts, bindings). Static. */
LLMRT_API const char *llmrt_kv_type_name(int32_t kv_type);

LLMRT_API void llmrt_context_params_init_sized(llmrt_context_params *params, uint32_t struct_size);
static inline void llmrt_context_params_init(llmrt_context_params *params) {
    llmrt_context_params_init_sized(params, (uint32_t)sizeof(*params));
}
/* The context keeps a reference to the model: the model stays alive until its last context is
 * freed, even if llmrt_model_free was called first. */
LLMRT_API llmrt_status llmrt_context_create(llmrt_model *model, const llmrt_context_params *params,
                                            llmrt_context **out);
LLMRT_API void llmrt_context_free(llmrt_context *ctx);
LLMRT_API int32_t llmrt_context_n_ctx(const llmrt_context *ctx);
/* Number of tokens currently in the KV cache. */
LLMRT_API int32_t llmrt_context_n_past(const llmrt_context *ctx);

/* Appends n_tokens to the sequence and evaluates them (in n_batch steps). Afterwards
 * llmrt_get_logits returns the next-token logits after the last token. LLMRT_ERR_CONTEXT_FULL if
 * they do not fit; LLMRT_CANCELLED if llmrt_context_cancel was called meanwhile. */
LLMRT_API llmrt_status llmrt_decode(llmrt_context *ctx, const llmrt_token *tokens, int32_t n_tokens);
/* n_vocab floats, owned by the context, valid until the next call on ctx. NULL before any decode. */
LLMRT_API const float *llmrt_get_logits(const llmrt_context *ctx);
/* Logits after token i of the last llmrt_decode call (0 <= i < its n_tokens); needs logits_all
 * unless i is the last. NULL when out of range. */
LLMRT_API const float *llmrt_get_logits_ith(const llmrt_context *ctx, int32_t i);
/* Log-likelihood of a continuation given a context, as evaluation harnesses score answers
 * (lm-eval's loglikelihood): *logprob receives the sum over the m continuation tokens of
 * ln p(token | everything before it), and *is_greedy 1 when each of them is the greedy choice
 * (the highest logit, the lowest id among equal ones), else 0. Both token arrays are the caller's
 * ids as they are (add BOS to context_tokens yourself if the model expects it); n >= 1, m >= 1,
 * n + m <= n_ctx or LLMRT_ERR_CONTEXT_FULL. Works with or without logits_all. Replaces ctx's
 * sequence with context + continuation minus its last token; positions already in the cache that
 * agree with it are reused, so scoring several continuations of one context evaluates the context
 * once. Ends a pull-form generation. LLMRT_CANCELLED as llmrt_decode. */
LLMRT_API llmrt_status llmrt_score_continuation(llmrt_context *ctx, const llmrt_token *context_tokens,
                                                int32_t n, const llmrt_token *continuation_tokens,
                                                int32_t m, double *logprob, int32_t *is_greedy);
/* StreamingLLM for callers with their own loop: drops the cached positions [n_keep, n_keep +
 * n_discard) and moves the later ones down, so n_past shrinks by n_discard and decoding can go on.
 * mode LLMRT_SHIFT_REEVALUATE evaluates the moved tokens again at their new positions (then
 * llmrt_get_logits gives the logits after the last of them, NULL if none was left); LLMRT_SHIFT_ROPED_K
 * moves the cache rows and re-rotates the keys (llmrt_get_logits keeps the logits from before the
 * shift). n_discard -1 = half of the positions after n_keep, (n_past - n_keep) / 2.
 * LLMRT_ERR_INVALID_ARGUMENT unless n_keep >= 0, n_discard >= 1 and n_keep + n_discard <= n_past
 * (after the default), or for mode LLMRT_SHIFT_OFF or an unknown mode; LLMRT_ERR_UNSUPPORTED,
 * changing nothing, for LLMRT_SHIFT_ROPED_K on learned positions; LLMRT_CANCELLED while
 * re-evaluating (the cache then holds the first n_keep positions). A running generation goes on. */
LLMRT_API llmrt_status llmrt_context_shift(llmrt_context *ctx, int32_t n_keep, int32_t n_discard, int32_t mode);
/* Several sequences in one context (n_seq_max > 1), as llama.cpp's sequence ids: each sequence
 * (id 0 to n_seq_max - 1) has its own cached tokens and positions, and N of them decode together
 * in one forward pass, so one read of the weights serves N tokens. Sequence 0 is the one
 * llmrt_decode, llmrt_generate*, llmrt_score_continuation and llmrt_context_n_past use; the
 * others are reached only through the calls below. llmrt_context_reset empties all of them.
 *
 * Appends tokens[i] to sequence seq_ids[i] at that sequence's next position and evaluates all
 * n_tokens together (in n_batch steps; tokens of one sequence are taken in the order given).
 * Afterwards llmrt_get_logits_ith(ctx, i) gives the next-token logits after tokens[i], for every
 * i of this call (logits_all is not needed). Both arrays are the caller's, read during the call.
 * LLMRT_ERR_INVALID_ARGUMENT for a sequence id outside [0, n_seq_max) or a bad token id,
 * LLMRT_ERR_CONTEXT_FULL if a sequence would pass n_ctx: nothing is evaluated then.
 * LLMRT_CANCELLED (llmrt_context_cancel) leaves every sequence as it was before the call. */
LLMRT_API llmrt_status llmrt_decode_multi(llmrt_context *ctx, const llmrt_token *tokens, const int32_t *seq_ids,
                                          int32_t n_tokens);
/* llmrt_decode_multi keeping the logits of the rows i with want_logits[i] != 0 only (NULL: all);
 * llmrt_get_logits_ith gives NULL for the others. A step that prefills prompts then computes the
 * output head for each prompt's last row alone, as the next token needs. */
LLMRT_API llmrt_status llmrt_decode_multi_select(llmrt_context *ctx, const llmrt_token *tokens,
                                                 const int32_t *seq_ids, const int8_t *want_logits,
                                                 int32_t n_tokens);
/* The context's n_seq_max (0 for NULL). */
LLMRT_API int32_t llmrt_context_n_seq_max(const llmrt_context *ctx);
/* Tokens cached for sequence seq; -1 for NULL ctx or a bad id. */
LLMRT_API int32_t llmrt_seq_n_past(const llmrt_context *ctx, int32_t seq);
/* Empties sequence seq (its next token goes at position 0). */
LLMRT_API llmrt_status llmrt_seq_remove(llmrt_context *ctx, int32_t seq);
/* Sequence dst becomes a copy of src: its cached tokens and their keys and values (dst's own are
 * dropped), e.g. to evaluate a shared prompt once and continue it several ways. src == dst does
 * nothing. Costs a copy of src's cache, no evaluation. */
LLMRT_API llmrt_status llmrt_seq_copy(llmrt_context *ctx, int32_t src, int32_t dst);
/* Keeps sequence seq's first n cached tokens (0 <= n <= its n_past): the next goes at position n. */
LLMRT_API llmrt_status llmrt_seq_truncate(llmrt_context *ctx, int32_t seq, int32_t n);

/* Empties the KV cache, ends a pull-form generation and clears a pending cancel. While a call on
 * ctx is running (from its callback) it does nothing but log a warning: the context is busy. */
LLMRT_API void llmrt_context_reset(llmrt_context *ctx);
/* Cancel: asks the call on ctx that is running (llmrt_decode, llmrt_generate, _begin, _next,
 * llmrt_generation_create and _next, llmrt_chat_session_respond and _respond_begin) to
 * stop with LLMRT_CANCELLED, or, if none is running, the next such call. The request is cleared
 * when that call returns, whatever it returns (a call that finished before it saw the request
 * still clears it), and by llmrt_context_reset. Any thread; never blocks. */
LLMRT_API void llmrt_context_cancel(llmrt_context *ctx);

/* Per-op timing of ctx's forward passes, to see where the time goes; off by default (then it
 * costs nothing measurable). enabled != 0 turns it on and zeroes the counters, also when it was
 * already on; 0 turns it off and drops them. llmrt_context_reset keeps them. */
LLMRT_API llmrt_status llmrt_context_set_profiling(llmrt_context *ctx, int32_t enabled);
/* The counters since profiling was enabled, as JSON text: *out_json is owned by ctx and valid
 * until the next call on ctx (NULL on failure). LLMRT_ERR_INVALID_ARGUMENT if profiling is off.
 *   {"decode": PHASE, "prefill": PHASE}: decode counts forward passes of one token, prefill those
 *   of more (a prompt is evaluated in steps of at most n_batch tokens).
 *   PHASE = {"steps": forward passes, "tokens": tokens in them, "seconds": their wall time,
 *            "ops": [{"op": NAME, "calls": N, "seconds": S, "bytes": B}, ...] (the ops that ran),
 *            "barrier_wait_seconds": time the calling thread waited for the worker threads
 *                                    (part of the ops' seconds),
 *            "pool_runs": parallel sections run}
 *   NAME: "embedding", "norm", "matmul.attn_qkv" (q, k and v: they share their input and run as
 *   one parallel section), "matmul.attn_output", "matmul.ffn_gate_up" (likewise), "matmul.ffn_down",
 *   "matmul.output", "attention", "rope", "elementwise" (bias and residual adds, SiLU),
 *   "kv_store". B is the weight bytes one call reads (for a matmul the matrix size; a mean over
 *   calls), so B * calls / S is the achieved read bandwidth. The ops' seconds add up to at most
 *   the phase's seconds. */
LLMRT_API llmrt_status llmrt_context_profile_json(llmrt_context *ctx, const char **out_json);

/* ---------------------------------------------------------------------------------------------- */
/* Sampler                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

typedef struct llmrt_sampler llmrt_sampler;

/* One entry of llmrt_sampler_params.logit_bias. */
typedef struct llmrt_logit_bias {
    llmrt_token token;
    float bias;
} llmrt_logit_bias;

typedef struct llmrt_sampler_params {
    uint32_t struct_size;
    float temperature;        /* 0 = greedy (default 0.8) */
    int32_t top_k;            /* 0 = off (default 40) */
    float top_p;              /* 1 = off (default 0.95) */
    float min_p;              /* 0 = off (default 0.05) */
    float repetition_penalty; /* 1 = off (default 1.0) */
    int32_t repetition_last_n;/* how many recent tokens the penalty looks at (default 64) */
    uint64_t seed;            /* default 0xFFFFFFFF... = pick one from the clock */
    /* Added in API 1.x: read only when struct_size covers them. OpenAI semantics over the same
     * window as the repetition penalty (the last repetition_last_n tokens the sampler picked; the
     * prompt is not in it): logit -= presence_penalty * (count > 0) + frequency_penalty * count. 0 = off (default). */
    float presence_penalty;
    float frequency_penalty;
    /* Hugging Face's no_repeat_ngram_size: a token that would complete an n-gram already present
     * in the sequence is banned. The sequence is every token since the last llmrt_sampler_reset:
     * the prompts a generation evaluates (it feeds them to the sampler) and the tokens picked.
     * 0 = off (default). */
    int32_t no_repeat_ngram_size;
    /* n_logit_bias (token, bias) pairs added to the logits before anything else; -INFINITY bans
     * the token. Copied at create (not retained). An id outside the vocabulary fails the first
     * generation or sample with LLMRT_ERR_INVALID_ARGUMENT naming it. Default none. */
    const llmrt_logit_bias *logit_bias;
    int32_t n_logit_bias;
} llmrt_sampler_params;

#define LLMRT_DEFAULT_SEED 0xFFFFFFFFFFFFFFFFull

LLMRT_API void llmrt_sampler_params_init_sized(llmrt_sampler_params *params, uint32_t struct_size);
static inline void llmrt_sampler_params_init(llmrt_sampler_params *params) {
    llmrt_sampler_params_init_sized(params, (uint32_t)sizeof(*params));
}
LLMRT_API llmrt_status llmrt_sampler_create(const llmrt_sampler_params *params, llmrt_sampler **out);
LLMRT_API void llmrt_sampler_free(llmrt_sampler *sampler);
/* Picks a token from n_vocab logits (not modified). Remembers it for the repetition penalty.
 * LLMRT_ERR_INVALID_ARGUMENT if a logit is NaN or +inf, or every logit is -inf (no token can be
 * picked); the message names the first bad id. */
LLMRT_API llmrt_status llmrt_sampler_sample(llmrt_sampler *sampler, const float *logits,
                                            int32_t n_vocab, llmrt_token *out);
/* Forgets remembered tokens and reseeds with the seed it was created with. */
LLMRT_API void llmrt_sampler_reset(llmrt_sampler *sampler);
/* Tells the sampler of n tokens already in the sequence (a prompt evaluated elsewhere), for
 * no_repeat_ngram_size. Not for the penalties' window, which holds picked tokens only. */
LLMRT_API llmrt_status llmrt_sampler_accept_prompt(llmrt_sampler *sampler, const llmrt_token *tokens,
                                                   int32_t n);

/* ---------------------------------------------------------------------------------------------- */
/* Generation                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

/* Receives each piece of text as it is produced: called once per generated token, with the id in
 * token, and piece holding len bytes (not NUL-terminated, possibly 0) that never end inside a UTF-8
 * character. Text held back until then (a partial stop string, an unfinished character) may come
 * in one last call with token -1. Return non-zero to stop: llmrt_generate then returns
 * LLMRT_CANCELLED. */
typedef int32_t (*llmrt_token_callback)(const char *piece, size_t len, int32_t token,
                                        void *user_data);

/* A custom stopping criterion (llmrt_generate_params.stop_callback). */
typedef int32_t (*llmrt_stop_callback)(const llmrt_token *generated, int32_t n_generated, void *user_data);

typedef struct llmrt_generate_params {
    uint32_t struct_size;
    int32_t max_new_tokens;      /* default 128 */
    int32_t min_new_tokens;      /* end-of-sequence is ignored before this many (default 0) */
    int32_t stop_at_eos;         /* default 1 */
    int32_t add_special;         /* tokenize the prompt with BOS (default 1) */
    const char *const *stop_strings; /* n_stop_strings strings; generation ends when the output
                                        contains one, which is not emitted. Not retained. */
    int32_t n_stop_strings;
    /* Added in API 1.x: read only when struct_size covers them. Called after each token from the
     * min_new_tokens-th on, with the n_generated ids this generation has produced (valid during
     * the call); non-zero stops it after that token, with stop reason "callback". Default NULL. */
    llmrt_stop_callback stop_callback;
    void *stop_user_data;
    /* StreamingLLM: endless generation in a fixed window (added in API 1.x: read only when
     * struct_size covers them). When the next token would not fit, shift_mode LLMRT_SHIFT_OFF
     * (default) ends the generation with stop reason "context_full"; the other modes make room with
     * llmrt_context_shift(ctx, n_keep, n_discard, shift_mode) and go on, in constant memory.
     * n_keep: positions kept from the start, the attention sinks (default 4); -1 = everything in
     * the context once the prompt is in (the whole prompt). n_discard: positions dropped after
     * them at each shift; -1 (default) = half of those not kept, (n_ctx - n_keep) / 2. Checked by
     * begin, before the prompt is evaluated: LLMRT_ERR_INVALID_ARGUMENT unless, after the
     * defaults, 0 <= n_keep < n_ctx and 1 <= n_discard <= n_ctx - n_keep; LLMRT_ERR_UNSUPPORTED
     * for LLMRT_SHIFT_ROPED_K on a model with learned positions. Ignored when off. */
    int32_t shift_mode;
    int32_t n_keep;
    int32_t n_discard;
} llmrt_generate_params;

/* llmrt_generate_params.shift_mode and llmrt_context_shift's mode. */
#define LLMRT_SHIFT_OFF        0 /* no shift: a full window ends the generation */
#define LLMRT_SHIFT_REEVALUATE 1 /* evaluate the moved tokens again at their new positions: exact, costs a prefill */
#define LLMRT_SHIFT_ROPED_K    2 /* Intel's shift_roped_k: move the cache rows and re-rotate their keys
                                    (RoPE; ALiBi needs no rotation): nothing recomputed, but approximate:
                                    the moved rows keep what deeper layers computed with the dropped
                                    tokens in view (README); LLMRT_ERR_UNSUPPORTED for learned positions */

LLMRT_API void llmrt_generate_params_init_sized(llmrt_generate_params *params, uint32_t struct_size);
static inline void llmrt_generate_params_init(llmrt_generate_params *params) {
    llmrt_generate_params_init_sized(params, (uint32_t)sizeof(*params));
}

/* Tokenizes prompt, appends it to ctx's sequence (call llmrt_context_reset for a fresh one),
 * then samples and streams up to max_new_tokens tokens. params may be NULL. callback may be NULL. */
LLMRT_API llmrt_status llmrt_generate(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                                      const llmrt_generate_params *params,
                                      llmrt_token_callback callback, void *user_data);

/* The generation handle: the pull form of llmrt_generate, for callers with their own event loop
 * (llmrt_generate is a loop over it). create tokenizes prompt, appends it to ctx's sequence and
 * evaluates it; each llmrt_generation_next produces one token and its piece of text. params may be
 * NULL. On success *out receives a handle to free with llmrt_generation_free.
 *  - One generation per context at a time: from create until next has returned
 *    LLMRT_END_OF_GENERATION or the handle is freed, another llmrt_generation_create,
 *    llmrt_generate or llmrt_chat_session_respond* on ctx fails with LLMRT_ERR_BUSY.
 *    llmrt_context_reset and llmrt_score_continuation end it: its next call then fails with
 *    LLMRT_ERR_INVALID_ARGUMENT.
 *  - The handle keeps ctx and sampler alive (their *_free may come first); it must be used by the
 *    thread that uses ctx. llmrt_context_cancel makes the running or next llmrt_generation_next
 *    return LLMRT_CANCELLED (stop reason "cancelled"); a later next continues the generation. */
typedef struct llmrt_generation llmrt_generation;

LLMRT_API llmrt_status llmrt_generation_create(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                                               const llmrt_generate_params *params, llmrt_generation **out);
/* The next piece: *piece (owned by gen, NUL terminated, *len bytes, valid until the next call on
 * gen; may be empty while a UTF-8 character or a possible stop string is incomplete) and *token
 * (the id produced, -1 for a last piece that only flushes held-back text; token may be NULL).
 * Returns LLMRT_OK with a piece, or LLMRT_END_OF_GENERATION (with an empty piece) once a stop
 * condition has been met, and again on every later call. */
LLMRT_API llmrt_status llmrt_generation_next(llmrt_generation *gen, const char **piece, size_t *len,
                                             llmrt_token *token);
/* Why gen ended: one of LLMRT_STOP_* (below), LLMRT_STOP_NONE while it runs. */
LLMRT_API int32_t llmrt_generation_stop_code(const llmrt_generation *gen);
/* How many tokens gen has produced (0 once its context ended it). */
LLMRT_API int32_t llmrt_generation_n_generated(const llmrt_generation *gen);
/* Ends the generation and releases its references. Accepts NULL. What the context evaluated
 * stays in its cache. */
LLMRT_API void llmrt_generation_free(llmrt_generation *gen);

/* Deprecated pull form, with its state hidden on the context: begin = llmrt_generation_create,
 * next = llmrt_generation_next (*piece owned by ctx), end = llmrt_generation_free. begin ends the
 * previous one begun on ctx; LLMRT_ERR_BUSY while a generation handle is live on ctx. */
LLMRT_DEPRECATED("use llmrt_generation_create")
LLMRT_API llmrt_status llmrt_generate_begin(llmrt_context *ctx, llmrt_sampler *sampler,
                                            const char *prompt, const llmrt_generate_params *params);
LLMRT_DEPRECATED("use llmrt_generation_next")
LLMRT_API llmrt_status llmrt_generate_next(llmrt_context *ctx, const char **piece, size_t *len,
                                           llmrt_token *token);
LLMRT_DEPRECATED("use llmrt_generation_free")
LLMRT_API void llmrt_generate_end(llmrt_context *ctx);

/* Why a generation ended: llmrt_generation_stop_code and llmrt_generate_stop_code. */
#define LLMRT_STOP_NONE         0 /* still running, or none has ended */
#define LLMRT_STOP_LENGTH       1 /* max_new_tokens reached */
#define LLMRT_STOP_EOS          2 /* an end-of-generation token */
#define LLMRT_STOP_STRING       3 /* a stop string */
#define LLMRT_STOP_CONTEXT_FULL 4 /* the window is full and shift_mode is LLMRT_SHIFT_OFF */
#define LLMRT_STOP_CANCELLED    5 /* llmrt_context_cancel or the token callback; a handle may continue */
#define LLMRT_STOP_CALLBACK     6 /* the stop callback returned non-zero */
/* "", "length", "eos", "stop_string", "context_full", "cancelled", "callback" for the LLMRT_STOP_*
 * values in order (the names of Hugging Face's and Intel's runtimes), NULL for any other. The
 * values count up from 0. Static strings. */
LLMRT_API const char *llmrt_stop_reason_name(int32_t reason);

/* Why the last llmrt_generate (the callback form; also the deprecated llmrt_generate_begin) on
 * ctx ended, as LLMRT_STOP_* (LLMRT_STOP_NONE while none has ended). A generation handle reports
 * its own: llmrt_generation_stop_code. */
LLMRT_API int32_t llmrt_generate_stop_code(const llmrt_context *ctx);

/* The stop reasons as strings, from API 1.0: llmrt_stop_reason_name of the codes above. */
LLMRT_DEPRECATED("use llmrt_stop_reason_name(llmrt_generation_stop_code(gen))")
LLMRT_API const char *llmrt_generation_stop_reason(const llmrt_generation *gen);
LLMRT_DEPRECATED("use llmrt_stop_reason_name(llmrt_generate_stop_code(ctx))")
LLMRT_API const char *llmrt_generate_stop_reason(const llmrt_context *ctx);

/* ---------------------------------------------------------------------------------------------- */
/* Chat session: a multi-round conversation on one context                                        */
/* ---------------------------------------------------------------------------------------------- */

/* A session keeps the conversation as messages and the context's KV cache across turns. Each
 * respond renders the whole conversation with the template (add_generation_prompt on), tokenizes
 * it (without BOS when the rendered text begins with the BOS token's text), keeps the cached
 * positions that agree with those tokens (the longest common prefix) and evaluates only the rest,
 * then generates the answer, which is appended to the conversation as an "assistant" message.
 * The answer's tokens re-rendered as history need not tokenize as they were generated; where they
 * differ the cache is re-evaluated from the first difference, so the result is always the one a
 * fresh context would compute for the rendered text.
 *  - Templates: the one given, else the model's default; a model without one gets a plain
 *    transcript: the system message then a blank line, "User: " + text + "\n" and
 *    "Assistant:" + text + "\n" per message, and "Assistant:" as the generation prompt (so an
 *    answer usually begins with a space). The template's special-token text ("<|im_start|>") is
 *    tokenized as those tokens, as Hugging Face does.
 *  - Stop: besides the model's end-of-generation tokens, an answer ends at the template's
 *    end-of-turn text (what it writes after an assistant message, e.g. "<|im_end|>"; for the plain
 *    transcript "\nUser:"), which is not part of the answer.
 *  - Window: when the rendered conversation leaves fewer than min(max_new_tokens, n_ctx / 2) free
 *    positions, the oldest turns (a user message and the answers after it; never the system
 *    message, nor the newest user message) are dropped until it fits; the cache is then
 *    re-evaluated from the first dropped message. LLMRT_ERR_CONTEXT_FULL if the system message
 *    and the newest message alone do not fit.
 *  - The session uses ctx (no other calls on ctx while it lives, or its cache is re-evaluated at
 *    the next respond) and keeps ctx and sampler alive. One thread at a time. */
typedef struct llmrt_chat_session llmrt_chat_session;

typedef struct llmrt_chat_session_params {
    uint32_t struct_size;
    const char *chat_template;  /* Jinja template text; NULL (default) = the model's (see above) */
    const char *system_prompt;  /* NULL or "" (default) = no system message */
} llmrt_chat_session_params;

LLMRT_API void llmrt_chat_session_params_init_sized(llmrt_chat_session_params *params, uint32_t struct_size);
static inline void llmrt_chat_session_params_init(llmrt_chat_session_params *params) {
    llmrt_chat_session_params_init_sized(params, (uint32_t)sizeof(*params));
}

/* params may be NULL. Empties ctx's cache. The strings are copied. A template that raises or
 * does not parse fails the respond that renders it, with LLMRT_ERR_INVALID_ARGUMENT and Jinja's
 * message (as llmrt_chat_apply_template). */
LLMRT_API llmrt_status llmrt_chat_session_create(llmrt_context *ctx, llmrt_sampler *sampler,
                                                 const llmrt_chat_session_params *params,
                                                 llmrt_chat_session **out);
LLMRT_API void llmrt_chat_session_free(llmrt_chat_session *session);

/* Appends a message ("user", "assistant", "system", "tool", ...; copied). Usually a "user"
 * message, then respond. */
LLMRT_API llmrt_status llmrt_chat_session_add_message(llmrt_chat_session *session, const char *role,
                                                      const char *content);
/* Generates the assistant's answer to the conversation so far, streaming it to callback (as
 * llmrt_generate; may be NULL), and appends it to the conversation, also when the callback or a
 * cancel stopped it (LLMRT_CANCELLED: the part produced is kept). params may be NULL; its
 * add_special is ignored (see above) and its stop strings are added to the template's. The
 * conversation must end with a message that is not the assistant's. */
LLMRT_API llmrt_status llmrt_chat_session_respond(llmrt_chat_session *session, const llmrt_generate_params *params,
                                                  llmrt_token_callback callback, void *user_data);
/* The pull form: prepares the answer as respond does and returns it as a generation handle; the
 * text it produces is appended to the conversation when it ends (END_OF_GENERATION) or is freed,
 * whichever comes first. The session refuses other calls with LLMRT_ERR_BUSY until then. */
LLMRT_API llmrt_status llmrt_chat_session_respond_begin(llmrt_chat_session *session,
                                                        const llmrt_generate_params *params,
                                                        llmrt_generation **out);
/* Removes the newest message (to regenerate an answer, or take back a user message whose respond
 * failed). LLMRT_ERR_INVALID_ARGUMENT when only the system message is left. */
LLMRT_API llmrt_status llmrt_chat_session_pop_message(llmrt_chat_session *session);
/* Forgets the conversation but the system message, and empties the cache. */
LLMRT_API llmrt_status llmrt_chat_session_reset(llmrt_chat_session *session);
/* Drops the n oldest turns (a turn: a user message and the messages up to the next one; the
 * system message stays). n larger than the number of turns drops them all. */
LLMRT_API llmrt_status llmrt_chat_session_truncate(llmrt_chat_session *session, int32_t n_oldest_turns);

LLMRT_API int32_t llmrt_chat_session_n_messages(const llmrt_chat_session *session);
/* Message i (0 = the oldest, the system message if any): role and content, owned by the session,
 * valid until the next call that changes it. LLMRT_ERR_INVALID_ARGUMENT when i is out of range. */
LLMRT_API llmrt_status llmrt_chat_session_message(const llmrt_chat_session *session, int32_t i,
                                                  const char **role, const char **content);
/* The last respond's prompt: the tokens it evaluated and those it reused from the cache (their
 * sum is the rendered conversation's length), and the messages dropped to fit the window. */
LLMRT_API int32_t llmrt_chat_session_n_evaluated(const llmrt_chat_session *session);
/* The text the last respond rendered (what the model was given), owned by the session and valid
 * until its next respond; "" before the first. */
LLMRT_API const char *llmrt_chat_session_prompt(const llmrt_chat_session *session);
LLMRT_API int32_t llmrt_chat_session_n_reused(const llmrt_chat_session *session);
LLMRT_API int32_t llmrt_chat_session_n_dropped(const llmrt_chat_session *session);

/* ---------------------------------------------------------------------------------------------- */
/* Beam search                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

/* early_stopping, as Hugging Face generate's: */
#define LLMRT_EARLY_STOPPING_FALSE 0 /* HF False (default): stop when the best running beam cannot
                                        beat the worst finished one at its current length */
#define LLMRT_EARLY_STOPPING_TRUE 1  /* HF True: stop as soon as num_beams hypotheses are finished */
#define LLMRT_EARLY_STOPPING_NEVER 2 /* HF "never": as FALSE, but with length_penalty > 0 the best
                                        running beam is judged at max_new_tokens (canonical search) */

typedef struct llmrt_beam_params {
    uint32_t struct_size;
    int32_t num_beams;            /* default 4; the context needs n_seq_max >= num_beams */
    int32_t num_return_sequences; /* 1 to num_beams (default 1) */
    int32_t max_new_tokens;       /* >= 1 (default 128); prompt + max_new_tokens <= n_ctx */
    float length_penalty;         /* exponent of the length a finished score is divided by (default 1) */
    int32_t early_stopping;       /* LLMRT_EARLY_STOPPING_* (default _FALSE) */
    int32_t stop_at_eos;          /* 1 (default): the end-of-sequence id(s) finish a hypothesis */
    int32_t eos_token_id;         /* -1 (default): the model's end-of-generation ids; else this id alone
                                     (HF generate's eos_token_id) */
} llmrt_beam_params;

LLMRT_API void llmrt_beam_params_init_sized(llmrt_beam_params *params, uint32_t struct_size);
static inline void llmrt_beam_params_init(llmrt_beam_params *params) {
    llmrt_beam_params_init_sized(params, (uint32_t)sizeof(*params));
}

/* The finished hypotheses of a search, best first; owned by the caller, freed with
 * llmrt_beam_results_free (NULL is fine). */
typedef struct llmrt_beam_results llmrt_beam_results;

/* Beam search with the semantics of Hugging Face's generate (transformers 4.50 and later, the
 * vectorised _beam_search): each step takes the best max(2, 1 + n_eos) * num_beams continuations
 * (beam, token) by summed log-probability (ties: lower beam, then lower token id); those among
 * the first num_beams that end (an end-of-generation id, or the max_new_tokens-th token) become
 * finished hypotheses (the num_beams best are kept) with score = sum of the log-probabilities of
 * the generated tokens / (number of generated tokens, the last included) ^ length_penalty, and the
 * best num_beams that do not end continue. It stops when no candidate continues, or as
 * early_stopping says (above) once num_beams hypotheses are finished.
 * The beams are sequences 0..num_beams-1 of ctx (llmrt_context_params.n_seq_max >= num_beams, or
 * LLMRT_ERR_INVALID_ARGUMENT): the call empties every sequence of ctx, evaluates the n_prompt ids
 * once (the caller's, read during the call; add BOS yourself) and copies them to each beam; each
 * step decodes all live beams in one batched pass, and a beam's cache is copied only where its
 * parent changed. Afterwards the cache holds the last live beams. *out receives the
 * num_return_sequences best hypotheses (NULL on failure). LLMRT_ERR_CONTEXT_FULL if
 * n_prompt + max_new_tokens > n_ctx; LLMRT_CANCELLED as llmrt_decode. params may be NULL. */
LLMRT_API llmrt_status llmrt_beam_search(llmrt_context *ctx, const llmrt_token *prompt, int32_t n_prompt,
                                         const llmrt_beam_params *params, llmrt_beam_results **out);
/* The same from text, tokenized with BOS when add_special (as llmrt_tokenize). */
LLMRT_API llmrt_status llmrt_beam_search_text(llmrt_context *ctx, const char *prompt, int32_t add_special,
                                              const llmrt_beam_params *params, llmrt_beam_results **out);
/* Number of hypotheses (0 for NULL). */
LLMRT_API int32_t llmrt_beam_results_count(const llmrt_beam_results *results);
/* Hypothesis i's generated ids (its end-of-generation id included when one finished it): owned by
 * results, valid until it is freed; *n_tokens receives their number. NULL (and 0) out of range. */
LLMRT_API const llmrt_token *llmrt_beam_results_tokens(const llmrt_beam_results *results, int32_t i,
                                                       int32_t *n_tokens);
/* Hypothesis i's score (above); 0 out of range. */
LLMRT_API double llmrt_beam_results_score(const llmrt_beam_results *results, int32_t i);
LLMRT_API void llmrt_beam_results_free(llmrt_beam_results *results);

#ifdef __cplusplus
}
#endif

#endif /* LLMRT_H */
