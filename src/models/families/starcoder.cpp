// StarCoder (GPTBigCode): GPT-2's block with multi-query attention and nn.Linear weights.
#include "models/decoder.h"

namespace llmrt {

DecoderSpec gpt2_spec();

namespace {

void configure(const ConfigReader &cfg, DecoderSpec &, DecoderSettings &s) {
    if (s.hp.n_ff == 0) s.hp.n_ff = 4 * s.hp.n_embd;
    if (cfg.bool_or("multi_query", "", false)) s.hp.n_head_kv = 1;
}

}  // namespace

DecoderSpec starcoder_spec() {
    DecoderSpec s = gpt2_spec();
    // The same names, without GPT-2's Conv1D transposition.
    for (HfName &n : s.names.overrides) n.transform = Transform::None;
    s.configure = configure;
    return s;
}

}  // namespace llmrt
