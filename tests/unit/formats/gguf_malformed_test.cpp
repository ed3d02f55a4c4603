// Corrupted and truncated GGUF files: each must produce llmrt::Error with the expected status and
// a message naming the file, never a crash or an out-of-bounds read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <random>
#include <vector>

#include "format_test_util.h"
#include "formats/checkpoint.h"
#include "formats/gguf_writer.h"

namespace llmrt {
namespace {

using test::Bytes;
using test::throws_error;

constexpr size_t kVersionAt = 4, kNTensorsAt = 8, kNKvAt = 16, kFirstKeyAt = 24;

// Two F32 tensors whose sizes are multiples of the alignment, so the file ends exactly where the
// last tensor's data ends and every shorter prefix is invalid.
Bytes small_gguf(GgufWriter w = GgufWriter()) {
    w.set_string("general.architecture", "llama");
    w.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "hello"});
    w.set_u32("llama.context_length", 128);
    const std::vector<float> alpha(16, 1.5f), beta(8, -2.0f);
    w.add_tensor("tensor.aaaa", DType::F32, {2, 8}, alpha.data(), 64);
    w.add_tensor("tensor.bbbb", DType::F32, {8}, beta.data(), 32);
    return w.serialize();
}

// Offsets of the fields of a tensor info, found after its name.
struct InfoFields {
    size_t n_dims, ne0, type, offset;
};
InfoFields fields_of(const Bytes &file, const std::string &name, uint32_t n_dims) {
    const size_t at = test::offset_after(file, name);
    return {at, at + 4, at + 4 + 8 * n_dims, at + 8 + 8 * n_dims};
}

class GgufMalformed : public ::testing::Test {
protected:
    // Writes the bytes and checks that reading them throws with status and message fragment,
    // and that the message names the file.
    ::testing::AssertionResult rejects(const Bytes &bytes, Status status, const std::string &fragment) {
        const std::string path = dir_.file("bad.gguf");
        test::write_bytes(path, bytes);
        auto result = throws_error([&] { read_gguf_checkpoint(path); }, status, fragment);
        if (!result) return result;
        return throws_error([&] { read_gguf_checkpoint(path); }, status, path);
    }

    test::TempDir dir_;
    Bytes good_ = small_gguf();
};

TEST_F(GgufMalformed, TheBaseFileIsValid) {
    const std::string path = dir_.file("good.gguf");
    test::write_bytes(path, good_);
    const Checkpoint ckpt = read_gguf_checkpoint(path);
    EXPECT_EQ(ckpt.tensors.size(), 2u);
    const TensorView &b = ckpt.get("tensor.bbbb");
    EXPECT_EQ(b.data + b.nbytes, ckpt.files[0]->data() + ckpt.files[0]->size());
}

TEST_F(GgufMalformed, TruncatedAtEveryCut) {
    for (size_t cut = 0; cut < good_.size(); ++cut) {
        EXPECT_TRUE(rejects(Bytes(good_.begin(), good_.begin() + cut), Status::Format, ""))
            << "cut " << cut;
    }
}

TEST_F(GgufMalformed, TruncationMessagesSayWhere) {
    EXPECT_TRUE(rejects(Bytes(good_.begin(), good_.begin() + 10), Status::Format, "GGUF header"));
    const size_t in_tokens = test::offset_after(good_, "tokenizer.ggml.tokens") + 20;
    EXPECT_TRUE(
        rejects(Bytes(good_.begin(), good_.begin() + in_tokens), Status::Format, "tokenizer.ggml.tokens"));
    EXPECT_TRUE(
        rejects(Bytes(good_.begin(), good_.end() - 1), Status::Format, "tensor 'tensor.bbbb' data"));
}

TEST_F(GgufMalformed, EmptyFileAndBadMagic) {
    EXPECT_TRUE(rejects({}, Status::Format, "GGUF header"));
    Bytes bad = good_;
    bad[0] = 'X';
    EXPECT_TRUE(rejects(bad, Status::Format, "not a GGUF file"));
}

TEST_F(GgufMalformed, UnsupportedVersions) {
    Bytes bad = good_;
    test::put_le(bad, kVersionAt, 1, 4);
    EXPECT_TRUE(rejects(bad, Status::Unsupported, "version 1"));
    test::put_le(bad, kVersionAt, 99, 4);
    EXPECT_TRUE(rejects(bad, Status::Unsupported, "version 99"));
    test::put_le(bad, kVersionAt, 0x03000000, 4);
    EXPECT_TRUE(rejects(bad, Status::Unsupported, "big-endian"));
    test::put_le(bad, kVersionAt, 2, 4);  // v2 has the same layout
    const std::string path = dir_.file("v2.gguf");
    test::write_bytes(path, bad);
    EXPECT_EQ(read_gguf_checkpoint(path).tensors.size(), 2u);
}

TEST_F(GgufMalformed, HugeCounts) {
    for (uint64_t huge : {uint64_t{1} << 40, uint64_t{1} << 60, UINT64_MAX}) {
        Bytes bad = good_;
        test::put_le(bad, kNTensorsAt, huge, 8);
        EXPECT_TRUE(rejects(bad, Status::Format, "tensor count " + std::to_string(huge)));
        bad = good_;
        test::put_le(bad, kNKvAt, huge, 8);
        EXPECT_TRUE(rejects(bad, Status::Format, "metadata count " + std::to_string(huge)));
    }
    // Counts that fit the file but exceed what is there still fail cleanly.
    Bytes bad = good_;
    test::put_le(bad, kNKvAt, 4, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, ""));
    bad = good_;
    test::put_le(bad, kNTensorsAt, 3, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, ""));
}

TEST_F(GgufMalformed, HugeStringLengths) {
    for (uint64_t huge : {uint64_t{1000000}, uint64_t{1} << 62, UINT64_MAX}) {
        Bytes bad = good_;
        test::put_le(bad, kFirstKeyAt, huge, 8);
        EXPECT_TRUE(rejects(bad, Status::Format, "string length " + std::to_string(huge)));
        bad = good_;
        // The string value of general.architecture: after the key and its uint32 type.
        test::put_le(bad, test::offset_after(good_, "general.architecture") + 4, huge, 8);
        EXPECT_TRUE(rejects(bad, Status::Format, "string length"));
        bad = good_;
        test::put_le(bad, test::offset_after(good_, "tensor.aaaa") - 11 - 8, huge, 8);  // tensor name length
        EXPECT_TRUE(rejects(bad, Status::Format, "string length"));
    }
}

TEST_F(GgufMalformed, HugeArrayCountsAndBadTypes) {
    const size_t tokens = test::offset_after(good_, "tokenizer.ggml.tokens");  // type, elem type, count
    for (uint64_t huge : {uint64_t{5000}, uint64_t{1} << 61, UINT64_MAX}) {
        Bytes bad = good_;
        test::put_le(bad, tokens + 8, huge, 8);
        EXPECT_TRUE(rejects(bad, Status::Format, "array of " + std::to_string(huge) + " string"));
    }
    Bytes bad = good_;
    test::put_le(bad, tokens, 13, 4);
    EXPECT_TRUE(rejects(bad, Status::Format, "unknown value type 13"));
    bad = good_;
    test::put_le(bad, tokens + 4, 0xFFFFFFFF, 4);
    EXPECT_TRUE(rejects(bad, Status::Format, "unknown element type 4294967295"));
    // An array of uint8 with a count that fits the file reads garbage but stays in bounds.
    bad = good_;
    test::put_le(bad, tokens + 4, 0, 4);
    EXPECT_TRUE(rejects(bad, Status::Format, ""));
}

TEST_F(GgufMalformed, DeeplyNestedArrays) {
    MetaValue v = MetaValue::from_int(1);
    for (int depth = 0; depth < 20; ++depth) v = MetaValue::from_array({v});
    GgufWriter w;
    w.set("deep", v);
    EXPECT_TRUE(rejects(w.serialize(), Status::Format, "nested deeper"));
}

TEST_F(GgufMalformed, DuplicateKeysAndTensorNames) {
    Bytes bad = good_;
    const size_t at = test::offset_after(bad, "tensor.bbbb") - 4;
    std::copy_n("aaaa", 4, bad.begin() + static_cast<std::ptrdiff_t>(at));
    EXPECT_TRUE(rejects(bad, Status::Format, "duplicate tensor name 'tensor.aaaa'"));

    GgufWriter w;
    w.set_u32("dup.key1", 1);
    w.set_u32("dup.key2", 2);
    bad = w.serialize();
    bad[test::offset_after(bad, "dup.key2") - 1] = '1';
    EXPECT_TRUE(rejects(bad, Status::Format, "duplicate metadata key 'dup.key1'"));
}

TEST_F(GgufMalformed, TensorOffsetOutOfRange) {
    const InfoFields b = fields_of(good_, "tensor.bbbb", 1);
    Bytes bad = good_;
    test::put_le(bad, b.offset, 1 << 20, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, "tensor 'tensor.bbbb' data ["));
    EXPECT_TRUE(
        rejects(bad, Status::Format, "lies outside the file (" + std::to_string(good_.size()) + " bytes)"));
    test::put_le(bad, b.offset, UINT64_MAX - 31, 8);  // aligned, but begin + size overflows
    EXPECT_TRUE(rejects(bad, Status::Format, "lies outside the file"));
}

TEST_F(GgufMalformed, MisalignedOffset) {
    Bytes bad = good_;
    const InfoFields b = fields_of(good_, "tensor.bbbb", 1);
    test::put_le(bad, b.offset, test::get_le(good_, b.offset, 8) - 4, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, "not a multiple of the alignment 32"));
}

TEST_F(GgufMalformed, UnknownGgmlType) {
    const InfoFields a = fields_of(good_, "tensor.aaaa", 2);
    Bytes bad = good_;
    test::put_le(bad, a.type, 16, 4);
    EXPECT_TRUE(rejects(bad, Status::Unsupported, "tensor 'tensor.aaaa' has ggml type 16 (IQ2_XXS)"));
    test::put_le(bad, a.type, 1000, 4);
    EXPECT_TRUE(rejects(bad, Status::Unsupported, "ggml type 1000"));
}

TEST_F(GgufMalformed, BadDimensions) {
    const InfoFields a = fields_of(good_, "tensor.aaaa", 2);
    Bytes bad = good_;
    test::put_le(bad, a.n_dims, 7, 4);
    EXPECT_TRUE(rejects(bad, Status::Format, "tensor 'tensor.aaaa' has 7 dimensions"));
    bad = good_;
    test::put_le(bad, a.ne0, UINT64_MAX, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, "too large"));
    bad = good_;
    test::put_le(bad, a.ne0, uint64_t{1} << 62, 8);
    test::put_le(bad, a.ne0 + 8, uint64_t{1} << 62, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, "too many elements"));
    bad = good_;
    test::put_le(bad, a.ne0, uint64_t{1} << 61, 8);  // 2^62 floats: the byte count overflows
    EXPECT_TRUE(rejects(bad, Status::Format, "tensor 'tensor.aaaa'"));
}

TEST_F(GgufMalformed, BlockTypeRowNotAMultipleOfTheBlock) {
    GgufWriter w;
    const Bytes q(34);
    w.add_tensor("q", DType::Q8_0, {32}, q.data(), q.size());
    Bytes bad = w.serialize();
    test::put_le(bad, test::offset_after(bad, "q") + 4, 16, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, "row length 16 is not a multiple of the Q8_0 block size 32"));
}

TEST_F(GgufMalformed, BadAlignment) {
    GgufWriter w;
    w.set_alignment(64);
    const Bytes base = small_gguf(w);
    const size_t value = test::offset_after(base, "general.alignment") + 4;
    for (uint64_t a : {0, 48, 3}) {
        Bytes bad = base;
        test::put_le(bad, value, a, 4);
        EXPECT_TRUE(rejects(bad, Status::Format, "general.alignment")) << a;
    }
}

TEST_F(GgufMalformed, ArchitectureMustBeAString) {
    GgufWriter w;
    w.set_u32("general.architecture", 5);
    EXPECT_TRUE(rejects(w.serialize(), Status::Format, "general.architecture is not a string"));
}

TEST_F(GgufMalformed, EmptyNames) {
    Bytes bad = good_;
    test::put_le(bad, kFirstKeyAt, 0, 8);  // the first key becomes "" and its bytes are misread
    EXPECT_TRUE(rejects(bad, Status::Format, "empty metadata key"));
    GgufWriter w;
    const Bytes data(4);
    w.add_tensor("x", DType::F32, {1}, data.data(), 4);
    bad = w.serialize();
    const size_t name_length_at = test::offset_after(bad, "x") - 1 - 8;
    bad.erase(bad.begin() + static_cast<std::ptrdiff_t>(name_length_at + 8));  // drop the name byte
    test::put_le(bad, name_length_at, 0, 8);
    EXPECT_TRUE(rejects(bad, Status::Format, "empty name"));
}

// Random byte corruption: every outcome must be a successful read or an llmrt::Error.
TEST_F(GgufMalformed, RandomMutationsNeverCrash) {
    std::mt19937 rng(1234);
    const std::string path = dir_.file("fuzz.gguf");
    int errors = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        Bytes bad = good_;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            const size_t at = rng() % bad.size();
            bad[at] = (rng() % 2) ? static_cast<uint8_t>(rng())
                                  : static_cast<uint8_t>(bad[at] ^ (1u << (rng() % 8)));
        }
        test::write_bytes(path, bad);
        try {
            const Checkpoint ckpt = read_gguf_checkpoint(path);
            for (const auto &[name, t] : ckpt.tensors) {
                ASSERT_GE(t.data, ckpt.files[0]->data());
                ASSERT_LE(t.data + t.nbytes, ckpt.files[0]->data() + ckpt.files[0]->size());
            }
        } catch (const Error &) {
            ++errors;
        }
    }
    EXPECT_GT(errors, 0);
}

TEST_F(GgufMalformed, ReadingLeavesTheFileUntouched) {
    const std::string path = dir_.file("ro.gguf");
    test::write_bytes(path, good_);
    ASSERT_EQ(chmod(path.c_str(), 0444), 0);
    { const Checkpoint ckpt = read_gguf_checkpoint(path); }
    EXPECT_EQ(test::read_bytes(path), good_);
}

}  // namespace
}  // namespace llmrt
