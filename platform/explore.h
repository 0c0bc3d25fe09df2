// Design-space exploration: the sweep file (which configurations to run), the results table (one
// row per configuration), the Pareto front and the parameter effects. Pure host code, no SystemC:
// `encvp explore` (platform/cli/cmd_explore.cpp) runs the configurations and uses these pieces.
// The sweep file format and every column are documented in docs/estimation-model.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.h"

namespace encvp {

// One configuration of a sweep: its parameter values, in the sweep's column order.
struct sweep_point {
    std::size_t index = 0;                                   // position in the full expansion
    std::vector<std::pair<std::string, std::string>> params;  // key -> value ("network" or a platform key)
};

struct sweep_spec {
    std::string path;         // the sweep file
    std::string name, description;
    std::string task = "classify";  // or "compress"
    std::string network;      // default network ("" = the task's default)
    std::string dataset;      // classify: images from here ("" = the bundled samples)
    std::size_t images = 32;  // classify: images per configuration
    std::string image;        // compress: the frame to encode ("" = a synthetic frame of `frame` size)
    unsigned frame_w = 256, frame_h = 256;  // compress without an image: frame size (timing does not depend on pixels)
    bool timing_only = false;
    std::map<std::string, std::string> base;  // platform keys set for every configuration
    std::vector<std::string> columns;         // parameter names, in order
    std::vector<sweep_point> points;
    std::vector<std::string> objectives;  // Pareto objectives (columns, all minimised)
    std::string identity;     // digest of everything that defines the rows (merge checks it)
};

// "image" for classification, "patch" for compression.
std::string task_unit(const std::string& task);
// The metric columns of results.csv, in order (after the index, the parameters and the status).
std::vector<std::string> metric_columns(const std::string& unit);
// The default Pareto objectives: latency and energy per item, on-chip memory.
std::vector<std::string> default_objectives(const std::string& unit);

// Reads and expands a sweep file (JSON). Relative paths inside it are resolved against the sweep
// file's folder, then the source tree. Throws input_error naming the file and the field.
sweep_spec read_sweep(const std::string& path);
sweep_spec parse_sweep(const nlohmann::ordered_json& j, const std::string& path);

// "i/N" (0 <= i < N): the configurations with index % N == i. Throws input_error.
std::pair<unsigned, unsigned> parse_shard(const std::string& text);

// The platform configuration of one point: built-in defaults, then `base`, then `overrides`
// (e.g. the command line), then the point's parameters. Throws config_error naming the key.
platform_config point_config(const sweep_spec& s, const sweep_point& p,
                             const std::map<std::string, std::string>& overrides);

// ---- results table ----

struct table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    int column(const std::string& name) const;  // -1 if absent
};

std::string csv_escape(const std::string& field);
// Parses CSV text (RFC 4180 quoting); every row must have the header's width. Throws input_error
// naming `source` and the line.
table parse_csv(const std::string& text, const std::string& source);
std::string format_csv(const table& t);

// Marks the `pareto` column: 1 for successful rows (status "ok") that no other successful row
// dominates on the objective columns (all minimised), 0 otherwise.
void mark_pareto(table& t, const std::vector<std::string>& objectives);
// Pareto flags of points (minimise every coordinate); ties are all kept.
std::vector<bool> pareto_front(const std::vector<std::vector<double>>& points);

// Main effect of each parameter on a metric: for every value, the mean of the metric over the
// successful rows with that value; the effect is the ratio of the largest mean to the smallest.
struct parameter_effect {
    std::string parameter, metric;
    double ratio = 1;                                  // max mean / min mean
    std::string best_value, worst_value;               // values with the smallest / largest mean
    std::vector<std::pair<std::string, double>> means;  // per value, in first-seen order
};
std::vector<parameter_effect> parameter_effects(const table& t, const std::vector<std::string>& params,
                                                const std::string& metric);

}  // namespace encvp
