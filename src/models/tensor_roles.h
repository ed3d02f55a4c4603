// What each weight of a decoder is for, named once. A family asks for a role (and a layer); the
// table below says what the tensor is called in a GGUF file (llama.cpp's names, which are the
// same for every family) and in a Hugging Face checkpoint (Llama's names, overridden per family
// where transformers names them differently), and how an HF tensor is rearranged into the layout
// the runtime computes with. Families never test which file format they came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/checkpoint.h"

namespace llmrt {

enum class Role {
    TokenEmbd,
    PosEmbd,     // learned absolute positions (GPT-2, OPT, StarCoder)
    EmbdNorm,    // a norm right after the embedding (BLOOM)
    AttnNorm,
    MlpNorm,     // the MLP branch's own norm in a parallel block (Falcon's ln_mlp)
    Qkv,         // q, k and v in one matrix, rows [q; k; v] once loaded
    Q,
    K,
    V,
    AttnOut,
    FfnNorm,
    Gate,
    Up,          // with fused gate/up families (Phi-3, ChatGLM): rows [gate; up]
    Down,
    Router,      // mixture of experts: one logit per expert
    ExpertGate,  // per expert (the name holds "{e}")
    ExpertUp,
    ExpertDown,
    OutputNorm,
    Output,
};

// How an HF tensor becomes the runtime's layout. GGUF files need none: llama.cpp's converter
// already did the same.
enum class Transform {
    None,
    Transpose,         // GPT-2's Conv1D stores [in, out]
    QkvPerHead,        // fused rows (n_head, 3, head_dim): GPT-NeoX, BLOOM
    QkvPerKvGroup,     // fused rows (n_kv, n_head/n_kv + 2, head_dim): Falcon's new decoder
    AddOne,            // norm weights stored as w - 1 (Gemma)
    RowNormalize,      // each output row divided by its L2 norm (Baichuan 2's NormHead)
};

// An HF name that differs from Llama's, for one role. Layer roles are relative to the layer
// prefix ("self_attn.q_proj"); the others are whole names ("transformer.wte").
struct HfName {
    Role role;
    const char *name;
    Transform transform = Transform::None;
};

// A GGUF name that differs from the table's for one family (the part after "blk.N.").
struct GgufName {
    Role role;
    const char *name;
};

struct HfNaming {
    const char *layer_prefix = "model.layers.";  // followed by the layer index and "."
    std::vector<HfName> overrides;
    std::vector<GgufName> gguf_overrides;
};

// Where a role's tensor is and what to do with it.
struct TensorRef {
    std::string name;            // as found in the checkpoint
    Transform transform = Transform::None;
    std::string canonical_name;  // the GGUF name: what a transformed tensor is stored under
};

// The head layout a fused-qkv rearrangement needs.
struct QkvShape {
    int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
};

// The shape a tensor has in the file when the runtime wants [rows, cols] (cols = 1 for vectors).
std::vector<int64_t> file_shape(Transform t, int64_t rows, int64_t cols);
// in (file layout) -> out ([rows, cols] row-major). Throws Status::Format when the rows do not
// fit the head layout.
void rearrange(Transform t, const QkvShape &qkv, int64_t rows, int64_t cols, const float *in, float *out);

// A tensor of the role table found by its name in either naming (suffix ".weight" or ".bias"):
// its role and layer (-1 outside the blocks) and its names in GGUF and in HF. hf is empty when
// `naming` rearranges the role on load (the stored tensor has no HF counterpart). nullopt for
// names the table does not know (expert tensors included). What exporters rename with.
struct RoleName {
    Role role;
    int64_t layer = -1;
    std::string gguf, hf;
};
std::optional<RoleName> role_of_tensor(const std::string &name, const HfNaming &naming);

class TensorNames {
public:
    TensorNames(const Checkpoint &checkpoint, HfNaming naming);

    // ".weight" / ".bias" of a role; layer -1 for the roles outside the blocks.
    TensorRef weight(Role role, int64_t layer = -1, int64_t expert = -1) const;
    TensorRef bias(Role role, int64_t layer = -1) const;
    bool has_weight(Role role, int64_t layer = -1) const;
    bool has_bias(Role role, int64_t layer = -1) const;

private:
    TensorRef resolve(Role role, int64_t layer, int64_t expert, const char *suffix) const;
    const Checkpoint *ckpt_;
    HfNaming naming_;
};

}  // namespace llmrt
