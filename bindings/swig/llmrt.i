// The interface shared by the Java and C# bindings. It is not used alone: bindings/java/llmrt_java.i
// and bindings/csharp/llmrt_csharp.i set the module name, define LLMRT_SWIG_RAISE(status, message)
// (raise the language's exception for a status), LLMRT_SWIG_NAMING (the language's naming rules)
// and their typemaps, then %include this file.
//
// What is wrapped is the small C++ layer in llmrt_swig.h (one class per handle, see why there),
// never the raw C functions, so every call goes through one error path.

%{
#include <string>
#include "llmrt_swig.h"
%}

%include <stdint.i>
%include <std_vector.i>

// Token ids and logits cross as lists (Java: AbstractList, C#: IList). Declared before the naming
// rules below, which must not rename the methods SWIG's own vector code calls.
%template(TokenList) std::vector<int32_t>;
%template(FloatList) std::vector<float>;
// Beam search's hypotheses (BeamHypothesis, declared in llmrt_swig.h).
namespace llmrt_swig { class BeamHypothesis; }
%template(BeamHypothesisList) std::vector<llmrt_swig::BeamHypothesis>;

LLMRT_SWIG_NAMING

// Every call: a C++ llmrt_swig::Error becomes the language's exception for its status.
%exception {
  try {
    $action
  } catch (const llmrt_swig::Error &e) {
    LLMRT_SWIG_RAISE(e.status, e.message.c_str());
    return $null;
  }
}

// A closed object (close() / Dispose()) has a null pointer: refuse it with a clear message
// instead of crashing.
%typemap(check, canthrow=1) llmrt_swig::Model *self, llmrt_swig::Context *self, llmrt_swig::Sampler *self,
                            llmrt_swig::PullGeneration *self, llmrt_swig::NativeGeneration *self,
                            llmrt_swig::GenerateOptions *self, llmrt_swig::BeamOptions *self,
                            llmrt_swig::BeamHypothesis *self, llmrt_swig::ModelParams *self,
                            llmrt_swig::QuantizeOptions *self, llmrt_swig::Quantizer *self,
                            llmrt_context_params *self, llmrt_sampler_params *self %{
  if (!$1) {
    LLMRT_SWIG_RAISE(LLMRT_ERR_INVALID_ARGUMENT, "this object has been closed");
    return $null;
  }
%}

// ---- parameter structs with plain numbers only: the library fills in the defaults, struct_size
// stays hidden. (ModelParams, QuantizeOptions and GenerateOptions hold strings, so they are
// classes in llmrt_swig.h that own them.) ----

%rename(ContextParams) llmrt_context_params;
%rename(SamplerParams) llmrt_sampler_params;

// Only the fields declared here are exposed; the real definitions come from llmrt.h.
struct llmrt_context_params {
  int32_t n_ctx;      // context window in tokens; 0 = the model's training length (capped at 4096)
  int32_t n_batch;    // most tokens evaluated in one prefill step (default 512)
  int32_t n_threads;  // 0 = all cores
  int32_t logits_all; // 1: keep logits for every token of the last decode
  int32_t kv_type;    // LLMRT_KV_F32 (default), LLMRT_KV_F16, LLMRT_KV_BF16, LLMRT_KV_INT8
  int32_t n_seq_max;  // independent sequences the context holds (default 1)
};
struct llmrt_sampler_params {
  float temperature;        // 0 = greedy (default 0.8)
  int32_t top_k;            // 0 = off (default 40)
  float top_p;              // 1 = off (default 0.95)
  float min_p;              // 0 = off (default 0.05)
  float repetition_penalty; // 1 = off (default)
  int32_t repetition_last_n;// default 64
  uint64_t seed;            // default: all bits set = pick one from the clock
  float presence_penalty;   // 0 = off (default): logit -= presence_penalty * (count > 0)
  float frequency_penalty;  // 0 = off (default): logit -= frequency_penalty * count
  int32_t no_repeat_ngram_size; // 0 = off (default): bans a token completing a repeated n-gram
  // logit_bias / n_logit_bias (a pointer and its length) are not exposed: the fields left out
  // are listed in bindings/check_header_sync.py (OMITTED_IN_SWIG), which ctest runs.
};
// The values of ContextParams' kv_type (llmrt.h's LLMRT_KV_*: Llmrt.KV_F16 in Java, Library.KV_F16 in C#).
%constant int32_t KV_F32 = LLMRT_KV_F32;
%constant int32_t KV_F16 = LLMRT_KV_F16;
%constant int32_t KV_BF16 = LLMRT_KV_BF16;
%constant int32_t KV_INT8 = LLMRT_KV_INT8;
%constant int32_t KV_Q8 = LLMRT_KV_Q8;  // KV_INT8's name before API 1.3
// The values of GenerateOptions' shift_mode and Context.shift's mode (llmrt.h's LLMRT_SHIFT_*:
// Llmrt.SHIFT_REEVALUATE in Java, Library.SHIFT_REEVALUATE in C#).
%constant int32_t SHIFT_OFF = LLMRT_SHIFT_OFF;
%constant int32_t SHIFT_REEVALUATE = LLMRT_SHIFT_REEVALUATE;
%constant int32_t SHIFT_ROPED_K = LLMRT_SHIFT_ROPED_K;
// The values of BeamOptions' early_stopping (llmrt.h's LLMRT_EARLY_STOPPING_*), as Hugging Face's
// False, True and "never".
%constant int32_t EARLY_STOPPING_FALSE = LLMRT_EARLY_STOPPING_FALSE;
%constant int32_t EARLY_STOPPING_TRUE = LLMRT_EARLY_STOPPING_TRUE;
%constant int32_t EARLY_STOPPING_NEVER = LLMRT_EARLY_STOPPING_NEVER;
// Why a generation ended (llmrt.h's LLMRT_STOP_*), as Generation's stop code; its stop reason is
// the same as a name ("length", "eos", ...).
%constant int32_t STOP_NONE = LLMRT_STOP_NONE;
%constant int32_t STOP_LENGTH = LLMRT_STOP_LENGTH;
%constant int32_t STOP_EOS = LLMRT_STOP_EOS;
%constant int32_t STOP_STRING = LLMRT_STOP_STRING;
%constant int32_t STOP_CONTEXT_FULL = LLMRT_STOP_CONTEXT_FULL;
%constant int32_t STOP_CANCELLED = LLMRT_STOP_CANCELLED;
%constant int32_t STOP_CALLBACK = LLMRT_STOP_CALLBACK;
%extend llmrt_context_params {
  llmrt_context_params() {
    llmrt_context_params *p = new llmrt_context_params;
    llmrt_swig::init_params(p, llmrt_context_params_init);
    return p;
  }
  ~llmrt_context_params() { delete $self; }
}
%extend llmrt_sampler_params {
  llmrt_sampler_params() {
    llmrt_sampler_params *p = new llmrt_sampler_params;
    llmrt_swig::init_params(p, llmrt_sampler_params_init);
    return p;
  }
  ~llmrt_sampler_params() { delete $self; }
}

// ---- handles ----

%include <attribute.i>
// Getters become properties in C# and getX()/setX() in Java.
%attribute(llmrt_swig::Model, const char *, architecture, get_architecture);
%attribute(llmrt_swig::Model, const char *, weight_type, get_weight_type);
%attribute(llmrt_swig::Model, int64_t, param_count, get_param_count);
%attribute(llmrt_swig::Model, int64_t, weight_bytes, get_weight_bytes);
%attribute(llmrt_swig::Model, int, vocab_size, get_vocab_size);
%attribute(llmrt_swig::Model, int, train_context_length, get_train_context_length);
%attribute(llmrt_swig::Model, int, embedding_length, get_embedding_length);
%attribute(llmrt_swig::Model, int, layer_count, get_layer_count);
%attribute(llmrt_swig::Model, int, bos_token, get_bos_token);
%attribute(llmrt_swig::Model, int, eos_token, get_eos_token);
%attribute(llmrt_swig::Context, int, context_length, get_context_length);
%attribute(llmrt_swig::Context, int, past_length, get_past_length);
%attribute(llmrt_swig::Context, int, n_seq_max, get_n_seq_max);
%attribute(llmrt_swig::NativeGeneration, int, last_token, get_last_token);
%attribute(llmrt_swig::NativeGeneration, const char *, stop_reason, get_stop_reason);
%attribute(llmrt_swig::NativeGeneration, int, stop_code, get_stop_code);
%attribute(llmrt_swig::NativeGeneration, int, generated_count, get_generated_count);
%attribute(llmrt_swig::ChatSession, int, message_count, get_message_count);
%attribute(llmrt_swig::ChatSession, int, evaluated_count, get_evaluated_count);
%attribute(llmrt_swig::ChatSession, int, reused_count, get_reused_count);
%attribute(llmrt_swig::ChatSession, int, dropped_count, get_dropped_count);
%attribute(llmrt_swig::ModelParams, bool, use_mmap, get_use_mmap, set_use_mmap);
%attribute(llmrt_swig::ModelParams, int, n_threads, get_n_threads, set_n_threads);
%attribute(llmrt_swig::ModelParams, const char *, compute_dtype, get_compute_dtype, set_compute_dtype);
%attribute(llmrt_swig::QuantizeOptions, const char *, weight_dtype, get_weight_dtype, set_weight_dtype);
%attribute(llmrt_swig::QuantizeOptions, const char *, algorithm, get_algorithm, set_algorithm);
%attribute(llmrt_swig::QuantizeOptions, int, group_size, get_group_size, set_group_size);
%attribute(llmrt_swig::QuantizeOptions, bool, asym, get_asym, set_asym);
%attribute(llmrt_swig::QuantizeOptions, const char *, scale_dtype, get_scale_dtype, set_scale_dtype);
%attribute(llmrt_swig::QuantizeOptions, const char *, compute_dtype, get_compute_dtype, set_compute_dtype);
%attribute(llmrt_swig::QuantizeOptions, const char *, tensor_overrides, get_tensor_overrides, set_tensor_overrides);
%attribute(llmrt_swig::GenerateOptions, int, max_new_tokens, get_max_new_tokens, set_max_new_tokens);
%attribute(llmrt_swig::GenerateOptions, int, min_new_tokens, get_min_new_tokens, set_min_new_tokens);
%attribute(llmrt_swig::GenerateOptions, bool, stop_at_eos, get_stop_at_eos, set_stop_at_eos);
%attribute(llmrt_swig::GenerateOptions, bool, add_special, get_add_special, set_add_special);
%attribute(llmrt_swig::GenerateOptions, int, shift_mode, get_shift_mode, set_shift_mode);
%attribute(llmrt_swig::GenerateOptions, int, n_keep, get_n_keep, set_n_keep);
%attribute(llmrt_swig::GenerateOptions, int, n_discard, get_n_discard, set_n_discard);

%attribute(llmrt_swig::BeamOptions, int, num_beams, get_num_beams, set_num_beams);
%attribute(llmrt_swig::BeamOptions, int, num_return_sequences, get_num_return_sequences, set_num_return_sequences);
%attribute(llmrt_swig::BeamOptions, int, max_new_tokens, get_max_new_tokens, set_max_new_tokens);
%attribute(llmrt_swig::BeamOptions, float, length_penalty, get_length_penalty, set_length_penalty);
%attribute(llmrt_swig::BeamOptions, int, early_stopping, get_early_stopping, set_early_stopping);
%attribute(llmrt_swig::BeamOptions, bool, stop_at_eos, get_stop_at_eos, set_stop_at_eos);
%attribute(llmrt_swig::BeamOptions, int, eos_token_id, get_eos_token_id, set_eos_token_id);
%attributeval(llmrt_swig::BeamHypothesis, std::vector<int32_t>, tokens, get_tokens);
%attribute(llmrt_swig::BeamHypothesis, double, score, get_score);

%newobject llmrt_swig::Model::synthetic;
%ignore llmrt_swig::Error;
%ignore llmrt_swig::check;
%ignore llmrt_swig::require;
%ignore llmrt_swig::to_int32;
%ignore llmrt_swig::ContextState;
%ignore llmrt_swig::api_version_problem;
%ignore llmrt_swig::init_params;
%ignore llmrt_swig::OptionalString;

%include "llmrt_swig.h"
