// Writes the fuzz seeds in fuzz/seeds/<target>/: small inputs that load completely, so mutations
// start from files that reach every stage of the loaders rather than dying at the header. Built
// from the real stories260K files in models/ and the tokenizers in ../shared/models/tokenizers,
// shrunk to a few KB. Run by scripts/make_fuzz_seeds.sh; the output is committed.
//
//   fuzz_make_seeds <source dir> <shared dir> <output dir>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/float16.h"
#include "formats/checkpoint.h"
#include "formats/gguf_writer.h"
#include "formats/llmrt_file.h"
#include "fuzz/fuzz_target.h"
#include "models/model.h"
#include "quant/quantizer.h"
#include "tokenizer/loaders.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int64_t kGgufVocab = 300;  // 3 control tokens, 256 byte tokens and a few merges

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) llmrt::fail(Status::Io, "cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string &path, const std::string &content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) llmrt::fail(Status::Io, "cannot write " + path);
}

// Files of one input joined as the fuzz targets split them.
std::string join_files(const std::vector<std::string> &files) {
    std::string out;
    for (size_t i = 0; i < files.size(); ++i) {
        if (i) out += llmrt::fuzz::kFileSeparator;
        out += files[i];
    }
    return out;
}

void write_seed(const std::string &out_dir, const std::string &target, const std::string &name,
                const std::string &content) {
    fs::create_directories(out_dir + "/" + target);
    write_file(out_dir + "/" + target + "/" + name, content);
    std::printf("%s/%s: %zu bytes\n", target.c_str(), name.c_str(), content.size());
}

// Small weights in any storage type; the values only need to be finite and varied.
class TensorMaker {
public:
    std::string bytes(llmrt::DType dtype, int64_t n) {
        std::string out;
        for (int64_t i = 0; i < n; ++i) {
            const float v = dist_(rng_);
            switch (dtype) {
            case llmrt::DType::F32: append(out, &v, 4); break;
            case llmrt::DType::F16: append16(out, llmrt::f32_to_f16(v)); break;
            case llmrt::DType::BF16: append16(out, llmrt::f32_to_bf16(v)); break;
            default: break;
            }
        }
        // Block types: a scale (and min) as fp16, then the codes; 32 values per block.
        for (int64_t b = 0; b < n / 32; ++b) {
            if (dtype == llmrt::DType::Q8_0) {
                append16(out, llmrt::f32_to_f16(0.01f));
                for (int j = 0; j < 32; ++j) out.push_back(static_cast<char>(code_(rng_)));
            } else if (dtype == llmrt::DType::Q4_0 || dtype == llmrt::DType::Q4_1) {
                append16(out, llmrt::f32_to_f16(0.02f));
                if (dtype == llmrt::DType::Q4_1) append16(out, llmrt::f32_to_f16(-0.1f));
                for (int j = 0; j < 16; ++j) out.push_back(static_cast<char>(code_(rng_)));
            }
        }
        return out;
    }

private:
    static void append(std::string &out, const void *p, size_t n) { out.append(static_cast<const char *>(p), n); }
    static void append16(std::string &out, uint16_t v) { append(out, &v, 2); }
    std::mt19937 rng_{42};
    std::uniform_real_distribution<float> dist_{-0.5f, 0.5f};
    std::uniform_int_distribution<int> code_{0, 255};
};

struct TinyLlama {
    int64_t n_embd, n_head, n_head_kv, n_ff;
    llmrt::DType embd, attn_q, attn_k, attn_v, attn_o, ffn_gate, ffn_up, ffn_down;
    bool separate_output;
};

// A one-layer llama GGUF with the first kGgufVocab tokens of stories260K's SentencePiece vocabulary.
std::string tiny_gguf(const std::string &stories_gguf, const TinyLlama &t) {
    const llmrt::Checkpoint stories = llmrt::read_gguf_checkpoint(stories_gguf);
    llmrt::GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.embedding_length", static_cast<uint32_t>(t.n_embd));
    w.set_u32("llama.block_count", 1);
    w.set_u32("llama.attention.head_count", static_cast<uint32_t>(t.n_head));
    w.set_u32("llama.attention.head_count_kv", static_cast<uint32_t>(t.n_head_kv));
    w.set_u32("llama.feed_forward_length", static_cast<uint32_t>(t.n_ff));
    w.set_u32("llama.context_length", 64);
    w.set_u32("llama.rope.dimension_count", static_cast<uint32_t>(t.n_embd / t.n_head));
    w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    for (const auto &[key, value] : stories.gguf_metadata) {
        if (key.rfind("tokenizer.", 0) != 0) continue;
        llmrt::MetaValue v = value;
        if (v.kind == llmrt::MetaValue::Kind::Array && v.array.size() > static_cast<size_t>(kGgufVocab))
            v.array.resize(static_cast<size_t>(kGgufVocab));
        w.set(key, v);
    }
    TensorMaker make;
    const auto add = [&](const std::string &name, llmrt::DType dtype, std::vector<int64_t> shape) {
        const std::string data = make.bytes(dtype, shape[0] * (shape.size() > 1 ? shape[1] : 1));
        w.add_tensor(name, dtype, shape, data.data(), data.size());
    };
    const int64_t d = t.n_embd, kv = t.n_head_kv * (t.n_embd / t.n_head);
    add("token_embd.weight", t.embd, {kGgufVocab, d});
    add("output_norm.weight", llmrt::DType::F32, {d});
    if (t.separate_output) add("output.weight", t.embd, {kGgufVocab, d});
    add("blk.0.attn_norm.weight", llmrt::DType::F32, {d});
    add("blk.0.attn_q.weight", t.attn_q, {d, d});
    add("blk.0.attn_k.weight", t.attn_k, {kv, d});
    add("blk.0.attn_v.weight", t.attn_v, {kv, d});
    add("blk.0.attn_output.weight", t.attn_o, {d, d});
    add("blk.0.ffn_norm.weight", llmrt::DType::F32, {d});
    add("blk.0.ffn_gate.weight", t.ffn_gate, {t.n_ff, d});
    add("blk.0.ffn_up.weight", t.ffn_up, {t.n_ff, d});
    add("blk.0.ffn_down.weight", t.ffn_down, {d, t.n_ff});
    const std::vector<uint8_t> bytes = w.serialize();
    return std::string(bytes.begin(), bytes.end());
}

// safetensors: 8-byte little-endian header length, JSON header, data.
std::string tiny_safetensors(int64_t n_vocab, int64_t d, int64_t n_ff) {
    TensorMaker make;
    json header = json::object();
    header["__metadata__"] = {{"format", "pt"}};
    std::string data;
    const auto add = [&](const std::string &name, llmrt::DType dtype, std::vector<int64_t> shape) {
        const std::string bytes = make.bytes(dtype, shape[0] * (shape.size() > 1 ? shape[1] : 1));
        const char *names[] = {"F32", "F16", "BF16"};
        header[name] = {{"dtype", names[static_cast<int>(dtype)]},
                        {"shape", shape},
                        {"data_offsets", {data.size(), data.size() + bytes.size()}}};
        data += bytes;
    };
    add("model.embed_tokens.weight", llmrt::DType::BF16, {n_vocab, d});
    add("model.norm.weight", llmrt::DType::F32, {d});
    add("model.layers.0.input_layernorm.weight", llmrt::DType::F32, {d});
    add("model.layers.0.post_attention_layernorm.weight", llmrt::DType::BF16, {d});
    add("model.layers.0.self_attn.q_proj.weight", llmrt::DType::F16, {d, d});
    add("model.layers.0.self_attn.k_proj.weight", llmrt::DType::F32, {d / 2, d});
    add("model.layers.0.self_attn.v_proj.weight", llmrt::DType::BF16, {d / 2, d});
    add("model.layers.0.self_attn.o_proj.weight", llmrt::DType::F32, {d, d});
    add("model.layers.0.mlp.gate_proj.weight", llmrt::DType::F16, {n_ff, d});
    add("model.layers.0.mlp.up_proj.weight", llmrt::DType::F32, {n_ff, d});
    add("model.layers.0.mlp.down_proj.weight", llmrt::DType::F32, {d, n_ff});
    const std::string text = header.dump();
    const uint64_t n = text.size();
    return std::string(reinterpret_cast<const char *>(&n), 8) + text + data;
}

json tiny_hf_config(int64_t n_vocab, int64_t d, int64_t n_ff) {
    return {{"architectures", {"LlamaForCausalLM"}},
            {"model_type", "llama"},
            {"hidden_size", d},
            {"intermediate_size", n_ff},
            {"num_attention_heads", 2},
            {"num_key_value_heads", 1},
            {"num_hidden_layers", 1},
            {"vocab_size", n_vocab},
            {"max_position_embeddings", 64},
            {"rms_norm_eps", 1e-5},
            {"rope_theta", 10000.0},
            {"tie_word_embeddings", true},
            {"bos_token_id", 1},
            {"eos_token_id", 2},
            {"torch_dtype", "float32"}};
}

// The first n_keep vocabulary entries of a tokenizer.json, the merges among them, and the first
// added tokens renumbered after them: the same structure (pre-tokenizer, normalizer, decoder) in
// a few KB.
json shrink_tokenizer_json(json t, int64_t n_keep) {
    json &model = t["model"];
    json vocab = json::object();
    for (const auto &[piece, id] : model["vocab"].items())
        if (id.get<int64_t>() < n_keep) vocab[piece] = id;
    json merges = json::array();
    for (const json &m : model["merges"]) {
        std::string a, b;
        if (m.is_string()) {
            const std::string s = m.get<std::string>();
            const size_t space = s.find(' ');
            a = s.substr(0, space);
            b = space == std::string::npos ? "" : s.substr(space + 1);
        } else {
            a = m[0].get<std::string>();
            b = m[1].get<std::string>();
        }
        if (vocab.contains(a) && vocab.contains(b) && vocab.contains(a + b)) merges.push_back(m);
    }
    model["vocab"] = vocab;
    model["merges"] = merges;
    json added = json::array();
    for (json a : t.value("added_tokens", json::array())) {
        if (added.size() == 8) break;
        a["id"] = n_keep + static_cast<int64_t>(added.size());
        added.push_back(a);
    }
    t["added_tokens"] = added;
    return t;
}

// tokenizer_config.json without the large parts (chat template, the full added-token table).
json shrink_tokenizer_config(json c) {
    c.erase("chat_template");
    c.erase("added_tokens_decoder");
    return c;
}

// Every seed must load: a seed that is rejected teaches the fuzzer only the rejection.
void check_loads(const std::string &what, const std::function<void()> &load) {
    try {
        load();
    } catch (const llmrt::Error &e) {
        std::fprintf(stderr, "seed %s does not load: %s\n", what.c_str(), e.what());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s <source dir> <shared dir> <output dir>\n", argv[0]);
        return 2;
    }
    const std::string source = argv[1], shared = argv[2], out = argv[3];
    const std::string stories_gguf = source + "/models/stories260K/stories260K.gguf";
    const std::string tok512 = read_file(source + "/models/stories260K/tok512.model");
    const std::string stories_tokenizer_config = read_file(shared + "/models/stories260K-hf/tokenizer_config.json");
    const fs::path work = fs::temp_directory_path() / "llmrt-make-seeds";
    fs::remove_all(work);
    fs::create_directories(work);
    const auto model_loads = [](const std::string &path) {
        return [path] { llmrt::fuzz::use_model(*llmrt::load_model(path)); };
    };

    using llmrt::DType;
    const std::string gguf_f32 = (work / "tiny_f32.gguf").string();
    const std::string gguf_blocks = (work / "tiny_blocks.gguf").string();
    write_file(gguf_f32, tiny_gguf(stories_gguf, {8, 2, 1, 16, DType::F16, DType::F32, DType::F32, DType::F32,
                                                  DType::F32, DType::F32, DType::F32, DType::F32, false}));
    write_file(gguf_blocks, tiny_gguf(stories_gguf, {32, 4, 2, 32, DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q8_0,
                                                     DType::F16, DType::BF16, DType::Q4_0, DType::Q8_0, true}));
    for (const std::string &path : {gguf_f32, gguf_blocks}) {
        check_loads(path, model_loads(path));
        write_seed(out, "gguf", fs::path(path).stem().string(), read_file(path));
    }

    // HF directory: 512-token vocabulary because tokenizer.model (tok512) has 512 pieces.
    const fs::path hf = work / "hf";
    fs::create_directories(hf);
    write_file((hf / "config.json").string(), tiny_hf_config(512, 8, 16).dump(1));
    write_file((hf / "model.safetensors").string(), tiny_safetensors(512, 8, 16));
    write_file((hf / "tokenizer.model").string(), tok512);
    write_file((hf / "tokenizer_config.json").string(), stories_tokenizer_config);
    check_loads(hf.string(), model_loads(hf.string()));
    write_seed(out, "hf", "tiny_llama",
               join_files({read_file((hf / "config.json").string()), read_file((hf / "model.safetensors").string()),
                           tok512}));

    // llmrt files: quantized from the HF directory (embedded tokenizer files, packed int4 and
    // int8 tensors) and converted from the block-typed GGUF (GGUF metadata, q8_0/q4_x tensors).
    for (const std::string format : {"int4_grow_asym_bf16", "int8_g32_sym_fp32"}) {
        llmrt::QuantOptions options;
        options.format = *llmrt::parse_quant_format(format);
        const std::string path = (work / (format + ".llmrt")).string();
        llmrt::quantize_to_file(hf.string(), path, options);
        check_loads(path, model_loads(path));
        write_seed(out, "llmrt_file", "hf_" + format, read_file(path));
    }
    {
        const llmrt::Checkpoint ckpt = llmrt::read_checkpoint(gguf_blocks);
        const std::string path = (work / "gguf_blocks.llmrt").string();
        llmrt::write_llmrt_file(path, llmrt::llmrt_file_contents_of(ckpt));
        check_loads(path, model_loads(path));
        write_seed(out, "llmrt_file", "gguf_blocks", read_file(path));
    }

    // tokenizer.model alone and with its tokenizer_config.json.
    write_seed(out, "tokenizer_model", "tok512", tok512);
    write_seed(out, "tokenizer_model", "tok512_with_config", join_files({tok512, stories_tokenizer_config}));

    // tokenizer.json: byte-level BPE (gpt2, llama3, qwen3, gpt4o) and SentencePiece-style BPE
    // with byte fallback (mistral), shrunk to their first 400 tokens.
    for (const std::string name : {"gpt2", "llama3", "qwen3", "gpt4o", "mistral"}) {
        const std::string dir = shared + "/models/tokenizers/" + name;
        const json small = shrink_tokenizer_json(json::parse(read_file(dir + "/tokenizer.json")), 400);
        const json config = shrink_tokenizer_config(json::parse(read_file(dir + "/tokenizer_config.json")));
        const fs::path tdir = work / ("tok_" + name);
        fs::create_directories(tdir);
        write_file((tdir / "tokenizer.json").string(), small.dump());
        write_file((tdir / "tokenizer_config.json").string(), config.dump());
        check_loads(tdir.string(), [&] {
            llmrt::fuzz::use_tokenizer(*llmrt::load_hf_directory_tokenizer(tdir.string(), json::object()));
        });
        write_seed(out, "tokenizer_json", name, join_files({small.dump(), config.dump()}));
    }
    fs::remove_all(work);
    return 0;
}
