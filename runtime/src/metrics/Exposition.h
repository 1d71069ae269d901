// The Prometheus exposition formats: text 0.0.4 and OpenMetrics 1.0.0 (when the scraper's Accept
// header asks for it). Small and ours: families of samples in, one page of text out.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jitprobe::metrics {

enum class MetricType { Counter, Gauge, Histogram, Untyped };
enum class Format { Text004, OpenMetrics };

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
    std::string suffix; // "", "_total", "_bucket", "_count", "_sum"
    Labels labels;      // names already valid (sanitize_label_name); values raw bytes
    double value = 0;
};

// NAME is the family's base name: a counter's samples carry "_total", a histogram's
// "_bucket"/"_count"/"_sum".
struct Family {
    std::string name;
    std::string help;
    MetricType type = MetricType::Untyped;
    std::vector<Sample> samples;
};

// OpenMetrics when ACCEPT names application/openmetrics-text, else text 0.0.4.
Format negotiate(std::string_view accept);
std::string_view content_type(Format format);

// [a-zA-Z_:][a-zA-Z0-9_:]*: every other byte becomes '_', a leading digit gets a '_' before it.
std::string sanitize_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and never the reserved "__" prefix.
std::string sanitize_label_name(std::string_view name);
// Label value: \ " and newline escaped; bytes that are not valid UTF-8 become the text \xNN
// (with its backslash escaped), so every page is valid UTF-8.
std::string escape_label_value(std::string_view value);
// HELP text: \ and newline escaped (text 0.0.4); OpenMetrics also escapes ".
std::string escape_help(std::string_view help, Format format);
// Shortest text that reads back as VALUE: integers without exponent or point, +Inf, -Inf, NaN.
std::string format_value(double value);

// Appends every family (HELP, TYPE, samples); OpenMetrics ends with "# EOF".
void render(std::string &out, const std::vector<Family> &families, Format format);

} // namespace jitprobe::metrics
