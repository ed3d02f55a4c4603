// The llmrt file: round trips (synthetic and the real stories260K GGUF), the zero-copy aligned
// mapping, the temporary-file discipline of the writer, and malformed files that must produce
// llmrt::Error, never a crash.
#include "formats/llmrt_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "format_test_util.h"
#include "formats/checkpoint.h"
#include "formats/checksum.h"
#include "formats/gguf_writer.h"

namespace llmrt {
namespace {

using nlohmann::json;
using test::Bytes;
using test::throws_error;

constexpr size_t kHeaderAt = 24;  // magic, version, header_crc32c, header_len

Bytes pattern(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 7 * i + (i >> 8));
    return b;
}

// Floats compare by bits so NaN, -0.0 and the last digit all count.
::testing::AssertionResult meta_equal(const MetaValue &a, const MetaValue &b, const std::string &where) {
    if (a.kind != b.kind) {
        return ::testing::AssertionFailure()
               << where << ": kind " << meta_kind_name(a.kind) << " vs " << meta_kind_name(b.kind);
    }
    bool same = true;
    switch (a.kind) {
        case MetaValue::Kind::Int: same = a.i == b.i; break;
        case MetaValue::Kind::UInt: same = a.u == b.u; break;
        case MetaValue::Kind::Float:
            same = (std::isnan(a.f) && std::isnan(b.f)) || std::memcmp(&a.f, &b.f, sizeof a.f) == 0;
            break;
        case MetaValue::Kind::Bool: same = a.b == b.b; break;
        case MetaValue::Kind::String: same = a.s == b.s; break;
        case MetaValue::Kind::Array:
            if (a.array.size() != b.array.size()) {
                return ::testing::AssertionFailure() << where << ": array size";
            }
            for (size_t i = 0; i < a.array.size(); ++i) {
                auto r = meta_equal(a.array[i], b.array[i], where + "[" + std::to_string(i) + "]");
                if (!r) return r;
            }
            break;
    }
    if (!same) return ::testing::AssertionFailure() << where << ": values differ";
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult metadata_equal(const Metadata &a, const Metadata &b) {
    if (a.size() != b.size()) {
        return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " keys";
    }
    for (const auto &[key, value] : a) {
        auto it = b.find(key);
        if (it == b.end()) return ::testing::AssertionFailure() << "missing key " << key;
        auto r = meta_equal(value, it->second, key);
        if (!r) return r;
    }
    return ::testing::AssertionSuccess();
}

Metadata metadata_of_every_kind() {
    using V = MetaValue;
    Metadata m;
    m["general.architecture"] = V::from_string("llama");
    m["k.u64_max"] = V::from_uint(std::numeric_limits<uint64_t>::max());
    m["k.u64_zero"] = V::from_uint(0);
    m["k.i64_min"] = V::from_int(std::numeric_limits<int64_t>::min());
    m["k.i64_max"] = V::from_int(std::numeric_limits<int64_t>::max());
    m["k.i_small"] = V::from_int(7);
    m["k.f_third"] = V::from_float(1.0 / 3.0);
    m["k.f_tiny"] = V::from_float(1e-300);
    m["k.f_denormal"] = V::from_float(std::numeric_limits<double>::denorm_min());
    m["k.f_max"] = V::from_float(std::numeric_limits<double>::max());
    m["k.f_neg_zero"] = V::from_float(-0.0);
    m["k.f_integral"] = V::from_float(2.0);
    m["k.f_f32"] = V::from_float(static_cast<double>(0.1f));
    m["k.f_nan"] = V::from_float(std::numeric_limits<double>::quiet_NaN());
    m["k.f_inf"] = V::from_float(std::numeric_limits<double>::infinity());
    m["k.f_neg_inf"] = V::from_float(-std::numeric_limits<double>::infinity());
    m["k.bool"] = V::from_bool(true);
    m["k.false"] = V::from_bool(false);
    m["k.string"] = V::from_string("\xe2\x96\x81hello \"quoted\" \\ \n\t");
    m["k.empty_string"] = V::from_string("");
    m["k.not_utf8"] = V::from_string(std::string("\xff\xfe\x00\x80", 4));
    m["k.strings"] = V::from_array({V::from_string("<unk>"), V::from_string("<s>"), V::from_string(""),
                                    V::from_string("\xc3\x28")});  // the last is invalid UTF-8
    m["k.floats"] = V::from_array({V::from_float(0.0), V::from_float(-1.5), V::from_float(NAN)});
    m["k.ints"] = V::from_array({V::from_int(-1), V::from_int(std::numeric_limits<int64_t>::min())});
    m["k.uints"] = V::from_array({V::from_uint(1), V::from_uint(std::numeric_limits<uint64_t>::max())});
    m["k.bools"] = V::from_array({V::from_bool(true), V::from_bool(false)});
    m["k.nested"] =
        V::from_array({V::from_array({V::from_int(1)}),
                       V::from_array({V::from_string("a"), V::from_string("b")}), V::from_array({})});
    m["k.mixed"] = V::from_array({V::from_int(1), V::from_string("x"), V::from_uint(2)});
    m["k.empty_array"] = V::from_array({});
    return m;
}

// Contents of a small file with tensors of every dtype; owns the tensor data.
struct Sample {
    Sample() {
        add("f32", DType::F32, "", {3, 5}, 60);
        add("f16", DType::F16, "", {4}, 8);
        add("bf16", DType::BF16, "", {2, 2}, 8);
        add("q8_0", DType::Q8_0, "", {2, 32}, 68);
        add("q4_0", DType::Q4_0, "", {32}, 18);
        add("q4_1", DType::Q4_1, "", {32}, 20);
        add("packed.int4", DType::Packed, "int4_g32_sym_fp32", {172, 64}, 6235);
        add("packed.nf4", DType::Packed, "nf4_g64_fp32", {3, 100}, 1);
        add("scalar", DType::F32, "", {}, 4);
        add("empty", DType::F16, "", {0, 4}, 0);
        contents.source = Checkpoint::Source::HuggingFace;
        contents.architecture = "LlamaForCausalLM";
        contents.hf_config = json{{"architectures", json::array({"LlamaForCausalLM"})},
                                  {"hidden_size", 64},
                                  {"rms_norm_eps", 1e-5},
                                  {"rope_scaling", {{"type", "linear"}, {"factor", 2.0}}},
                                  {"big", std::numeric_limits<uint64_t>::max()},
                                  {"none", nullptr}};
        contents.gguf_metadata = metadata_of_every_kind();
        contents.embedded_files["tokenizer.model"] = std::string("\x0a\x00\xff binary", 10);
        contents.embedded_files["tokenizer_config.json"] = "{\"add_bos_token\": true}";
        contents.embedded_files["empty.txt"] = "";
        contents.quantization_info = json{{"weight_dtype", "int4"}, {"group_size", 32}, {"algorithm", "rtn"}};
    }

    void add(const std::string &name, DType dtype, const std::string &packed_type, std::vector<int64_t> shape,
             size_t nbytes) {
        data.push_back(pattern(nbytes, static_cast<uint8_t>(data.size() * 31)));
        contents.tensors.push_back(
            LlmrtFileTensor{name, dtype, packed_type, std::move(shape), data.back().data(), nbytes});
    }

    std::deque<Bytes> data;  // stable addresses as tensors are added
    LlmrtFileContents contents;
};

void expect_same_tensors(const Checkpoint &ckpt, const std::vector<LlmrtFileTensor> &tensors) {
    ASSERT_EQ(ckpt.tensors.size(), tensors.size());
    for (const LlmrtFileTensor &want : tensors) {
        const TensorView &got = ckpt.get(want.name);
        EXPECT_EQ(got.name, want.name);
        EXPECT_EQ(got.dtype, want.dtype) << want.name;
        EXPECT_EQ(got.packed_type, want.packed_type) << want.name;
        EXPECT_EQ(got.shape, want.shape) << want.name;
        ASSERT_EQ(got.nbytes, want.nbytes) << want.name;
        if (want.nbytes) {
            EXPECT_EQ(std::memcmp(got.data, want.data, want.nbytes), 0) << want.name;
        }
    }
}

// No copy: every tensor lies inside the one mapping and starts 64-byte aligned.
void expect_mapped_in_place(const Checkpoint &ckpt) {
    ASSERT_EQ(ckpt.files.size(), 1u);
    const uint8_t *begin = ckpt.files[0]->data();
    const uint8_t *end = begin + ckpt.files[0]->size();
    for (const auto &[name, t] : ckpt.tensors) {
        EXPECT_GE(t.data, begin) << name;
        EXPECT_LE(t.data + t.nbytes, end) << name;
        if (t.nbytes) {
            EXPECT_LT(t.data, end) << name;
        }
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u) << name;
    }
}

size_t directory_entries(const std::string &dir) {
    size_t n = 0;
    for (const auto &e : std::filesystem::directory_iterator(dir)) {
        (void)e;
        ++n;
    }
    return n;
}

TEST(LlmrtFile, RoundTripsTensorsMetadataConfigAndEmbeddedFiles) {
    const Sample sample;
    test::TempDir dir;
    const std::string path = dir.file("model.llmrt");
    write_llmrt_file(path, sample.contents);
    EXPECT_EQ(directory_entries(dir.path()), 1u);

    const Checkpoint ckpt = read_llmrt_file(path);
    EXPECT_EQ(ckpt.source, Checkpoint::Source::HuggingFace);
    EXPECT_EQ(ckpt.path, path);
    EXPECT_TRUE(ckpt.packed_file);
    EXPECT_EQ(ckpt.architecture, "LlamaForCausalLM");
    EXPECT_EQ(ckpt.hf_config, sample.contents.hf_config);
    EXPECT_EQ(ckpt.hf_config["big"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(ckpt.quantization_info, sample.contents.quantization_info);
    EXPECT_EQ(ckpt.embedded_files, sample.contents.embedded_files);
    EXPECT_TRUE(metadata_equal(ckpt.gguf_metadata, sample.contents.gguf_metadata));
    EXPECT_TRUE(std::signbit(ckpt.gguf_metadata.at("k.f_neg_zero").f));
    expect_same_tensors(ckpt, sample.contents.tensors);
    expect_mapped_in_place(ckpt);

    // Packed tensors keep their weight type and refuse a float conversion.
    const TensorView &packed = ckpt.get("packed.int4");
    EXPECT_EQ(packed.packed_type, "int4_g32_sym_fp32");
    std::vector<float> out(static_cast<size_t>(packed.n_elements()));
    EXPECT_TRUE(
        throws_error([&] { tensor_to_f32(packed, out.data()); }, Status::Unsupported, "weight type"));
    // Ordinary tensors convert as usual.
    std::vector<float> f32(15);
    tensor_to_f32(ckpt.get("f32"), f32.data());
    EXPECT_EQ(std::memcmp(f32.data(), sample.data[0].data(), 60), 0);
}

TEST(LlmrtFile, ReadCheckpointRecognizesTheMagic) {
    const Sample sample;
    test::TempDir dir;
    const std::string path = dir.file("model.bin");  // the extension does not matter
    write_llmrt_file(path, sample.contents);
    const Checkpoint ckpt = read_checkpoint(path);
    EXPECT_TRUE(ckpt.packed_file);
    EXPECT_EQ(ckpt.tensors.size(), sample.contents.tensors.size());
}

TEST(LlmrtFile, LayoutIsAsDocumented) {
    const Sample sample;
    test::TempDir dir;
    const std::string path = dir.file("m.llmrt");
    write_llmrt_file(path, sample.contents);
    const Bytes bytes = test::read_bytes(path);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "LLMRTQF1");
    EXPECT_EQ(test::get_le(bytes, 8, 4), kLlmrtFileVersion);
    const uint64_t header_len = test::get_le(bytes, 16, 8);
    EXPECT_EQ(test::get_le(bytes, 12, 4), crc32c(bytes.data() + kHeaderAt, header_len));
    const json header = json::parse(bytes.begin() + kHeaderAt, bytes.begin() + kHeaderAt + header_len);
    EXPECT_EQ(header["format"], "llmrt");
    EXPECT_EQ(header["version"], kLlmrtFileVersion);
    EXPECT_EQ(header["source"], "hf");
    EXPECT_EQ(header["gguf_metadata"]["k.u64_max"]["type"], "uint");
    EXPECT_EQ(header["gguf_metadata"]["k.strings"]["element_type"], "string");
    const size_t data_start = (kHeaderAt + header_len + 63) / 64 * 64;
    for (size_t i = kHeaderAt + header_len; i < data_start; ++i) EXPECT_EQ(bytes[i], 0) << i;

    uint64_t end = 0;
    for (const json &t : header["tensors"]) {
        EXPECT_EQ(t["offset"].get<uint64_t>() % 64, 0u) << t["name"];
        EXPECT_EQ(t["crc32c"].get<uint64_t>(),
                  crc32c(bytes.data() + data_start + t["offset"].get<uint64_t>(), t["nbytes"].get<size_t>()))
            << t["name"];
        if (t["dtype"] == "packed") {
            EXPECT_TRUE(t.contains("packed_type"));
        } else {
            EXPECT_FALSE(t.contains("packed_type"));
        }
        end = std::max(end, t["offset"].get<uint64_t>() + t["nbytes"].get<uint64_t>());
    }
    for (const auto &f : header["embedded_files"].items()) {
        EXPECT_EQ(f.value()["offset"].get<uint64_t>() % 64, 0u) << f.key();
        EXPECT_EQ(f.value()["crc32c"].get<uint64_t>(),
                  crc32c(bytes.data() + data_start + f.value()["offset"].get<uint64_t>(),
                         f.value()["size"].get<size_t>()))
            << f.key();
        end = std::max(end, f.value()["offset"].get<uint64_t>() + f.value()["size"].get<uint64_t>());
    }
    EXPECT_EQ(header["tensors"][0]["name"], "f32");  // in the order given
    EXPECT_EQ(header["tensors"][0]["shape"], json::array({3, 5}));
    EXPECT_EQ(bytes.size(), data_start + end);  // no trailing bytes
}

TEST(LlmrtFile, ReportsProgressUpToTheFileSize) {
    Sample sample;
    const Bytes big = pattern(20u << 20, 3);  // several progress chunks
    sample.contents.tensors.push_back(
        LlmrtFileTensor{"big", DType::F32, "", {5, 1 << 20}, big.data(), big.size()});
    std::vector<std::pair<size_t, size_t>> calls;
    sample.contents.progress = [&](size_t written, size_t total) {
        calls.emplace_back(written, total);
        return true;
    };
    test::TempDir dir;
    const std::string path = dir.file("m.llmrt");
    write_llmrt_file(path, sample.contents);
    const size_t size = std::filesystem::file_size(path);
    ASSERT_GE(calls.size(), 3u);
    for (size_t i = 0; i < calls.size(); ++i) {
        EXPECT_EQ(calls[i].second, size);
        if (i) {
            EXPECT_GE(calls[i].first, calls[i - 1].first);
        }
    }
    EXPECT_EQ(calls.back().first, size);
    const Checkpoint ckpt = read_llmrt_file(path);
    EXPECT_EQ(std::memcmp(ckpt.get("big").data, big.data(), big.size()), 0);
}

TEST(LlmrtFile, RoundTripsTheRealStoriesGguf) {
    const Checkpoint gguf = read_gguf_checkpoint(test::stories_gguf());
    test::TempDir dir;
    const std::string path = dir.file("stories.llmrt");
    write_llmrt_file(path, llmrt_file_contents_of(gguf));

    const Checkpoint ckpt = read_llmrt_file(path);
    EXPECT_EQ(ckpt.source, Checkpoint::Source::Gguf);
    EXPECT_EQ(ckpt.architecture, "llama");
    EXPECT_TRUE(ckpt.hf_config.empty());
    EXPECT_TRUE(ckpt.embedded_files.empty());
    EXPECT_EQ(ckpt.gguf_metadata.size(), 19u);
    EXPECT_TRUE(metadata_equal(ckpt.gguf_metadata, gguf.gguf_metadata));
    ASSERT_EQ(ckpt.tensors.size(), gguf.tensors.size());
    for (const auto &[name, want] : gguf.tensors) {
        const TensorView *got = ckpt.find(name);
        ASSERT_NE(got, nullptr) << name;
        EXPECT_EQ(got->dtype, want.dtype) << name;
        EXPECT_EQ(got->shape, want.shape) << name;
        ASSERT_EQ(got->nbytes, want.nbytes) << name;
        EXPECT_EQ(std::memcmp(got->data, want.data, want.nbytes), 0) << name;
    }
    expect_mapped_in_place(ckpt);

    // Writing the llmrt checkpoint again reproduces the file byte for byte.
    const std::string again = dir.file("again.llmrt");
    write_llmrt_file(again, llmrt_file_contents_of(ckpt));
    EXPECT_EQ(test::read_bytes(again), test::read_bytes(path));
}

TEST(LlmrtFile, ReplacesAnExistingFileThroughATemporary) {
    const Sample sample;
    test::TempDir dir;
    const std::string path = dir.file("m.llmrt");
    test::write_text(path, "old contents");
    write_llmrt_file(path, sample.contents);
    EXPECT_TRUE(read_llmrt_file(path).packed_file);
    EXPECT_EQ(directory_entries(dir.path()), 1u);
}

TEST(LlmrtFile, CancelLeavesTheExistingFileUntouched) {
    Sample sample;
    const Bytes big = pattern(20u << 20, 5);
    sample.contents.tensors.push_back(
        LlmrtFileTensor{"big", DType::F32, "", {5, 1 << 20}, big.data(), big.size()});
    test::TempDir dir;
    const std::string path = dir.file("m.llmrt");
    test::write_text(path, "old contents");
    // Cancel after the header, in the middle of the big tensor, and at the very end (before the rename).
    for (size_t cancel_from : {size_t{0}, size_t{10} << 20, size_t{30} << 20}) {
        size_t last = 0;
        sample.contents.progress = [&](size_t written, size_t total) {
            last = written;
            return written < std::min(cancel_from, total);
        };
        EXPECT_TRUE(throws_error([&] { write_llmrt_file(path, sample.contents); }, Status::Cancelled, path));
        if (cancel_from == (size_t{10} << 20)) {
            EXPECT_LT(last, size_t{20} << 20);
        }
        if (cancel_from == (size_t{30} << 20)) {
            EXPECT_GT(last, size_t{20} << 20);
        }
        EXPECT_EQ(test::read_bytes(path),
                  Bytes({'o', 'l', 'd', ' ', 'c', 'o', 'n', 't', 'e', 'n', 't', 's'}));
        EXPECT_EQ(directory_entries(dir.path()), 1u) << "a temporary file was left behind";
    }
}

TEST(LlmrtFile, UnwritableDestinationIsAnIoErrorNamingThePath) {
    const Sample sample;
    test::TempDir dir;
    // Root ignores permissions, so use a directory that does not exist.
    const std::string path = dir.file("no-such-dir/m.llmrt");
    EXPECT_TRUE(throws_error([&] { write_llmrt_file(path, sample.contents); }, Status::Io, path));
    EXPECT_EQ(directory_entries(dir.path()), 0u);
    // A directory in the way of the rename: the temporary file must be cleaned up.
    const std::string blocked = dir.file("blocked.llmrt");
    std::filesystem::create_directory(blocked);
    std::filesystem::create_directory(blocked + "/child");
    EXPECT_TRUE(throws_error([&] { write_llmrt_file(blocked, sample.contents); }, Status::Io, blocked));
    EXPECT_EQ(directory_entries(dir.path()), 1u);
    EXPECT_TRUE(std::filesystem::is_directory(blocked + "/child"));
}

// Sets a file size limit for this process (root included), as a full disk would stop the write.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &saved_);
        old_handler_ = signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &saved_);
        signal(SIGXFSZ, old_handler_);
    }

private:
    rlimit saved_{};
    void (*old_handler_)(int) = nullptr;
};

TEST(LlmrtFile, WriteErrorMidwayIsAnIoErrorAndLeavesNothingBehind) {
    Sample sample;
    const Bytes big = pattern(4u << 20, 9);
    sample.contents.tensors.push_back(
        LlmrtFileTensor{"big", DType::F32, "", {1 << 20}, big.data(), big.size()});
    test::TempDir dir;
    const std::string path = dir.file("m.llmrt");
    test::write_text(path, "old contents");
    {
        const FileSizeLimit limit(1 << 20);
        EXPECT_TRUE(throws_error([&] { write_llmrt_file(path, sample.contents); }, Status::Io, path));
    }
    EXPECT_EQ(test::read_bytes(path).size(), 12u);
    EXPECT_EQ(directory_entries(dir.path()), 1u);
}

TEST(LlmrtFile, RejectsContentsItCannotStore) {
    test::TempDir dir;
    const std::string path = dir.file("m.llmrt");
    const auto rejects = [&](const std::function<void(LlmrtFileContents &)> &edit,
                             const std::string &fragment) {
        Sample sample;
        edit(sample.contents);
        auto r = throws_error([&] { write_llmrt_file(path, sample.contents); }, Status::InvalidArgument,
                              fragment);
        if (r && directory_entries(dir.path()) != 0) return ::testing::AssertionFailure() << "left a file";
        return r;
    };
    EXPECT_TRUE(
        rejects([](LlmrtFileContents &c) { c.tensors.push_back(c.tensors[0]); }, "duplicate tensor 'f32'"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[0].nbytes = 56; }, "'f32'"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[0].shape = {-3, -5}; }, "shape"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[3].shape = {4, 16}; }, "'q8_0'"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[6].packed_type = ""; }, "packed_type"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[0].packed_type = "int4"; }, "packed_type"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[0].data = nullptr; }, "no data"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[0].name = ""; }, "empty name"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.tensors[0].name = "bad\xff"; }, "JSON"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.embedded_files["../evil"] = "x"; }, "plain file name"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.embedded_files["a/b"] = "x"; }, "plain file name"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.hf_config = json::array(); }, "hf_config"));
    EXPECT_TRUE(rejects([](LlmrtFileContents &c) { c.quantization_info = nullptr; }, "quantization_info"));
    EXPECT_TRUE(rejects(
        [](LlmrtFileContents &c) {
            MetaValue v = MetaValue::from_int(1);
            for (int i = 0; i < 40; ++i) v = MetaValue::from_array({v, MetaValue::from_bool(true)});
            c.gguf_metadata["deep"] = v;
        },
        "deeper"));
}

TEST(LlmrtFile, AnEmptyCheckpointRoundTrips) {
    test::TempDir dir;
    const std::string path = dir.file("empty.llmrt");
    LlmrtFileContents contents;
    contents.source = Checkpoint::Source::Gguf;
    write_llmrt_file(path, contents);
    const Checkpoint ckpt = read_llmrt_file(path);
    EXPECT_EQ(ckpt.source, Checkpoint::Source::Gguf);
    EXPECT_TRUE(ckpt.tensors.empty());
    EXPECT_EQ(std::filesystem::file_size(path) % 64, 0u);
}

// ---------------------------------------------------------------------------------------------
// Malformed files

// A file from a header and a data section, laid out as the writer does (version 2 has no header
// checksum).
Bytes make_file(const std::string &header_text, const Bytes &data, uint32_t version = kLlmrtFileVersion) {
    Bytes bytes(kLlmrtFileMagic, kLlmrtFileMagic + 8);
    test::append_le(bytes, version, 4);
    const uint8_t *text = reinterpret_cast<const uint8_t *>(header_text.data());
    test::append_le(bytes, version == kLlmrtFileVersionWithoutChecksums ? 0 : crc32c(text, header_text.size()), 4);
    test::append_le(bytes, header_text.size(), 8);
    bytes.insert(bytes.end(), header_text.begin(), header_text.end());
    while (bytes.size() % 64) bytes.push_back(0);
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

class LlmrtFileMalformed : public ::testing::Test {
protected:
    void SetUp() override {
        Sample sample;
        sample.contents.gguf_metadata = {{"general.architecture", MetaValue::from_string("llama")},
                                         {"k.u64", MetaValue::from_uint(5)}};
        sample.contents.tensors.resize(2);  // f32 and f16; keep the file small
        sample.contents.tensors.push_back(LlmrtFileTensor{
            "packed", DType::Packed, "int4_g32_sym_fp32", {2, 40}, sample.data[0].data(), 50});
        const std::string path = dir_.file("good.llmrt");
        write_llmrt_file(path, sample.contents);
        good_ = test::read_bytes(path);
        const uint64_t header_len = test::get_le(good_, 16, 8);
        header_ = json::parse(good_.begin() + kHeaderAt, good_.begin() + kHeaderAt + header_len);
        const size_t data_start = (kHeaderAt + header_len + 63) / 64 * 64;
        data_ = Bytes(good_.begin() + data_start, good_.end());
    }

    // Writes the bytes and checks that reading them throws with the status and message fragment,
    // and that the message names the file.
    ::testing::AssertionResult rejects(const Bytes &bytes, Status status, const std::string &fragment) {
        const std::string path = dir_.file("bad.llmrt");
        test::write_bytes(path, bytes);
        auto result = throws_error([&] { read_llmrt_file(path); }, status, fragment);
        if (!result) return result;
        return throws_error([&] { read_llmrt_file(path); }, status, path);
    }

    ::testing::AssertionResult rejects_header(const json &header, const std::string &fragment) {
        return rejects(make_file(header.dump(), data_), Status::Format, fragment);
    }

    // The JSON entry of a tensor in header_.
    json &tensor(json &header, const std::string &name) {
        for (json &t : header["tensors"]) {
            if (t["name"] == name) return t;
        }
        throw std::runtime_error("no tensor " + name);
    }

    test::TempDir dir_;
    Bytes good_;
    json header_;
    Bytes data_;
};

TEST_F(LlmrtFileMalformed, TheBaseFileIsValidAndRebuildable) {
    EXPECT_EQ(make_file(header_.dump(), data_), good_);
    const std::string path = dir_.file("good2.llmrt");
    test::write_bytes(path, good_);
    EXPECT_EQ(read_llmrt_file(path).tensors.size(), 3u);
}

TEST_F(LlmrtFileMalformed, TruncatedAtEveryCut) {
    for (size_t cut = 0; cut < good_.size(); ++cut) {
        EXPECT_TRUE(rejects(Bytes(good_.begin(), good_.begin() + cut), Status::Format, ""))
            << "cut " << cut;
    }
}

TEST_F(LlmrtFileMalformed, Preamble) {
    EXPECT_TRUE(rejects({}, Status::Format, "too small"));
    Bytes bad = good_;
    bad[3] = 'X';
    EXPECT_TRUE(rejects(bad, Status::Format, "not an llmrt file"));
    bad = good_;
    test::put_le(bad, 8, kLlmrtFileVersion + 1, 4);
    EXPECT_TRUE(rejects(bad, Status::Unsupported, "version " + std::to_string(kLlmrtFileVersion + 1)));
    bad = good_;
    test::put_le(bad, 8, 1, 4);  // version 1 kept int8/int4 scales inside the superblocks
    EXPECT_TRUE(rejects(bad, Status::Unsupported, "version 1"));
    bad = good_;
    test::put_le(bad, 12, test::get_le(good_, 12, 4) ^ 1, 4);
    EXPECT_TRUE(rejects(bad, Status::Format, "the header is corrupt"));
    for (uint64_t len :
         {uint64_t{1} << 40, UINT64_MAX, uint64_t{good_.size()}, uint64_t{good_.size() - 23}}) {
        bad = good_;
        test::put_le(bad, 16, len, 8);
        EXPECT_TRUE(rejects(bad, Status::Format, "header length")) << len;
    }
    bad = good_;
    test::put_le(bad, 16, 10, 8);  // inside the JSON: the checksum no longer covers the header
    EXPECT_TRUE(rejects(bad, Status::Format, "the header is corrupt"));
}

TEST_F(LlmrtFileMalformed, HeaderJson) {
    EXPECT_TRUE(rejects(make_file("{\"format\": ", data_), Status::Format, "not valid JSON"));
    EXPECT_TRUE(rejects(make_file("[1, 2]", data_), Status::Format, "not a JSON object"));
    EXPECT_TRUE(rejects(make_file("\"\xff\"", data_), Status::Format, "not valid JSON"));
    EXPECT_TRUE(rejects(make_file(std::string(100000, '[') + std::string(100000, ']'), data_),
                        Status::Format, "deeper"));
    for (const char *key : {"format", "version", "source", "architecture", "hf_config", "gguf_metadata",
                            "embedded_files", "tensors", "quantization"}) {
        json h = header_;
        h.erase(key);
        EXPECT_TRUE(rejects_header(h, key)) << key;
        h[key] = 3.5;
        EXPECT_TRUE(rejects_header(h, key)) << key;
    }
    json h = header_;
    h["format"] = "gguf";
    EXPECT_TRUE(rejects_header(h, "format"));
    h = header_;
    h["version"] = kLlmrtFileVersion + 1;
    EXPECT_TRUE(rejects_header(h, "version"));
    h = header_;
    h["source"] = "onnx";
    EXPECT_TRUE(rejects_header(h, "source"));
}

TEST_F(LlmrtFileMalformed, TensorOffsetsAndSizes) {
    struct Case {
        const char *field;
        json value;
        const char *fragment;
    };
    const uint64_t past = data_.size() + 64 - data_.size() % 64;
    const std::vector<Case> cases = {
        {"offset", 4, "not a multiple of 64"},
        {"offset", 64 * 1000, "outside the data section"},
        {"offset", past, "outside the data section"},
        {"offset", (uint64_t{1} << 63) - 64, "outside the data section"},
        {"offset", -64, "offset"},
        {"offset", "0", "offset"},
        {"nbytes", 1u << 30, "does not take"},
        {"nbytes", -1, "nbytes"},
        {"dtype", "q5_k", "unknown dtype \"q5_k\""},
        {"dtype", "F32", "unknown dtype"},
        {"dtype", 0, "dtype"},
        {"shape", json::array({-3, 5}), "non-negative"},
        {"shape", json::array({3, 6}), "does not take"},
        {"shape", json::array({uint64_t{1} << 40, uint64_t{1} << 40}), "too large"},
        {"shape", json::array({1.5}), "non-negative"},
        {"shape", 15, "shape"},
        {"name", "", "name"},
        {"name", 7, "name"},
        {"packed_type", "int4", "packed_type"},
    };
    for (const Case &c : cases) {
        json h = header_;
        tensor(h, "f32")[c.field] = c.value;
        EXPECT_TRUE(rejects_header(h, c.fragment)) << c.field << " = " << c.value;
    }
    json h = header_;
    tensor(h, "packed").erase("packed_type");
    EXPECT_TRUE(rejects_header(h, "packed_type"));
    h = header_;
    tensor(h, "packed")["nbytes"] = data_.size();  // packed sizes are free, but must fit the file
    EXPECT_TRUE(rejects_header(h, "outside the data section"));
    h = header_;
    tensor(h, "f16")["name"] = "f32";
    EXPECT_TRUE(rejects_header(h, "duplicate tensor name 'f32'"));
    h = header_;
    h["tensors"].push_back(5);
    EXPECT_TRUE(rejects_header(h, "tensor #3"));
    // Right-sized data past the end: truncating only the data section is caught too.
    EXPECT_TRUE(rejects(make_file(header_.dump(), Bytes(data_.begin(), data_.end() - 1)), Status::Format,
                        "outside the data section"));
}

TEST_F(LlmrtFileMalformed, EmbeddedFiles) {
    json h = header_;
    h["embedded_files"]["tokenizer.model"]["offset"] = 1;
    EXPECT_TRUE(rejects_header(h, "not a multiple of 64"));
    h = header_;
    h["embedded_files"]["tokenizer.model"]["size"] = data_.size() + 1;
    EXPECT_TRUE(rejects_header(h, "outside the data section"));
    h = header_;
    h["embedded_files"]["tokenizer.model"]["size"] = UINT64_MAX;
    EXPECT_TRUE(rejects_header(h, "size"));
    h = header_;
    h["embedded_files"]["../../etc/passwd"] = {{"offset", 0}, {"size", 1}};
    EXPECT_TRUE(rejects_header(h, "plain file name"));
    h = header_;
    h["embedded_files"]["x"] = "data";
    EXPECT_TRUE(rejects_header(h, "embedded file 'x'"));
}

TEST_F(LlmrtFileMalformed, Metadata) {
    const std::vector<std::pair<json, const char *>> cases = {
        {5, "\"type\", \"value\""},
        {{{"type", "int"}}, "\"type\", \"value\""},
        {{{"type", "uint8"}, {"value", 1}}, "no valid \"type\""},
        {{{"type", "int"}, {"value", "abc"}}, "not a valid int"},
        {{{"type", "int"}, {"value", UINT64_MAX}}, "not a valid int"},
        {{{"type", "int"}, {"value", 1.5}}, "not a valid int"},
        {{{"type", "uint"}, {"value", -1}}, "not a valid uint"},
        {{{"type", "float"}, {"value", "NaN?"}}, "not a valid float"},
        {{{"type", "bool"}, {"value", 1}}, "not a valid bool"},
        {{{"type", "string"}, {"value", {{"hex", "abc"}}}}, "not a valid string"},
        {{{"type", "string"}, {"value", {{"hex", "zz"}}}}, "not a valid string"},
        {{{"type", "array"}, {"value", 3}}, "array"},
        {{{"type", "array"}, {"element_type", "array"}, {"value", json::array()}}, "element_type"},
        {{{"type", "array"}, {"element_type", "int"}, {"value", {1, "x"}}}, "not a valid int"},
        {{{"type", "array"}, {"value", {1, 2}}}, "\"type\", \"value\""},
    };
    for (const auto &[value, fragment] : cases) {
        json h = header_;
        h["gguf_metadata"]["k.bad"] = value;
        EXPECT_TRUE(rejects_header(h, fragment)) << value;
        EXPECT_TRUE(rejects_header(h, "k.bad")) << value;
    }
    // Nested arrays within the header's depth limit but beyond the metadata's.
    json deep = {{"type", "int"}, {"value", 1}};
    for (int i = 0; i < 20; ++i) deep = {{"type", "array"}, {"value", json::array({deep})}};
    json h = header_;
    h["gguf_metadata"]["k.deep"] = deep;
    EXPECT_TRUE(rejects_header(h, "nests arrays deeper than 16"));
}

// Every outcome of random corruption must be a successful read or an llmrt::Error; true for
// the error.
bool expect_error_or_sane(const std::string &path) {
    try {
        const Checkpoint ckpt = read_llmrt_file(path);
        const uint8_t *begin = ckpt.files.at(0)->data();
        const uint8_t *end = begin + ckpt.files.at(0)->size();
        for (const auto &[name, t] : ckpt.tensors) {
            EXPECT_GE(t.data, begin);
            EXPECT_LE(t.data + t.nbytes, end);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u);
        }
        return false;
    } catch (const Error &) {
        return true;
    }
}

TEST_F(LlmrtFileMalformed, RandomByteMutationsNeverCrash) {
    std::mt19937 rng(1234);
    const std::string path = dir_.file("fuzz.llmrt");
    const size_t header_end = kHeaderAt + test::get_le(good_, 16, 8);
    int errors = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        Bytes bad = good_;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            // Mostly the preamble and header, where the structure is.
            const size_t at = (rng() % 4) ? rng() % header_end : rng() % bad.size();
            bad[at] = (rng() % 2) ? static_cast<uint8_t>(rng())
                                  : static_cast<uint8_t>(bad[at] ^ (1u << (rng() % 8)));
        }
        test::write_bytes(path, bad);
        errors += expect_error_or_sane(path);
    }
    // The checksums catch every change but those confined to the zero padding (or a byte set to
    // its own value).
    EXPECT_GT(errors, 2700);
}

// Well-formed JSON with wrong values: replace one random leaf of the header with another value.
TEST_F(LlmrtFileMalformed, RandomHeaderValuesNeverCrash) {
    std::vector<json::json_pointer> leaves;
    const json flat = header_.flatten();
    for (const auto &item : flat.items()) leaves.emplace_back(item.key());
    const std::vector<json> values = {nullptr,
                                      -1,
                                      0,
                                      1,
                                      63,
                                      64,
                                      65,
                                      1.5,
                                      "x",
                                      "",
                                      json::array(),
                                      json::object(),
                                      true,
                                      UINT64_MAX,
                                      INT64_MIN,
                                      uint64_t{1} << 63,
                                      1e300};
    std::mt19937 rng(99);
    const std::string path = dir_.file("fuzz.llmrt");
    int errors = 0;
    for (int iter = 0; iter < 1500; ++iter) {
        json h = header_;
        h[leaves[rng() % leaves.size()]] = values[rng() % values.size()];
        test::write_bytes(path, make_file(h.dump(), data_));
        errors += expect_error_or_sane(path);
    }
    EXPECT_GT(errors, 500);
    EXPECT_LT(errors, 1500);  // e.g. a new architecture name or hf_config value is fine
}

// ---------------------------------------------------------------------------------------------
// Checksums

// CRC-32C as its definition states it, a bit at a time: reflected polynomial 0x82f63b78, the
// register starting and ending inverted.
uint32_t crc32c_bitwise(const uint8_t *p, size_t n) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

TEST(Crc32c, MatchesTheStandard) {
    const std::string check = "123456789";  // the catalogue's check value
    EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t *>(check.data()), check.size()), 0xe3069283u);
    EXPECT_EQ(crc32c(nullptr, 0), 0u);
    const Bytes data = pattern(1000, 5);
    for (size_t offset : {0, 1, 3, 7})
        for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 500, 993}) {
            EXPECT_EQ(crc32c(data.data() + offset, n), crc32c_bitwise(data.data() + offset, n))
                << "offset " << offset << " n " << n;
        }
    EXPECT_EQ(crc32c(data.data() + 100, 900, crc32c(data.data(), 100)), crc32c(data.data(), 1000));
    // Large buffers run three streams and combine them: every length modulo 3 * 8 and the tails.
    const Bytes big = pattern(200003, 9);
    for (size_t n : {size_t{65535}, size_t{65536}, size_t{65537}, size_t{100000}, size_t{200003}})
        for (size_t offset : {0, 1, 5}) {
            EXPECT_EQ(crc32c(big.data() + offset, n - offset), crc32c_bitwise(big.data() + offset, n - offset))
                << "offset " << offset << " n " << n;
        }
    EXPECT_EQ(crc32c(big.data() + 70000, 130003, crc32c(big.data(), 70000)), crc32c(big.data(), big.size()));
}

TEST_F(LlmrtFileMalformed, ChecksumEntries) {
    for (const json &value : {json(), json(uint64_t{1} << 32), json(-1), json("0"), json(1.5)}) {
        json h = header_;
        if (value.is_null()) {
            tensor(h, "f16").erase("crc32c");
        } else {
            tensor(h, "f16")["crc32c"] = value;
        }
        EXPECT_TRUE(rejects_header(h, "tensor 'f16' has no \"crc32c\"")) << value;
        h = header_;
        h["embedded_files"]["tokenizer.model"]["crc32c"] = value;
        EXPECT_TRUE(rejects_header(h, "embedded file 'tokenizer.model' has no \"crc32c\"")) << value;
    }
    json h = header_;
    tensor(h, "f16")["crc32c"] = tensor(h, "f16")["crc32c"].get<uint64_t>() ^ 1;
    EXPECT_TRUE(rejects_header(h, "tensor 'f16' is corrupt"));
    h = header_;
    h["embedded_files"]["tokenizer.model"]["crc32c"] = 0;
    EXPECT_TRUE(rejects_header(h, "embedded file 'tokenizer.model' is corrupt"));
}

// Version 2 is version 3 without checksums: read (nothing can be verified), but not checkable.
TEST_F(LlmrtFileMalformed, VersionTwoIsReadWithoutChecksums) {
    json h = header_;
    h["version"] = kLlmrtFileVersionWithoutChecksums;
    for (json &t : h["tensors"]) t.erase("crc32c");
    for (auto &f : h["embedded_files"].items()) f.value().erase("crc32c");
    const Bytes v2 = make_file(h.dump(), data_, kLlmrtFileVersionWithoutChecksums);
    const std::string path = dir_.file("v2.llmrt");
    test::write_bytes(path, v2);
    EXPECT_EQ(read_llmrt_file(path).tensors.size(), 3u);
    EXPECT_TRUE(throws_error([&] { check_llmrt_file(path, nullptr); }, Status::Unsupported, "no checksums"));

    Bytes bad = v2;
    test::put_le(bad, 12, 7, 4);  // version 2 has a reserved field there
    EXPECT_TRUE(rejects(bad, Status::Format, "reserved"));
    // A version 3 header in a version 2 file, and the other way round.
    EXPECT_TRUE(rejects(make_file(header_.dump(), data_, kLlmrtFileVersionWithoutChecksums), Status::Format,
                        "\"version\""));
    EXPECT_TRUE(rejects(make_file(h.dump(), data_), Status::Format, "\"version\""));
}

// The real stories260K model as an llmrt file, damaged the way disks and copies damage files.
class LlmrtFileDamage : public ::testing::Test {
protected:
    void SetUp() override {
        const Checkpoint gguf = read_gguf_checkpoint(test::stories_gguf());
        write_llmrt_file(dir_.file("stories.llmrt"), llmrt_file_contents_of(gguf));
        good_ = test::read_bytes(dir_.file("stories.llmrt"));
        header_len_ = test::get_le(good_, 16, 8);
        header_ = json::parse(good_.begin() + kHeaderAt, good_.begin() + kHeaderAt + header_len_);
        data_start_ = (kHeaderAt + header_len_ + 63) / 64 * 64;
        n_tensors_ = header_["tensors"].size();
    }

    // Flips one bit in the middle of the tensor's bytes.
    void damage(Bytes &bytes, const std::string &name) const {
        for (const json &t : header_["tensors"]) {
            if (t["name"] != name) continue;
            bytes[data_start_ + t["offset"].get<size_t>() + t["nbytes"].get<size_t>() / 2] ^= 0x10;
            return;
        }
        throw std::runtime_error("no tensor " + name);
    }

    std::string write(const Bytes &bytes) {
        const std::string path = dir_.file("damaged.llmrt");
        test::write_bytes(path, bytes);
        return path;
    }

    test::TempDir dir_;
    Bytes good_;
    json header_;
    uint64_t header_len_ = 0;
    size_t data_start_ = 0;
    size_t n_tensors_ = 0;
};

TEST_F(LlmrtFileDamage, ADamagedTensorIsNamedAtLoad) {
    for (const char *name : {"blk.0.attn_q.weight", "output_norm.weight", "token_embd.weight", "blk.4.ffn_down.weight"}) {
        Bytes bad = good_;
        damage(bad, name);
        const std::string path = write(bad);
        EXPECT_TRUE(throws_error([&] { read_checkpoint(path); }, Status::Format,
                                 std::string("tensor '") + name + "' is corrupt"));
        EXPECT_TRUE(throws_error([&] { read_checkpoint(path); }, Status::Format, path));
    }
}

TEST_F(LlmrtFileDamage, CheckVisitsEveryTensorAndNamesEachDamagedOne) {
    std::vector<std::string> seen, damaged;
    auto visit = [&](const char *kind, const std::string &name, bool intact) {
        EXPECT_STREQ(kind, "tensor");
        seen.push_back(name);
        if (!intact) damaged.push_back(name);
        return true;
    };
    EXPECT_EQ(check_llmrt_file(dir_.file("stories.llmrt"), visit), n_tensors_);
    EXPECT_EQ(seen.size(), n_tensors_);
    EXPECT_TRUE(damaged.empty());

    Bytes bad = good_;
    const std::vector<std::string> names = {"blk.1.attn_k.weight", "blk.2.ffn_gate.weight", "output.weight"};
    for (const std::string &name : names) damage(bad, name);
    const std::string path = write(bad);
    seen.clear();
    auto result = throws_error([&] { check_llmrt_file(path, visit); }, Status::Format,
                               "3 of " + std::to_string(n_tensors_) + " tensors and embedded files are corrupt");
    EXPECT_TRUE(result);
    EXPECT_EQ(seen.size(), n_tensors_);
    std::vector<std::string> want = names;
    std::sort(want.begin(), want.end());
    std::sort(damaged.begin(), damaged.end());
    EXPECT_EQ(damaged, want);
    for (const std::string &name : names) {
        EXPECT_TRUE(throws_error([&] { check_llmrt_file(path, nullptr); }, Status::Format, "'" + name + "'"));
    }
    // A visitor returning false stops the check.
    EXPECT_TRUE(throws_error([&] { check_llmrt_file(path, [](const char *, const std::string &, bool) { return false; }); },
                             Status::Cancelled, "cancelled"));
}

// A changed letter in a tensor name keeps the header valid JSON: only its checksum notices.
TEST_F(LlmrtFileDamage, AnEditedHeaderIsRefused) {
    Bytes bad = good_;
    const size_t at = test::offset_after(bad, "blk.0.attn_q") - 1;
    ASSERT_LT(at, kHeaderAt + header_len_);
    bad[at] = 'x';
    const std::string path = write(bad);
    EXPECT_TRUE(throws_error([&] { read_checkpoint(path); }, Status::Format, "the header is corrupt"));
    EXPECT_TRUE(throws_error([&] { check_llmrt_file(path, nullptr); }, Status::Format, "the header is corrupt"));
}

}  // namespace
}  // namespace llmrt
