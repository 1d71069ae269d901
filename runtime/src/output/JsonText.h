// JSON text of values written straight into a string, without building an nlohmann document
// first: events are rendered on the hot path of `jitprobe run --format json` (hundreds of
// thousands a second), where building and freeing a document per event cost more than the
// decode. The output is byte-for-byte what nlohmann's compact dump gives (tested).
#pragma once
#include "jitprobe/Value.h"

#include <string>
#include <string_view>

namespace jitprobe::detail {

// A JSON string literal of TEXT (quotes included). Invalid UTF-8 is replaced by U+FFFD.
void appendJsonString(std::string &out, std::string_view text);
// The JSON of V: numbers, strings, lists, structs (members in order), bytes as hex strings.
void appendJsonValue(std::string &out, const Value &v);

} // namespace jitprobe::detail
