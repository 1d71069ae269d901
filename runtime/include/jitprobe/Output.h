// Result records of a run or check, and their text / JSON Lines renderings (the CLI contract,
// kept in the conformance corpus's README). Building records applies the contract's rules:
// array kinds drop all-zero entries, histograms become log2 buckets grouped by their non-slot key.
#pragma once
#include "jitprobe/Value.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace jitprobe {

struct MapEntry {
    Value key;
    Value value;
    // Text mode only: symbolized frames of a stack trace this entry is (or references).
    std::vector<std::string> stack;
};

// {"type":"map","name":..,"kind":..,"entries":[{"key":K,"value":V}]}
struct MapRecord {
    std::string name;
    std::string kind; // the BCC declaration kind (MapSpec::kind)
    std::vector<MapEntry> entries;
};

struct HistBucket {
    unsigned slot = 0;
    std::uint64_t low = 0, high = 0, count = 0;
};

// {"type":"hist","name":..,["key":{..},]"buckets":[{"low":L,"high":H,"count":C}]}
struct HistRecord {
    std::string name;
    std::optional<Value> key; // struct-key histograms: the key without its `slot` member
    std::vector<HistBucket> buckets; // ascending slot, non-empty only
};

struct EventRecord { // {"type":"event","map":..,"data":..}
    std::string map;
    Value data;
};

struct LostRecord { // {"type":"lost","map":..,"count":N}
    std::string map;
    std::uint64_t count = 0;
};

struct PrintkRecord { // {"type":"printk","msg":..}
    std::string msg;
};

struct ProgramRecord { // {"type":"program","name":..,"prog_type":..,"insns":N}
    std::string name;
    std::string prog_type;
    std::uint64_t insns = 0;
};

// A problem with the probe, for machine readers of a failed run or check:
// {"type":"error"|"warning"|"note","file":..,"line":N,"column":N,"message":..[,"hint":..]}
// (line and column 0 when the problem has no place in the source, e.g. a verifier rejection).
struct DiagnosticRecord {
    std::string severity = "error";
    std::string file;
    unsigned line = 0, column = 0;
    std::string message;
    std::string hint;
};

using Record =
    std::variant<MapRecord, HistRecord, EventRecord, LostRecord, PrintkRecord, ProgramRecord, DiagnosticRecord>;

enum class OutputFormat { Text, Json };

// --- building records -------------------------------------------------------------------
// BCC's log2 slot ranges: slot 0 -> [0,0], slot 1 -> [0,1], slot i >= 2 -> [2^(i-1), 2^i - 1].
HistBucket log2_bucket(unsigned slot, std::uint64_t count);
// Entries of a BPF_HISTOGRAM map -> hist records. Integer keys are slots; struct keys use their
// `slot` member as the slot and group by the remaining members (one record per group).
std::vector<HistRecord> build_histograms(const std::string &name, const std::vector<MapEntry> &entries);
// Kinds whose every index exists ("array", "percpu_array", "histogram"...): zero rows are noise.
bool is_array_kind(const std::string &kind);
// Kinds that hold no printable results (queue, stack, perf and ring buffers).
bool is_non_result_kind(const std::string &kind);
// A map record per the contract: array kinds drop all-zero entries.
MapRecord build_map_record(std::string name, std::string kind, std::vector<MapEntry> entries);

// --- rendering ----------------------------------------------------------------------------
std::string value_to_json(const Value &v);          // compact JSON of one value
std::string render_json_line(const Record &record); // one line, no trailing newline
// Human-readable, ends with a newline; terminal control characters escaped (see below).
std::string render_text(const Record &record);
// TEXT safe to print on a terminal: control characters (ESC, BEL, CR, ... but newline and tab),
// DEL, UTF-8-encoded C1 controls and bytes that are not valid UTF-8 become \xNN escapes. Why:
// comms, paths, strings read by probes and compiler messages are chosen by others, and raw
// escape sequences could rewrite the screen, the title or the clipboard of whoever reads them.
std::string escape_terminal_controls(std::string_view text);
// Writes one record (JSON Lines or text); does not flush (see RunOptions::on_batch).
void write_record(std::ostream &out, OutputFormat format, const Record &record);

// Compact text of a value: numbers in decimal, strings bare, structs "a=1 b=x", lists "[1, 2]".
std::string value_to_text(const Value &v);
// BCC's print_log2_hist body ("     value               : count     distribution" + rows).
std::string render_log2_histogram(const std::vector<HistBucket> &buckets, const std::string &value_label = "value");

// The names before the snake_case rule, kept for one release.
[[deprecated("use render_json_line")]] inline std::string renderJsonLine(const Record &r) { return render_json_line(r); }
[[deprecated("use render_text")]] inline std::string renderText(const Record &r) { return render_text(r); }
[[deprecated("use value_to_json")]] inline std::string valueToJson(const Value &v) { return value_to_json(v); }
[[deprecated("use value_to_text")]] inline std::string valueToText(const Value &v) { return value_to_text(v); }
[[deprecated("use write_record")]] inline void writeRecord(std::ostream &out, OutputFormat f, const Record &r) {
    write_record(out, f, r);
}

} // namespace jitprobe
