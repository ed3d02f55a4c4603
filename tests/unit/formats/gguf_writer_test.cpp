#include "formats/gguf_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "format_test_util.h"
#include "formats/checkpoint.h"

namespace llmrt {
namespace {

using test::Bytes;
using test::throws_error;

Bytes pattern(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 7 * i);
    return b;
}

// The GGUF value type the writer stored for a key (the uint32 right after the key bytes).
uint32_t stored_type(const Bytes &file, const std::string &key) {
    return static_cast<uint32_t>(test::get_le(file, test::offset_after(file, key), 4));
}

TEST(GgufWriter, RoundTripsMetadataOfEveryKind) {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set("k.u8", MetaValue::from_uint(200), GgufType::Uint8);
    w.set("k.i8", MetaValue::from_int(-100), GgufType::Int8);
    w.set("k.u16", MetaValue::from_uint(60000), GgufType::Uint16);
    w.set("k.i16", MetaValue::from_int(-30000), GgufType::Int16);
    w.set_u32("k.u32", 4000000000u);
    w.set_i32("k.i32", -2000000000);
    w.set_u64("k.u64", UINT64_MAX);
    w.set_i64("k.i64", INT64_MIN);
    w.set_f32("k.f32", 0.25f);
    w.set_f64("k.f64", 1e-300);
    w.set_bool("k.bool", true);
    w.set_string("k.empty", "");
    w.set_string_array("k.strings", {"<unk>", "<s>", "", "\xe2\x96\x81hello"});
    w.set_f32_array("k.scores", {0.0f, -1.5f});
    w.set_i32_array("k.types", {1, 3, 6});
    w.set("k.nested",
          MetaValue::from_array({MetaValue::from_array({MetaValue::from_int(1)}),
                                 MetaValue::from_array({MetaValue::from_int(2), MetaValue::from_int(3)})}));
    w.set("k.none", MetaValue::from_array({}));

    test::TempDir dir;
    const std::string path = dir.file("meta.gguf");
    w.write(path);
    const Checkpoint ckpt = read_gguf_checkpoint(path);
    const Metadata &m = ckpt.gguf_metadata;
    EXPECT_EQ(ckpt.architecture, "llama");
    EXPECT_EQ(m.size(), 18u);
    EXPECT_EQ(m.at("k.u8").kind, MetaValue::Kind::UInt);
    EXPECT_EQ(m.at("k.u8").u, 200u);
    EXPECT_EQ(m.at("k.i8").i, -100);
    EXPECT_EQ(m.at("k.u16").u, 60000u);
    EXPECT_EQ(m.at("k.i16").i, -30000);
    EXPECT_EQ(m.at("k.u32").u, 4000000000u);
    EXPECT_EQ(m.at("k.i32").i, -2000000000);
    EXPECT_EQ(m.at("k.u64").u, UINT64_MAX);
    EXPECT_EQ(m.at("k.i64").i, INT64_MIN);
    EXPECT_EQ(m.at("k.f32").kind, MetaValue::Kind::Float);
    EXPECT_EQ(m.at("k.f32").f, 0.25);
    EXPECT_EQ(m.at("k.f64").f, 1e-300);
    EXPECT_EQ(m.at("k.bool").kind, MetaValue::Kind::Bool);
    EXPECT_TRUE(m.at("k.bool").b);
    EXPECT_EQ(m.at("k.empty").s, "");
    const auto &strings = m.at("k.strings").array;
    ASSERT_EQ(strings.size(), 4u);
    EXPECT_EQ(strings[1].s, "<s>");
    EXPECT_EQ(strings[3].s, "\xe2\x96\x81hello");
    EXPECT_EQ(m.at("k.scores").array[1].f, -1.5);
    EXPECT_EQ(m.at("k.types").array[2].i, 6);
    const auto &nested = m.at("k.nested").array;
    ASSERT_EQ(nested.size(), 2u);
    EXPECT_EQ(nested[1].array[1].i, 3);
    EXPECT_TRUE(m.at("k.none").array.empty());
    EXPECT_TRUE(ckpt.tensors.empty());
}

TEST(GgufWriter, DefaultTypesFollowLlamaCpp) {
    GgufWriter w;
    w.set("a.uint", MetaValue::from_uint(5));
    w.set("a.big", MetaValue::from_uint(uint64_t{1} << 40));
    w.set("a.int", MetaValue::from_int(-1));
    w.set("a.float", MetaValue::from_float(0.5));
    w.set("a.strs", MetaValue::from_array({MetaValue::from_string("x")}));
    const Bytes file = w.serialize();
    EXPECT_EQ(stored_type(file, "a.uint"), 4u);                                    // uint32
    EXPECT_EQ(stored_type(file, "a.big"), 10u);                                    // uint64
    EXPECT_EQ(stored_type(file, "a.int"), 5u);                                     // int32
    EXPECT_EQ(stored_type(file, "a.float"), 6u);                                   // float32
    EXPECT_EQ(stored_type(file, "a.strs"), 9u);                                    // array ...
    EXPECT_EQ(test::get_le(file, test::offset_after(file, "a.strs") + 4, 4), 8u);  // ... of strings
}

TEST(GgufWriter, ReplacesAKeyInPlace) {
    GgufWriter w;
    w.set_u32("first", 1);
    w.set_u32("second", 2);
    w.set_string("first", "again");
    test::TempDir dir;
    w.write(dir.file("x.gguf"));
    const Checkpoint ckpt = read_gguf_checkpoint(dir.file("x.gguf"));
    EXPECT_EQ(ckpt.gguf_metadata.size(), 2u);
    EXPECT_EQ(ckpt.gguf_metadata.at("first").s, "again");
}

TEST(GgufWriter, RoundTripsTensorsOfEveryDType) {
    struct Case {
        std::string name;
        DType dtype;
        std::vector<int64_t> shape;
        size_t nbytes;
    };
    const std::vector<Case> cases = {
        {"f32", DType::F32, {2, 3}, 24},     {"f16", DType::F16, {5}, 10},
        {"bf16", DType::BF16, {1, 2, 2}, 8}, {"q8_0", DType::Q8_0, {2, 64}, 4 * 34},
        {"q4_0", DType::Q4_0, {32}, 18},     {"q4_1", DType::Q4_1, {3, 1, 1, 32}, 60},
        {"scalar", DType::F32, {}, 4},       {"empty", DType::F16, {0, 4}, 0},
    };
    for (uint32_t alignment : {32u, 64u, 1u}) {
        GgufWriter w;
        if (alignment != 32) w.set_alignment(alignment);
        std::vector<Bytes> data;
        for (size_t i = 0; i < cases.size(); ++i) {
            data.push_back(pattern(cases[i].nbytes, static_cast<uint8_t>(i)));
            w.add_tensor(cases[i].name, cases[i].dtype, cases[i].shape, data.back().data(), cases[i].nbytes);
        }
        test::TempDir dir;
        const std::string path = dir.file("t.gguf");
        w.write(path);
        EXPECT_EQ(test::read_bytes(path), w.serialize());
        const Checkpoint ckpt = read_gguf_checkpoint(path);
        ASSERT_EQ(ckpt.tensors.size(), cases.size());
        const uint8_t *base = ckpt.files.at(0)->data();
        for (size_t i = 0; i < cases.size(); ++i) {
            const TensorView &t = ckpt.get(cases[i].name);
            EXPECT_EQ(t.dtype, cases[i].dtype) << cases[i].name;
            EXPECT_EQ(t.shape, cases[i].shape) << cases[i].name;
            ASSERT_EQ(t.nbytes, cases[i].nbytes) << cases[i].name;
            if (t.nbytes) {
                EXPECT_EQ(std::memcmp(t.data, data[i].data(), t.nbytes), 0) << cases[i].name;
            }
            EXPECT_EQ(static_cast<size_t>(t.data - base) % alignment, 0u) << cases[i].name;
        }
    }
}

TEST(GgufWriter, StoresShapeInnermostFirst) {
    GgufWriter w;
    const Bytes data(2 * 3 * 4 * 4);
    w.add_tensor("t", DType::F32, {2, 3, 4}, data.data(), data.size());
    const Bytes file = w.serialize();
    const size_t at = test::offset_after(file, "t");
    EXPECT_EQ(test::get_le(file, at, 4), 3u);  // n_dims
    EXPECT_EQ(test::get_le(file, at + 4, 8), 4u);
    EXPECT_EQ(test::get_le(file, at + 12, 8), 3u);
    EXPECT_EQ(test::get_le(file, at + 20, 8), 2u);
}

TEST(GgufWriter, RejectsInvalidInput) {
    GgufWriter w;
    const Bytes data(64);
    w.add_tensor("t", DType::F32, {4}, data.data(), 16);
    const auto invalid = Status::InvalidArgument;
    EXPECT_TRUE(
        throws_error([&] { w.add_tensor("t", DType::F32, {4}, data.data(), 16); }, invalid, "duplicate"));
    EXPECT_TRUE(throws_error([&] { w.add_tensor("u", DType::F32, {4}, data.data(), 12); }, invalid, "'u'"));
    EXPECT_TRUE(throws_error(
        [&] {
            w.add_tensor("u", DType::F32, {1, 1, 1, 1, 4}, data.data(), 16);
        },
        invalid, "dimensions"));
    EXPECT_TRUE(throws_error(
        [&] {
            w.add_tensor("u", DType::Q8_0, {2, 16}, data.data(), 34);
        },
        invalid, "block size"));
    EXPECT_TRUE(
        throws_error([&] { w.add_tensor("u", DType::Packed, {4}, data.data(), 3); }, invalid, "packed"));
    EXPECT_TRUE(throws_error([] { ggml_type_of(DType::Packed); }, invalid, "packed"));
    EXPECT_TRUE(
        throws_error([&] { w.set("k", MetaValue::from_int(300), GgufType::Uint8); }, invalid, "uint8"));
    EXPECT_TRUE(
        throws_error([&] { w.set("k", MetaValue::from_int(-1), GgufType::Uint64); }, invalid, "uint64"));
    EXPECT_TRUE(
        throws_error([&] { w.set("k", MetaValue::from_string("x"), GgufType::Int32); }, invalid, "int32"));
    EXPECT_TRUE(throws_error(
        [&] {
            w.set("k", MetaValue::from_array({MetaValue::from_int(1), MetaValue::from_string("x")}));
        },
        invalid, "mixes"));
    EXPECT_TRUE(throws_error([&] { w.set("", MetaValue::from_int(1)); }, invalid, "empty"));
    EXPECT_TRUE(throws_error([&] { w.set_alignment(48); }, invalid, "power of two"));
    EXPECT_TRUE(
        throws_error([&] { w.set("general.alignment", MetaValue::from_uint(0)); }, invalid, "power of two"));
}

TEST(GgufWriter, AlignmentKeySetsTheAlignment) {
    GgufWriter w;
    w.set("general.alignment", MetaValue::from_int(128));
    const Bytes data(4);
    w.add_tensor("a", DType::F32, {1}, data.data(), 4);
    w.add_tensor("b", DType::F32, {1}, data.data(), 4);
    test::TempDir dir;
    w.write(dir.file("x.gguf"));
    const Checkpoint ckpt = read_gguf_checkpoint(dir.file("x.gguf"));
    EXPECT_EQ(ckpt.gguf_metadata.at("general.alignment").as_int(), 128);
    EXPECT_EQ(ckpt.get("b").data - ckpt.get("a").data, 128);
    EXPECT_EQ(stored_type(w.serialize(), "general.alignment"), 4u);  // uint32, as llama.cpp requires
}

TEST(GgufWriter, WritesThroughATemporaryFile) {
    test::TempDir dir;
    const std::string path = dir.file("m.gguf");
    test::write_text(path, "old contents");
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.write(path);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    EXPECT_EQ(read_gguf_checkpoint(path).architecture, "llama");
    size_t entries = 0;
    for (const auto &e : std::filesystem::directory_iterator(dir.path())) entries += e.is_regular_file();
    EXPECT_EQ(entries, 1u);
}

TEST(GgufWriter, FailsWithoutLeavingAFile) {
    test::TempDir dir;
    const std::string path = dir.file("missing-dir/m.gguf");
    GgufWriter w;
    EXPECT_TRUE(throws_error([&] { w.write(path); }, Status::Io, "m.gguf"));
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    // A directory in the way of the rename: the temporary file must be cleaned up.
    const std::string blocked = dir.file("blocked.gguf");
    std::filesystem::create_directory(blocked);
    std::filesystem::create_directory(blocked + "/child");
    EXPECT_TRUE(throws_error([&] { w.write(blocked); }, Status::Io, "blocked.gguf"));
    EXPECT_FALSE(std::filesystem::exists(blocked + ".tmp"));
    EXPECT_TRUE(std::filesystem::is_directory(blocked));
}

}  // namespace
}  // namespace llmrt
