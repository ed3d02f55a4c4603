// sentencepiece_model.proto, the parts we use:
//   ModelProto      { repeated SentencePiece pieces = 1; TrainerSpec trainer_spec = 2;
//                     NormalizerSpec normalizer_spec = 3; }
//   SentencePiece   { string piece = 1; float score = 2; Type type = 3 [default NORMAL]; }
//   TrainerSpec     { ModelType model_type = 3 [default UNIGRAM]; bool byte_fallback = 35;
//                     int32 unk_id = 40 [default 0]; bos_id = 41 [1]; eos_id = 42 [2]; }
//   NormalizerSpec  { bool add_dummy_prefix = 3 [default true];
//                     bool remove_extra_whitespaces = 4 [default true]; }
// Unknown fields are skipped, as protobuf readers do.
#include <cmath>

#include "core/error.h"
#include "tokenizer/protobuf_reader.h"
#include "tokenizer/sentencepiece_model.h"

namespace llmrt {
namespace {

using Wire = ProtoField::Wire;

void parse_piece(std::string_view bytes, const std::string &what, SpmModelData &model) {
    ProtoReader reader(bytes, what);
    ProtoField field;
    std::string piece;
    float score = 0.0f;
    int64_t type = 1;
    while (reader.next(field)) {
        if (field.number == 1) {
            reader.expect(field, Wire::Bytes);
            piece.assign(field.bytes);
        } else if (field.number == 2) {
            reader.expect(field, Wire::Fixed32);
            score = field.as_float();
        } else if (field.number == 3) {
            reader.expect(field, Wire::Varint);
            type = static_cast<int64_t>(field.varint);
        }
    }
    const std::string id = std::to_string(model.pieces.size());
    require(!std::isnan(score), Status::Format, what + ": score of piece " + id + " is NaN");
    require(type >= 1 && type <= 6, Status::Format,
            what + ": piece " + id + " has unknown type " + std::to_string(type));
    model.pieces.push_back(std::move(piece));
    model.scores.push_back(score);
    model.types.push_back(static_cast<TokenType>(type));
}

// Repeated occurrences merge field by field (protobuf semantics), hence model_type is in/out.
void parse_trainer_spec(std::string_view bytes, const std::string &what, SpmModelData &model, uint64_t &model_type) {
    ProtoReader reader(bytes, what);
    ProtoField field;
    while (reader.next(field)) {
        switch (field.number) {
        case 3: reader.expect(field, Wire::Varint); model_type = field.varint; break;
        case 35: reader.expect(field, Wire::Varint); model.byte_fallback = field.as_bool(); break;
        case 40: reader.expect(field, Wire::Varint); model.unk_id = field.as_int32(); break;
        case 41: reader.expect(field, Wire::Varint); model.bos_id = field.as_int32(); break;
        case 42: reader.expect(field, Wire::Varint); model.eos_id = field.as_int32(); break;
        default: break;
        }
    }
}

void check_model_type(uint64_t model_type, const std::string &what) {
    if (model_type != 2) {
        static const char *const names[] = {"?", "UNIGRAM", "BPE", "WORD", "CHAR"};
        const char *name = model_type < 5 ? names[model_type] : "?";
        fail(Status::Unsupported, what + ": SentencePiece model type " + std::to_string(model_type) +
                                        " (" + name + ") is not supported; only BPE is");
    }
}

void parse_normalizer_spec(std::string_view bytes, const std::string &what, SpmModelData &model) {
    ProtoReader reader(bytes, what);
    ProtoField field;
    while (reader.next(field)) {
        if (field.number == 3) {
            reader.expect(field, Wire::Varint);
            model.add_dummy_prefix = field.as_bool();
        } else if (field.number == 4) {
            reader.expect(field, Wire::Varint);
            model.remove_extra_whitespaces = field.as_bool();
        }
    }
}

void check_special_id(int32_t id, const char *name, const SpmModelData &model, const std::string &what) {
    require(id >= -1 && id < static_cast<int32_t>(model.pieces.size()), Status::Format,
            what + ": " + name + " " + std::to_string(id) + " is outside the " +
                std::to_string(model.pieces.size()) + " pieces");
}

}  // namespace

SpmModelData parse_sentencepiece_model(std::string_view bytes, const std::string &what) {
    SpmModelData model;
    model.remove_extra_whitespaces = true;  // proto defaults, overridden by what the file sets
    model.add_dummy_prefix = true;
    ProtoReader reader(bytes, what);
    ProtoField field;
    bool have_trainer_spec = false;
    bool have_normalizer_spec = false;
    uint64_t model_type = 1;  // UNIGRAM is the proto default
    while (reader.next(field)) {
        if (field.number == 1) {
            reader.expect(field, Wire::Bytes);
            parse_piece(field.bytes, what, model);
        } else if (field.number == 2) {
            reader.expect(field, Wire::Bytes);
            parse_trainer_spec(field.bytes, what, model, model_type);
            have_trainer_spec = true;
        } else if (field.number == 3) {
            reader.expect(field, Wire::Bytes);
            parse_normalizer_spec(field.bytes, what, model);
            have_normalizer_spec = true;
        }
    }
    require(!model.pieces.empty(), Status::Format, what + ": no pieces (not a SentencePiece model?)");
    require(model.pieces.size() <= static_cast<size_t>(INT32_MAX), Status::Format, what + ": too many pieces");
    // Every model sentencepiece writes has both; a file without them was cut short.
    require(have_trainer_spec, Status::Format, what + ": no trainer_spec (truncated file?)");
    require(have_normalizer_spec, Status::Format, what + ": no normalizer_spec (truncated file?)");
    check_model_type(model_type, what);
    check_special_id(model.unk_id, "unk_id", model, what);
    check_special_id(model.bos_id, "bos_id", model, what);
    check_special_id(model.eos_id, "eos_id", model, what);
    return model;
}

}  // namespace llmrt
