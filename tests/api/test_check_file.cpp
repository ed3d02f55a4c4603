// Damaged llmrt files through the C API: llmrt_model_load refuses them naming the damaged tensor,
// llmrt_check_file reports every damaged tensor and embedded file.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using Bytes = std::vector<char>;

Bytes read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string &path, const Bytes &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Seen {
    std::vector<std::string> kinds, names, damaged;
};

int32_t record(const char *kind, const char *name, int32_t ok, void *user_data) {
    auto *seen = static_cast<Seen *>(user_data);
    seen->kinds.emplace_back(kind);
    seen->names.emplace_back(name);
    if (!ok) seen->damaged.emplace_back(name);
    return 0;
}

// stories260K (HF, so the file embeds tokenizer files) quantized to int4 once for all tests.
class CheckFile : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/llmrt-check-XXXXXX";
        dir_ = mkdtemp(tmpl);
        good_ = dir_ + "/stories.llmrt";
        llmrt_quant_params p;
        llmrt_quant_params_init(&p);
        llmrt_quantizer *q = nullptr;
        ASSERT_EQ(llmrt_quantizer_create(&p, &q), LLMRT_OK) << llmrt_last_error();
        ASSERT_EQ(llmrt_quantize(q, test::shared_path("models/stories260K-hf").c_str(), good_.c_str()), LLMRT_OK)
            << llmrt_last_error();
        llmrt_quantizer_free(q);
    }
    static void TearDownTestSuite() { std::system(("rm -rf " + dir_).c_str()); }

    // A copy of the good file with one bit flipped in the middle of each named region.
    static std::string damaged_copy(const std::vector<std::string> &tensors, const std::string &embedded = "") {
        Bytes bytes = read_file(good_);
        uint64_t header_len = 0;
        for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[16 + i]);
        const auto header = nlohmann::json::parse(bytes.begin() + 24, bytes.begin() + 24 + static_cast<long>(header_len));
        const size_t data_start = (24 + header_len + 63) / 64 * 64;
        auto flip = [&](uint64_t offset, uint64_t size) { bytes[data_start + offset + size / 2] ^= 0x20; };
        for (const auto &t : header["tensors"])
            if (std::find(tensors.begin(), tensors.end(), t["name"]) != tensors.end())
                flip(t["offset"].get<uint64_t>(), t["nbytes"].get<uint64_t>());
        if (!embedded.empty())
            flip(header["embedded_files"][embedded]["offset"].get<uint64_t>(),
                 header["embedded_files"][embedded]["size"].get<uint64_t>());
        const std::string path = dir_ + "/damaged.llmrt";
        write_file(path, bytes);
        return path;
    }

    static std::string dir_, good_;
};

std::string CheckFile::dir_, CheckFile::good_;

TEST_F(CheckFile, AnIntactFileChecksAndLoads) {
    Seen seen;
    ASSERT_EQ(llmrt_check_file(good_.c_str(), record, &seen), LLMRT_OK) << llmrt_last_error();
    EXPECT_TRUE(seen.damaged.empty());
    EXPECT_GT(std::count(seen.kinds.begin(), seen.kinds.end(), "tensor"), 40);
    EXPECT_NE(std::find(seen.names.begin(), seen.names.end(), "tokenizer.model"), seen.names.end());
    EXPECT_EQ(llmrt_check_file(good_.c_str(), nullptr, nullptr), LLMRT_OK);
    EXPECT_TRUE(test::load(good_));
}

TEST_F(CheckFile, LoadingADamagedTensorFailsNamingIt) {
    const std::string tensor = "model.layers.2.mlp.up_proj.weight";
    const std::string path = damaged_copy({tensor});
    llmrt_model *m = nullptr;
    EXPECT_EQ(llmrt_model_load(path.c_str(), nullptr, &m), LLMRT_ERR_FORMAT);
    EXPECT_EQ(m, nullptr);
    const std::string message = llmrt_last_error();
    EXPECT_NE(message.find("tensor '" + tensor + "' is corrupt"), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
}

TEST_F(CheckFile, CheckReportsEveryDamagedRegion) {
    const std::vector<std::string> tensors = {"model.embed_tokens.weight", "model.layers.0.self_attn.v_proj.weight",
                                              "model.layers.4.mlp.down_proj.weight"};
    const std::string path = damaged_copy(tensors, "tokenizer.model");
    Seen seen;
    EXPECT_EQ(llmrt_check_file(path.c_str(), record, &seen), LLMRT_ERR_FORMAT);
    const std::string message = llmrt_last_error();
    std::vector<std::string> want = tensors;
    want.push_back("tokenizer.model");
    std::sort(want.begin(), want.end());
    std::sort(seen.damaged.begin(), seen.damaged.end());
    EXPECT_EQ(seen.damaged, want);
    for (const std::string &name : want) EXPECT_NE(message.find("'" + name + "'"), std::string::npos) << message;

    llmrt_model *m = nullptr;
    EXPECT_EQ(llmrt_model_load(path.c_str(), nullptr, &m), LLMRT_ERR_FORMAT);
    EXPECT_EQ(m, nullptr);
}

TEST_F(CheckFile, StopsWhenTheCallbackSaysSo) {
    auto stop = [](const char *, const char *, int32_t, void *) -> int32_t { return 1; };
    EXPECT_EQ(llmrt_check_file(good_.c_str(), stop, nullptr), LLMRT_CANCELLED);
}

TEST_F(CheckFile, RefusesWhatIsNotAnLlmrtFile) {
    EXPECT_EQ(llmrt_check_file(nullptr, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_check_file("", nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    const std::string gguf = test::source_path("models/stories260K/stories260K.gguf");
    EXPECT_EQ(llmrt_check_file(gguf.c_str(), nullptr, nullptr), LLMRT_ERR_FORMAT);
    EXPECT_NE(std::string(llmrt_last_error()).find("not an llmrt file"), std::string::npos);
    EXPECT_EQ(llmrt_check_file((dir_ + "/missing.llmrt").c_str(), nullptr, nullptr), LLMRT_ERR_IO);
}

}  // namespace
