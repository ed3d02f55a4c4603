// Corrupt tokenizer files must give llmrt::Error (FORMAT, or UNSUPPORTED for valid-but-foreign
// content), never a crash: truncated/bit-flipped tokenizer.model, bad varints and lengths,
// broken tokenizer.json, inconsistent GGUF metadata, directories without a tokenizer.
#include <random>

#include "tokenizer/protobuf_reader.h"
#include "tokenizer_test_util.h"

namespace llmrt {
namespace {

using test::status_of;

std::string stories_model() { return test::read_text(test::model_path("stories260K-hf/tokenizer.model")); }

std::optional<Status> spm_status(const std::string &bytes) {
    return status_of([&] {
        const auto tok = tokenizer_from_sentencepiece(bytes, "test.model");
        (void)tok->encode("Once upon a time", true);
    });
}

TEST(MalformedSentencepiece, EveryTruncationIsAFormatError) {
    const std::string bytes = stories_model();
    ASSERT_EQ(spm_status(bytes), test::kNoError);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        ASSERT_EQ(spm_status(bytes.substr(0, cut)), Status::Format) << "cut at " << cut;
    }
}

TEST(MalformedSentencepiece, TruncatedLlama2ModelIsAFormatError) {
    const std::string bytes = test::read_text(test::model_path("llama2-tokenizer-32k/tokenizer.model"));
    for (size_t cut = 0; cut < bytes.size(); cut += 4099) {
        ASSERT_EQ(spm_status(bytes.substr(0, cut)), Status::Format) << "cut at " << cut;
    }
    for (size_t back = 1; back < 40; ++back) {
        ASSERT_EQ(spm_status(bytes.substr(0, bytes.size() - back)), Status::Format) << "cut " << back << " before the end";
    }
}

TEST(MalformedSentencepiece, BadVarintsLengthsAndWireTypes) {
    const std::string good = stories_model();
    const std::vector<std::string> bad = {
        std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),  // length varint > 10 bytes
        std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11),      // length overflows 64 bits
        std::string("\x0a\x80", 2),                                           // varint runs past the end
        std::string("\x0a\x05\x0a\x03", 4),                                   // piece length past the end
        std::string("\x0a\xff\xff\xff\xff\x0f", 6),                           // 4 GiB length
        std::string("\x0a\x04\x0a\x09\x41\x42", 6),                           // nested length past the end
        std::string("\x0b\x00", 2),                                           // wire type 3 (group)
        std::string("\x0e\x00", 2),                                           // wire type 6
        std::string("\x00\x00", 2),                                           // field number 0
        std::string("\x0d\x00\x00", 3),                                       // fixed32 past the end
        std::string("\x09\x00\x00\x00", 4),                                   // fixed64 past the end
        std::string("\x08\x01", 2),                                           // pieces as a varint
        std::string("\x0a\x02\x10\x07", 4),                                   // piece score as a varint
        std::string("\x0a\x02\x18\x09", 4),                                   // piece type 9
        std::string("\x0a\x05\x15\x00\x00\xc0\x7f", 7),                       // NaN score
        std::string(),                                                        // empty file
        std::string("not a sentencepiece model at all"),
        good + std::string("\x0a\x80", 2),  // valid model followed by junk
    };
    for (size_t i = 0; i < bad.size(); ++i) EXPECT_EQ(spm_status(bad[i]), Status::Format) << "case " << i;
}

TEST(MalformedSentencepiece, OutOfRangeSpecialIdsAndForeignModelTypes) {
    const std::string good = stories_model();
    // Appending a second trainer_spec overrides fields (protobuf merge semantics).
    const auto with_trainer = [&](const std::string &fields) {
        return good + std::string("\x12", 1) + static_cast<char>(fields.size()) + fields;
    };
    EXPECT_EQ(spm_status(with_trainer(std::string("\xc8\x02\x90\x4e", 4))), Status::Format);  // bos_id 10000
    EXPECT_EQ(spm_status(with_trainer(std::string("\xc0\x02\x05", 3))), test::kNoError);              // unk_id 5
    EXPECT_EQ(spm_status(with_trainer(std::string("\x18\x01", 2))), Status::Unsupported);     // UNIGRAM
    EXPECT_EQ(spm_status(with_trainer(std::string("\x18\x04", 2))), Status::Unsupported);     // CHAR
}

TEST(MalformedSentencepiece, RandomByteFlipsNeverCrash) {
    const std::string good = stories_model();
    std::mt19937 rng(1234);
    std::uniform_int_distribution<size_t> position(0, good.size() - 1);
    std::uniform_int_distribution<int> value(0, 255);
    for (int iteration = 0; iteration < 3000; ++iteration) {
        std::string bytes = good;
        for (int k = 0; k < 3; ++k) bytes[position(rng)] = static_cast<char>(value(rng));
        const std::optional<Status> status = status_of([&] {
            const auto tok = tokenizer_from_sentencepiece(bytes, "flipped.model");
            const std::vector<int32_t> ids = tok->encode("Once upon a time, <s> there was \xff\xfe text.", true, true);
            (void)tok->decode(ids, false);
            for (int32_t id = -1; id <= tok->n_vocab(); ++id) (void)tok->piece(id);
        });
        EXPECT_TRUE(status == test::kNoError || status == Status::Format || status == Status::Unsupported)
            << "iteration " << iteration << " status " << (status ? static_cast<int>(*status) : -1);
    }
}

TEST(ProtobufReader, ReadsFieldsOfEveryWireType) {
    const std::string bytes("\x08\x96\x01\x12\x03" "abc" "\x1d\x00\x00\x80\x3f" "\x21\x01\x00\x00\x00\x00\x00\x00\x00"
                            "\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                            33);
    ProtoReader reader(bytes, "test");
    ProtoField f;
    ASSERT_TRUE(reader.next(f));
    EXPECT_EQ(f.number, 1u);
    EXPECT_EQ(f.varint, 150u);
    ASSERT_TRUE(reader.next(f));
    EXPECT_EQ(f.number, 2u);
    EXPECT_EQ(f.bytes, "abc");
    ASSERT_TRUE(reader.next(f));
    EXPECT_EQ(f.number, 3u);
    EXPECT_EQ(f.as_float(), 1.0f);
    ASSERT_TRUE(reader.next(f));
    EXPECT_EQ(f.number, 4u);
    EXPECT_EQ(f.fixed64, 1u);
    ASSERT_TRUE(reader.next(f));
    EXPECT_EQ(f.number, 5u);
    EXPECT_EQ(f.as_int32(), -1);
    EXPECT_FALSE(reader.next(f));
}

// ---- tokenizer.json ----

const char *const kTinyTokenizerJson = R"({
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120ab": 4},
            "merges": ["a b", "\u0120 ab"]},
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
  "decoder": {"type": "ByteLevel"},
  "added_tokens": [{"id": 5, "content": "<|end|>", "special": true}]
})";

std::optional<Status> json_status(const std::string &text) {
    return status_of([&] {
        const auto tok = tokenizer_from_json(text, nlohmann::json::object(), nlohmann::json::object(), "tokenizer.json");
        (void)tok->encode("ab ab<|end|>", true, true);
    });
}

TEST(MalformedTokenizerJson, TinyValidFileWorks) {
    const auto tok = tokenizer_from_json(kTinyTokenizerJson, nlohmann::json::object(),
                                         nlohmann::json{{"eos_token_id", 5}}, "tokenizer.json");
    EXPECT_EQ(test::show(tok->encode("ab ab<|end|>", false, true)), "[2 4 5]");
    EXPECT_EQ(test::show(tok->encode("abc", false, true)), "[2]");  // no unk token: 'c' is dropped
    EXPECT_EQ(tok->decode({2, 4, 5}, false), "ab ab<|end|>");
    EXPECT_EQ(tok->eos(), 5);
    EXPECT_EQ(tok->end_of_generation_ids(), std::vector<int32_t>{5});
}

TEST(MalformedTokenizerJson, EveryTruncationIsAFormatError) {
    const std::string text = kTinyTokenizerJson;
    for (size_t cut = 0; cut < text.size(); ++cut) {
        ASSERT_EQ(json_status(text.substr(0, cut)), Status::Format) << "cut at " << cut;
    }
}

TEST(MalformedTokenizerJson, BrokenContentIsAFormatError) {
    const std::vector<std::string> bad = {
        "",
        "not json",
        "[]",
        "{}",
        R"({"model": null})",
        R"({"model": {"type": "BPE"}})",
        R"({"model": {"type": "BPE", "vocab": []}})",
        R"({"model": {"type": "BPE", "vocab": {"a": "zero"}}})",
        R"({"model": {"type": "BPE", "vocab": {"a": -1}}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 2000000000}}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})",        // "ab" missing
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "ab": 1}, "merges": ["a b"]}})",       // "b" missing
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["ab"]}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a"]]}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [[0, 1]]}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": "a b"}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}, "unk_token": "<unk>"}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "added_tokens": [{"id": -3, "content": "x"}]})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "added_tokens": [{"id": 1}]})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "Split",
            "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "Split",
            "pattern": {"String": " "}, "behavior": "Sideways"}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}], "special_tokens": {}}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {"<s>": {"ids": [7]}}}})",
    };
    for (size_t i = 0; i < bad.size(); ++i) EXPECT_EQ(json_status(bad[i]), Status::Format) << "case " << i << ": " << bad[i];
}

TEST(MalformedTokenizerJson, ForeignModelsAreUnsupported) {
    const std::vector<std::string> foreign = {
        R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})",
        R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "normalizer": {"type": "BertNormalizer"}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}, "continuing_subword_prefix": "##"}})",
    };
    for (size_t i = 0; i < foreign.size(); ++i) EXPECT_EQ(json_status(foreign[i]), Status::Unsupported) << foreign[i];
}

// ---- GGUF metadata ----

MetaValue str(const std::string &s) {
    MetaValue v;
    v.kind = MetaValue::Kind::String;
    v.s = s;
    return v;
}

MetaValue num(int64_t i) {
    MetaValue v;
    v.kind = MetaValue::Kind::Int;
    v.i = i;
    return v;
}

MetaValue array(std::vector<MetaValue> values) {
    MetaValue v;
    v.kind = MetaValue::Kind::Array;
    v.array = std::move(values);
    return v;
}

Metadata tiny_gpt2_metadata() {
    Metadata m;
    m["tokenizer.ggml.model"] = str("gpt2");
    m["tokenizer.ggml.tokens"] = array({str("a"), str("b"), str("ab")});
    m["tokenizer.ggml.token_type"] = array({num(1), num(1), num(1)});
    m["tokenizer.ggml.merges"] = array({str("a b")});
    return m;
}

std::optional<Status> gguf_status(const Metadata &m) {
    return status_of([&] { (void)tokenizer_from_gguf(m, "test.gguf")->encode("abab", true); });
}

TEST(MalformedGgufTokenizer, InconsistentMetadata) {
    EXPECT_EQ(gguf_status(tiny_gpt2_metadata()), test::kNoError);
    EXPECT_EQ(test::show(tokenizer_from_gguf(tiny_gpt2_metadata(), "t")->encode("abab", false)), "[2 2]");

    EXPECT_EQ(gguf_status(Metadata{}), Status::Format);  // no tokenizer at all
    Metadata m = tiny_gpt2_metadata();
    m["tokenizer.ggml.model"] = num(3);
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m.erase("tokenizer.ggml.tokens");
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m["tokenizer.ggml.tokens"] = array({str("a"), num(1)});
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m["tokenizer.ggml.tokens"] = array({});
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m["tokenizer.ggml.token_type"] = array({num(1)});
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m["tokenizer.ggml.merges"] = array({str("a c")});
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m["tokenizer.ggml.merges"] = array({str("ab")});
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m.erase("tokenizer.ggml.merges");
    EXPECT_EQ(gguf_status(m), Status::Format);
    m = tiny_gpt2_metadata();
    m["tokenizer.ggml.pre"] = str("no-such-pre-tokenizer");
    EXPECT_EQ(gguf_status(m), Status::Unsupported);
    m = tiny_gpt2_metadata();
    m["tokenizer.ggml.model"] = str("bert");
    EXPECT_EQ(gguf_status(m), Status::Unsupported);

    Metadata spm;
    spm["tokenizer.ggml.model"] = str("llama");
    spm["tokenizer.ggml.tokens"] = array({str("<unk>"), str("<s>"), str("</s>"), str("\xe2\x96\x81" "a")});
    EXPECT_EQ(gguf_status(spm), test::kNoError);
    spm["tokenizer.ggml.scores"] = array({num(0), num(0)});
    EXPECT_EQ(gguf_status(spm), Status::Format);
    spm["tokenizer.ggml.scores"] = array({str("x"), num(0), num(0), num(0)});
    EXPECT_EQ(gguf_status(spm), Status::Format);
}

// ---- load_tokenizer on directories ----

TEST(LoadTokenizer, DirectoryWithoutTokenizerNamesThePath) {
    test::TempDir dir;
    const std::string path = dir.file("");
    try {
        (void)load_tokenizer(test::hf_directory_checkpoint(path));
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), Status::Format);
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("tokenizer"), std::string::npos) << e.what();
    }
}

TEST(LoadTokenizer, BrokenFilesInADirectoryAreFormatErrors) {
    test::TempDir dir;
    test::write_text(dir.file("tokenizer.json"), "{\"model\": ");
    EXPECT_EQ(status_of([&] { (void)load_tokenizer(test::hf_directory_checkpoint(dir.file(""))); }), Status::Format);
    test::write_text(dir.file("tokenizer.json"), kTinyTokenizerJson);
    test::write_text(dir.file("tokenizer_config.json"), "{broken");
    EXPECT_EQ(status_of([&] { (void)load_tokenizer(test::hf_directory_checkpoint(dir.file(""))); }), Status::Format);
    test::write_text(dir.file("tokenizer_config.json"), "{\"add_bos_token\": false}");
    EXPECT_EQ(status_of([&] { (void)load_tokenizer(test::hf_directory_checkpoint(dir.file(""))); }), test::kNoError);
    test::write_text(dir.file("tokenizer.model"), "garbage");  // a SentencePiece model is preferred...
    EXPECT_EQ(status_of([&] { (void)load_tokenizer(test::hf_directory_checkpoint(dir.file(""))); }), test::kNoError)
        << "...but not over a byte-level tokenizer.json";
    test::write_text(dir.file("tokenizer.json"), R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})");
    EXPECT_EQ(status_of([&] { (void)load_tokenizer(test::hf_directory_checkpoint(dir.file(""))); }), Status::Format);
}

}  // namespace
}  // namespace llmrt
