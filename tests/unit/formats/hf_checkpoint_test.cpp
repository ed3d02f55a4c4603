// Hugging Face directories built in a temp dir: safetensors validation, shards, config merging.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "format_test_util.h"
#include "formats/checkpoint.h"

namespace llmrt {
namespace {

using nlohmann::json;
using test::Bytes;
using test::throws_error;

const char *kConfig = R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4})";

// w: F32 [2, 2] (16 bytes), h: F16 [4] (8 bytes). The last tensor ends the file.
json small_header() {
    return json::parse(R"({
        "__metadata__": {"format": "pt"},
        "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "h": {"dtype": "F16", "shape": [4], "data_offsets": [16, 24]}
    })");
}

Bytes small_data() {
    Bytes data(24);
    const float w[4] = {1.0f, 2.0f, -3.0f, 0.5f};
    std::memcpy(data.data(), w, 16);
    for (int i = 0; i < 4; ++i) test::put_le(data, 16 + 2 * i, f32_to_f16(static_cast<float>(i)), 2);
    return data;
}

class HfCheckpoint : public ::testing::Test {
protected:
    void SetUp() override { test::write_text(dir_.file("config.json"), kConfig); }

    void write_model(const Bytes &bytes) { test::write_bytes(dir_.file("model.safetensors"), bytes); }
    void write_model(const json &header, const Bytes &data = small_data()) {
        write_model(test::make_safetensors(header.dump(), data));
    }

    // Reading must throw with status and fragment, and the message must name model.safetensors.
    ::testing::AssertionResult rejects(Status status, const std::string &fragment,
                                       const std::string &file = "model.safetensors") {
        auto result = throws_error([&] { read_hf_checkpoint(dir_.path()); }, status, fragment);
        if (!result) return result;
        return throws_error([&] { read_hf_checkpoint(dir_.path()); }, status, file);
    }

    test::TempDir dir_;
};

TEST_F(HfCheckpoint, ReadsASmallModel) {
    write_model(small_header());
    const Checkpoint ckpt = read_checkpoint(dir_.path());
    EXPECT_EQ(ckpt.architecture, "LlamaForCausalLM");
    EXPECT_EQ(ckpt.hf_config.at("hidden_size"), 4);
    ASSERT_EQ(ckpt.tensors.size(), 2u);
    std::vector<float> out(4);
    tensor_to_f32(ckpt.get("w"), out.data());
    EXPECT_EQ(out, (std::vector<float>{1.0f, 2.0f, -3.0f, 0.5f}));
    tensor_to_f32(ckpt.get("h"), out.data());
    EXPECT_EQ(out, (std::vector<float>{0.0f, 1.0f, 2.0f, 3.0f}));
    EXPECT_EQ(ckpt.get("h").shape, (std::vector<int64_t>{4}));
}

TEST_F(HfCheckpoint, TruncatedAtEveryCut) {
    const Bytes good = test::make_safetensors(small_header().dump(), small_data());
    for (size_t cut = 0; cut < good.size(); ++cut) {
        write_model(Bytes(good.begin(), good.begin() + cut));
        EXPECT_TRUE(rejects(Status::Format, "")) << "cut " << cut;
    }
}

TEST_F(HfCheckpoint, BadHeaderLength) {
    write_model(Bytes{1, 2, 3});
    EXPECT_TRUE(rejects(Status::Format, "too small"));
    Bytes bytes = test::make_safetensors(small_header().dump(), small_data());
    test::put_le(bytes, 0, bytes.size(), 8);
    write_model(bytes);
    EXPECT_TRUE(rejects(Status::Format, "exceeds the file"));
    test::put_le(bytes, 0, uint64_t{1} << 63, 8);
    write_model(bytes);
    EXPECT_TRUE(rejects(Status::Format, "not sane"));
    test::put_le(bytes, 0, 0, 8);
    write_model(bytes);
    EXPECT_TRUE(rejects(Status::Format, "not valid JSON"));
}

TEST_F(HfCheckpoint, HeaderMustBeAJsonObject) {
    write_model(test::make_safetensors("{\"w\": ", small_data()));
    EXPECT_TRUE(rejects(Status::Format, "not valid JSON"));
    write_model(test::make_safetensors("[1, 2, 3]", small_data()));
    EXPECT_TRUE(rejects(Status::Format, "not a JSON object"));
    json header = small_header();
    header["w"] = 5;
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "tensor 'w'"));
}

TEST_F(HfCheckpoint, HeaderPaddingIsAllowed) {
    write_model(test::make_safetensors(small_header().dump() + "      ", small_data()));
    EXPECT_EQ(read_hf_checkpoint(dir_.path()).tensors.size(), 2u);
}

TEST_F(HfCheckpoint, DataOffsetsOutOfRange) {
    json header = small_header();
    header["h"]["data_offsets"] = {16, 1000};
    header["h"]["shape"] = {492};
    write_model(header);
    EXPECT_TRUE(
        rejects(Status::Format, "tensor 'h' data_offsets [16, 1000) lie outside the data area (24 bytes)"));
    header["h"]["data_offsets"] = {16, 8};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "[16, 8)"));
    header["h"]["data_offsets"] = {UINT64_MAX, UINT64_MAX};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "data_offsets"));
    header["h"]["data_offsets"] = {-8, 0};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "data_offsets"));
    header["h"]["data_offsets"] = {16};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "data_offsets"));
}

TEST_F(HfCheckpoint, DataOffsetsInconsistentWithShape) {
    json header = small_header();
    header["w"]["shape"] = {3, 2};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format,
                        "tensor 'w' shape [3, 2] of F32 needs 24 bytes but data_offsets [0, 16) hold 16"));
}

TEST_F(HfCheckpoint, BadShapes) {
    json header = small_header();
    header["w"]["shape"] = {-1, 4};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "non-negative integer"));
    header["w"]["shape"] = {2.5, 4};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "non-negative integer"));
    header["w"]["shape"] = {uint64_t{1} << 62, uint64_t{1} << 62};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "too large"));
    header["w"]["shape"] = {uint64_t{1} << 62};  // fits int64, but 2^62 floats overflow the byte count
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "too large"));
    header["w"]["shape"] = "2x2";
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "shape"));
}

TEST_F(HfCheckpoint, UnknownDType) {
    json header = small_header();
    header["w"]["dtype"] = "I64";
    header["w"]["shape"] = {2};
    write_model(header);
    EXPECT_TRUE(rejects(Status::Unsupported, "tensor 'w' has dtype I64"));
    header["w"]["dtype"] = "FOO";
    write_model(header);
    EXPECT_TRUE(rejects(Status::Unsupported, "FOO"));
    header["w"]["dtype"] = 3;
    write_model(header);
    EXPECT_TRUE(rejects(Status::Format, "dtype"));
}

TEST_F(HfCheckpoint, MissingOrBrokenConfig) {
    write_model(small_header());
    std::filesystem::remove(dir_.file("config.json"));
    EXPECT_TRUE(rejects(Status::Io, dir_.file("config.json"), "config.json"));
    test::write_text(dir_.file("config.json"), "{\"architectures\": [");
    EXPECT_TRUE(rejects(Status::Format, "not valid JSON", "config.json"));
    test::write_text(dir_.file("config.json"), "");
    EXPECT_TRUE(rejects(Status::Format, "not valid JSON", "config.json"));
    test::write_text(dir_.file("config.json"), "[1]");
    EXPECT_TRUE(rejects(Status::Format, "not a JSON object", "config.json"));
    test::write_text(dir_.file("config.json"), "{\"hidden_size\": 4}");
    EXPECT_TRUE(rejects(Status::Format, "names no architecture", "config.json"));
    test::write_text(dir_.file("config.json"), "{\"model_type\": \"gpt2\"}");
    EXPECT_EQ(read_hf_checkpoint(dir_.path()).architecture, "gpt2");
}

TEST_F(HfCheckpoint, MissingWeights) {
    EXPECT_TRUE(rejects(Status::Io, "model.safetensors.index.json", dir_.path()));
    test::write_text(dir_.file("pytorch_model.bin"), "pickle");
    EXPECT_TRUE(rejects(Status::Unsupported, "safetensors", dir_.path()));
}

TEST_F(HfCheckpoint, GenerationConfigFillsOnlyMissingIds) {
    write_model(small_header());
    test::write_text(dir_.file("generation_config.json"),
                     R"({"bos_token_id": 7, "eos_token_id": [2, 32007]})");
    Checkpoint ckpt = read_hf_checkpoint(dir_.path());
    EXPECT_EQ(ckpt.hf_config.at("bos_token_id"), 7);
    EXPECT_EQ(ckpt.hf_config.at("eos_token_id"), json::parse("[2, 32007]"));

    test::write_text(dir_.file("config.json"),
                     R"({"architectures": ["X"], "bos_token_id": 1, "eos_token_id": null})");
    ckpt = read_hf_checkpoint(dir_.path());
    EXPECT_EQ(ckpt.hf_config.at("bos_token_id"), 1);                          // config.json wins
    EXPECT_EQ(ckpt.hf_config.at("eos_token_id"), json::parse("[2, 32007]"));  // null counts as missing

    test::write_text(dir_.file("generation_config.json"), "not json");
    EXPECT_TRUE(rejects(Status::Format, "not valid JSON", "generation_config.json"));
}

TEST_F(HfCheckpoint, ReadsAShardedModel) {
    const Bytes data = small_data();
    test::write_bytes(
        dir_.file("model-00001-of-00002.safetensors"),
        test::make_safetensors(R"({"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})",
                               Bytes(data.begin(), data.begin() + 16)));
    test::write_bytes(dir_.file("model-00002-of-00002.safetensors"),
                      test::make_safetensors(R"({"b": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]},
                                                 "c": {"dtype": "BF16", "shape": [0], "data_offsets": [8, 8]}})",
                                             Bytes(data.begin() + 16, data.end())));
    json index = {{"metadata", {{"total_size", 24}}},
                  {"weight_map",
                   {{"a", "model-00001-of-00002.safetensors"},
                    {"b", "model-00002-of-00002.safetensors"},
                    {"c", "model-00002-of-00002.safetensors"}}}};
    const std::string index_path = dir_.file("model.safetensors.index.json");
    test::write_text(index_path, index.dump());
    const Checkpoint ckpt = read_checkpoint(dir_.path());
    EXPECT_EQ(ckpt.tensors.size(), 3u);
    EXPECT_EQ(ckpt.files.size(), 2u);  // each shard mapped once
    std::vector<float> out(4);
    tensor_to_f32(ckpt.get("b"), out.data());
    EXPECT_EQ(out[3], 3.0f);

    json wrong = index;
    wrong["weight_map"]["b"] = "model-00001-of-00002.safetensors";
    test::write_text(index_path, wrong.dump());
    EXPECT_TRUE(
        rejects(Status::Format, "maps tensor 'b' to model-00001-of-00002.safetensors", "index.json"));

    wrong = index;
    wrong["weight_map"]["d"] = "model-00003-of-00002.safetensors";
    test::write_text(index_path, wrong.dump());
    EXPECT_TRUE(rejects(Status::Io, "model-00003-of-00002.safetensors", "cannot open"));

    wrong["weight_map"]["d"] = "../model-00001-of-00002.safetensors";
    test::write_text(index_path, wrong.dump());
    EXPECT_TRUE(rejects(Status::Format, "not a plain file name", "index.json"));

    wrong["weight_map"] = {{"a", 5}};
    test::write_text(index_path, wrong.dump());
    EXPECT_TRUE(rejects(Status::Format, "weight_map entry 'a'", "index.json"));

    wrong.erase("weight_map");
    test::write_text(index_path, wrong.dump());
    EXPECT_TRUE(rejects(Status::Format, "weight_map", "index.json"));

    // The same tensor in two shards.
    test::write_bytes(
        dir_.file("model-00002-of-00002.safetensors"),
        test::make_safetensors(R"({"a": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]}})",
                               Bytes(data.begin() + 16, data.end())));
    test::write_text(index_path, index.dump());
    EXPECT_TRUE(rejects(Status::Format, "'a' also appears in another shard", "model-0000"));
}

TEST_F(HfCheckpoint, GetNamesTheMissingTensor) {
    write_model(small_header());
    const Checkpoint ckpt = read_hf_checkpoint(dir_.path());
    EXPECT_TRUE(throws_error([&] { ckpt.get("lm_head.weight"); }, Status::Format, "'lm_head.weight'"));
    EXPECT_TRUE(throws_error([&] { ckpt.get("lm_head.weight"); }, Status::Format, dir_.path()));
    EXPECT_EQ(ckpt.find("lm_head.weight"), nullptr);
    EXPECT_NE(ckpt.find("w"), nullptr);
}

TEST(ReadCheckpoint, RejectsMissingPathsAndUnknownFormats) {
    test::TempDir dir;
    EXPECT_TRUE(throws_error([&] { read_checkpoint(dir.file("nope")); }, Status::Io, dir.file("nope")));
    test::write_text(dir.file("notes.txt"), "hello world");
    EXPECT_TRUE(throws_error([&] { read_checkpoint(dir.file("notes.txt")); }, Status::Format, "GGUF"));
    EXPECT_TRUE(throws_error([&] { read_checkpoint(dir.file("notes.txt")); }, Status::Format, "notes.txt"));
    test::write_text(dir.file("empty"), "");
    EXPECT_TRUE(throws_error([&] { read_checkpoint(dir.file("empty")); }, Status::Format, "Hugging Face"));
    test::write_text(dir.file("short.gguf"), "GGUF");
    EXPECT_TRUE(
        throws_error([&] { read_checkpoint(dir.file("short.gguf")); }, Status::Format, "short.gguf"));
    EXPECT_TRUE(
        throws_error([&] { read_gguf_checkpoint(dir.file("nope.gguf")); }, Status::Io, "nope.gguf"));
    EXPECT_TRUE(throws_error([&] { read_hf_checkpoint(dir.file("nope")); }, Status::Io, "config.json"));
}

}  // namespace
}  // namespace llmrt
