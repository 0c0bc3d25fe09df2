#include "explore.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"

namespace encvp {

namespace {

const config_key* find_key(const std::string& name) {
    for (const config_key& k : platform_keys())
        if (k.name == name) return &k;
    return nullptr;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string did_you_mean(const std::string& name) {
    std::string best;
    std::size_t best_d = 4;
    for (const config_key& k : platform_keys()) {
        const std::size_t d = edit_distance(name, k.name);
        if (d < best_d) best_d = d, best = k.name;
    }
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// A JSON scalar as the text a configuration key takes.
std::string value_text(const nlohmann::ordered_json& v, const std::string& file, const std::string& field) {
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s.empty()) throw input_error(file, field + ": empty value");
        return s;
    }
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number_float()) {
        char b[64];
        std::snprintf(b, sizeof b, "%.15g", v.get<double>());
        return b;
    }
    throw input_error(file, field + ": must be a string, number or boolean, got " + std::string(v.type_name()));
}

void check_key(const std::string& key, const std::string& file, const std::string& field) {
    if (key != "network" && find_key(key) == nullptr)
        throw input_error(file, field + ": '" + key + "' is not a platform configuration key" + did_you_mean(key) +
                                    " (see `encvp info`; 'network' is the other parameter)");
}

// Checks a parameter name and value on its own (syntax, range) so that a typo fails at once.
void check_value(const std::string& key, const std::string& value, const std::string& file, const std::string& field) {
    if (key == "network") return;
    check_key(key, file, field);
    const config_key* k = find_key(key);
    platform_config c;
    try {
        k->apply(c, value);
    } catch (const std::invalid_argument& e) {
        throw input_error(file, field + ": bad value '" + value + "' for '" + key + "': " + e.what());
    }
}

std::string field_name(const std::string& parent, const std::string& key) { return parent + ".\"" + key + "\""; }

}  // namespace

// ---- sweep file ------------------------------------------------------------------------------

std::string task_unit(const std::string& task) { return task == "classify" ? "image" : "patch"; }

std::vector<std::string> metric_columns(const std::string& unit) {
    return {"latency_per_" + unit + "_us", (unit == "patch" ? std::string("patches") : unit + "s") + "_per_s", "encoder_latency_us",
            "dma_in_per_" + unit + "_us",  "dma_out_per_" + unit + "_us", "cpu_busy_per_" + unit + "_us",
            "critical_path",               "encoder_duty",          "load_us",
            "energy_per_" + unit + "_nj",  "encoder_energy_nj",     "transfer_energy_nj",
            "static_energy_nj",            "task_energy_uj",        "weight_bits",
            "sram_capacity_bits",          "weights_fit",           "act_peak_bits",
            "act_buffer_bits",             "on_chip_bits",          "mac_units",
            "mac_utilization",             "accuracy"};
}

std::vector<std::string> default_objectives(const std::string& unit) {
    return {"latency_per_" + unit + "_us", "energy_per_" + unit + "_nj", "on_chip_bits"};
}

sweep_spec read_sweep(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file(path, 16u << 20, "sweep file");
    nlohmann::ordered_json j;
    try {
        j = nlohmann::ordered_json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw input_error(path, std::string("not valid JSON: ") + e.what());
    }
    return parse_sweep(j, path);
}

sweep_spec parse_sweep(const nlohmann::ordered_json& j, const std::string& path) {
    sweep_spec s;
    s.path = path;
    if (!j.is_object()) throw input_error(path, "the sweep must be a JSON object");
    static const std::set<std::string> known = {"name", "description", "comment", "task", "network", "dataset",
                                                "images", "image", "frame", "timing_only", "base",
                                                "configurations", "parameters", "objectives"};
    for (const auto& it : j.items())
        if (!known.count(it.key()))
            throw input_error(path, "unknown field \"" + it.key() +
                                        "\" (known: name, description, task, network, dataset, images, image, frame, "
                                        "timing_only, base, configurations, parameters, objectives)");
    auto str = [&](const char* key, std::string& out) {
        if (!j.contains(key)) return;
        if (!j[key].is_string()) throw input_error(path, std::string("\"") + key + "\": must be a string");
        out = j[key].get<std::string>();
    };
    str("name", s.name);
    str("description", s.description);
    str("task", s.task);
    str("network", s.network);
    str("dataset", s.dataset);
    str("image", s.image);
    if (s.task != "classify" && s.task != "compress")
        throw input_error(path, "\"task\": must be \"classify\" or \"compress\", got \"" + s.task + "\"");
    if (j.contains("images")) {
        const auto& v = j["images"];
        if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 1000000)
            throw input_error(path, "\"images\": must be an integer 1..1000000");
        s.images = std::size_t(v.get<long long>());
    }
    if (j.contains("frame")) {
        std::string f;
        str("frame", f);
        unsigned w = 0, h = 0;
        char x = 0, extra = 0;
        if (std::sscanf(f.c_str(), "%u%c%u%c", &w, &x, &h, &extra) != 3 || x != 'x' || w == 0 || h == 0 || w > 65535 ||
            h > 65535)
            throw input_error(path, "\"frame\": must be WIDTHxHEIGHT in pixels (e.g. \"256x256\"), got \"" + f + "\"");
        s.frame_w = w, s.frame_h = h;
    }
    if (j.contains("timing_only")) {
        if (!j["timing_only"].is_boolean()) throw input_error(path, "\"timing_only\": must be true or false");
        s.timing_only = j["timing_only"].get<bool>();
    }
    s.objectives = default_objectives(task_unit(s.task));
    if (j.contains("objectives")) {
        const auto& o = j["objectives"];
        const std::vector<std::string> cols = metric_columns(task_unit(s.task));
        static const std::set<std::string> text_columns = {"critical_path", "weights_fit"};
        if (!o.is_array() || o.size() < 2) throw input_error(path, "\"objectives\": must be a list of at least two result columns");
        s.objectives.clear();
        for (std::size_t i = 0; i < o.size(); ++i) {
            const std::string f = "objectives[" + std::to_string(i) + "]";
            if (!o[i].is_string()) throw input_error(path, f + ": must be a column name");
            const std::string c = o[i].get<std::string>();
            if (std::find(cols.begin(), cols.end(), c) == cols.end() || text_columns.count(c)) {
                std::string list;
                for (const std::string& k : cols)
                    if (!text_columns.count(k)) list += (list.empty() ? "" : ", ") + k;
                throw input_error(path, f + ": '" + c + "' is not a numeric result column (" + list + ")");
            }
            if (std::find(s.objectives.begin(), s.objectives.end(), c) != s.objectives.end())
                throw input_error(path, f + ": '" + c + "' is listed twice");
            s.objectives.push_back(c);
        }
    }
    if (s.task == "classify" && !s.image.empty()) throw input_error(path, "\"image\": only for \"task\": \"compress\"");
    if (s.task == "compress" && (!s.dataset.empty() || j.contains("images")))
        throw input_error(path, "\"dataset\"/\"images\": only for \"task\": \"classify\" (compress takes \"image\" or \"frame\")");

    if (j.contains("base")) {
        const auto& b = j["base"];
        if (!b.is_object()) throw input_error(path, "\"base\": must be an object of configuration keys");
        for (const auto& it : b.items()) {
            const std::string field = field_name("base", it.key());
            if (it.key() == "network") throw input_error(path, field + ": put the network at the top level (\"network\")");
            check_key(it.key(), path, field);
            const std::string v = value_text(it.value(), path, field);
            check_value(it.key(), v, path, field);
            s.base[it.key()] = v;
        }
    }

    // Listed configurations (default: one empty) times the cross product of the parameters.
    std::vector<std::vector<std::pair<std::string, std::string>>> listed;
    std::vector<std::string> listed_keys;
    if (j.contains("configurations")) {
        const auto& c = j["configurations"];
        if (!c.is_array() || c.empty()) throw input_error(path, "\"configurations\": must be a non-empty list of objects");
        for (std::size_t i = 0; i < c.size(); ++i) {
            const std::string where = "configurations[" + std::to_string(i) + "]";
            if (!c[i].is_object()) throw input_error(path, where + ": must be an object of configuration keys");
            std::vector<std::pair<std::string, std::string>> one;
            for (const auto& it : c[i].items()) {
                const std::string field = field_name(where, it.key());
                check_key(it.key(), path, field);
                const std::string v = value_text(it.value(), path, field);
                check_value(it.key(), v, path, field);
                one.emplace_back(it.key(), v);
                if (std::find(listed_keys.begin(), listed_keys.end(), it.key()) == listed_keys.end())
                    listed_keys.push_back(it.key());
            }
            listed.push_back(std::move(one));
        }
    } else {
        listed.emplace_back();
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> axes;
    if (j.contains("parameters")) {
        const auto& p = j["parameters"];
        if (!p.is_object()) throw input_error(path, "\"parameters\": must be an object: key -> list of values");
        for (const auto& it : p.items()) {
            const std::string field = field_name("parameters", it.key());
            check_key(it.key(), path, field);
            if (std::find(listed_keys.begin(), listed_keys.end(), it.key()) != listed_keys.end())
                throw input_error(path, field + ": also set in \"configurations\"; set each key in one place");
            if (!it.value().is_array() || it.value().empty())
                throw input_error(path, field + ": must be a non-empty list of values");
            std::vector<std::string> values;
            for (std::size_t i = 0; i < it.value().size(); ++i) {
                const std::string f = field + "[" + std::to_string(i) + "]";
                const std::string v = value_text(it.value()[i], path, f);
                check_value(it.key(), v, path, f);
                if (std::find(values.begin(), values.end(), v) != values.end())
                    throw input_error(path, f + ": value '" + v + "' is listed twice");
                values.push_back(v);
            }
            axes.emplace_back(it.key(), std::move(values));
        }
    }
    if (!j.contains("configurations") && axes.empty())
        throw input_error(path, "nothing to sweep: give \"parameters\" (a cross product) and/or \"configurations\" (a list)");
    s.columns = listed_keys;
    for (const auto& a : axes) s.columns.push_back(a.first);

    uint64_t combos = 1;
    for (const auto& a : axes) {
        combos *= a.second.size();
        if (combos * listed.size() > 1000000) throw input_error(path, "more than 1,000,000 configurations");
    }
    // Keys a listed configuration leaves out take the base value: show it in the table.
    auto base_value = [&](const std::string& key) -> std::string {
        if (key == "network") return s.network;
        auto it = s.base.find(key);
        if (it != s.base.end()) return it->second;
        const config_key* k = find_key(key);
        return k ? k->default_value : "";
    };
    std::size_t index = 0;
    for (const auto& l : listed) {
        for (uint64_t c = 0; c < combos; ++c) {
            sweep_point pt;
            pt.index = index++;
            for (const std::string& key : listed_keys) {
                auto it = std::find_if(l.begin(), l.end(), [&](const auto& kv) { return kv.first == key; });
                pt.params.emplace_back(key, it != l.end() ? it->second : base_value(key));
            }
            uint64_t rest = c;
            std::vector<std::string> vals(axes.size());
            for (std::size_t a = axes.size(); a-- > 0;) {  // the last parameter varies fastest
                vals[a] = axes[a].second[rest % axes[a].second.size()];
                rest /= axes[a].second.size();
            }
            for (std::size_t a = 0; a < axes.size(); ++a) pt.params.emplace_back(axes[a].first, vals[a]);
            s.points.push_back(std::move(pt));
        }
    }

    // Identity: everything that defines the rows, so that merged shards come from one sweep.
    std::ostringstream id;
    id << s.task << '|' << s.network << '|' << s.dataset << '|' << s.images << '|' << s.image << '|' << s.frame_w << 'x'
       << s.frame_h << '|' << s.timing_only << '|';
    for (const std::string& o : s.objectives) id << o << ',';
    id << '|';
    for (const auto& kv : s.base) id << kv.first << '=' << kv.second << ';';
    for (const sweep_point& p : s.points) {
        id << '\n';
        for (const auto& kv : p.params) id << kv.first << '=' << kv.second << ';';
    }
    const std::string text = id.str();
    char hex[32];
    std::snprintf(hex, sizeof hex, "%08x-%zu", crc32(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                  s.points.size());
    s.identity = hex;
    return s;
}

std::pair<unsigned, unsigned> parse_shard(const std::string& text) {
    unsigned i = 0, n = 0;
    char slash = 0, extra = 0;
    if (std::sscanf(text.c_str(), "%u%c%u%c", &i, &slash, &n, &extra) != 3 || slash != '/' ||
        text.find_first_not_of("0123456789/") != std::string::npos)
        throw input_error("--shard", "'" + text + "' is not INDEX/COUNT (e.g. 0/4: the first of four slices)");
    if (n == 0) throw input_error("--shard", "'" + text + "': the count must be at least 1");
    if (i >= n)
        throw input_error("--shard", "'" + text + "': the index counts from 0 and must be below the count (0.." +
                                         std::to_string(n - 1) + ")");
    return {i, n};
}

platform_config point_config(const sweep_spec& s, const sweep_point& p, const std::map<std::string, std::string>& overrides) {
    std::map<std::string, std::pair<std::string, std::string>> v;  // key -> (value, origin)
    for (const auto& kv : s.base) v[kv.first] = {kv.second, "the sweep's \"base\""};
    for (const auto& kv : overrides) v[kv.first] = {kv.second, "the command line"};
    for (const auto& kv : p.params)
        if (kv.first != "network") v[kv.first] = {kv.second, "configuration " + std::to_string(p.index)};
    platform_config cfg;
    for (const config_key& k : platform_keys()) {
        auto it = v.find(k.name);
        const std::string value = it != v.end() ? it->second.first : k.default_value;
        try {
            k.apply(cfg, value);
        } catch (const std::invalid_argument& e) {
            throw config_error("bad value for '" + k.name + "' (from " +
                               (it != v.end() ? it->second.second : std::string("the built-in defaults")) + "): " + e.what());
        }
    }
    validate_platform_config(cfg);
    return cfg;
}

// ---- table -----------------------------------------------------------------------------------

int table::column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return int(i);
    return -1;
}

std::string csv_escape(const std::string& f) {
    if (f.find_first_of(",\"\r\n") == std::string::npos) return f;
    std::string q = "\"";
    for (char c : f) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

table parse_csv(const std::string& text, const std::string& source) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, field_started = false;
    std::size_t line = 1, quote_line = 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"' && !field_started) {
            quoted = field_started = true;
            quote_line = line;
        } else if (c == '"') {
            throw input_error(source, "line " + std::to_string(line) + ": a quote inside an unquoted field");
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            field_started = false;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            row.push_back(std::move(field));
            field.clear();
            field_started = false;
            rows.push_back(std::move(row));
            row.clear();
            ++line;
        } else {
            field += c;
            field_started = true;
        }
    }
    if (quoted) throw input_error(source, "line " + std::to_string(quote_line) + ": unterminated quoted field");
    if (field_started || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    if (rows.empty() || (rows[0].size() == 1 && rows[0][0].empty())) throw input_error(source, "empty CSV (no header)");
    table t;
    t.header = std::move(rows[0]);
    for (std::size_t r = 1; r < rows.size(); ++r) {
        if (rows[r].size() == 1 && rows[r][0].empty()) continue;  // blank line
        if (rows[r].size() != t.header.size())
            throw input_error(source, "row " + std::to_string(r) + " has " + std::to_string(rows[r].size()) +
                                          " fields, the header has " + std::to_string(t.header.size()));
        t.rows.push_back(std::move(rows[r]));
    }
    return t;
}

std::string format_csv(const table& t) {
    std::string out;
    auto line = [&](const std::vector<std::string>& v) {
        for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + csv_escape(v[i]);
        out += "\n";
    };
    line(t.header);
    for (const auto& r : t.rows) line(r);
    return out;
}

std::vector<bool> pareto_front(const std::vector<std::vector<double>>& pts) {
    std::vector<bool> front(pts.size(), true);
    for (std::size_t i = 0; i < pts.size(); ++i)
        for (std::size_t j = 0; j < pts.size() && front[i]; ++j) {
            if (i == j) continue;
            bool all_le = true, one_lt = false;
            for (std::size_t k = 0; k < pts[i].size(); ++k) {
                if (pts[j][k] > pts[i][k]) all_le = false;
                if (pts[j][k] < pts[i][k]) one_lt = true;
            }
            if (all_le && one_lt) front[i] = false;  // j dominates i
        }
    return front;
}

namespace {
bool to_double(const std::string& s, double& v) {
    if (s.empty()) return false;
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    return end && *end == 0 && std::isfinite(v);
}
}  // namespace

void mark_pareto(table& t, const std::vector<std::string>& objectives) {
    int pc = t.column("pareto");
    if (pc < 0) {
        t.header.push_back("pareto");
        for (auto& r : t.rows) r.push_back("0");
        pc = int(t.header.size()) - 1;
    }
    const int sc = t.column("status");
    std::vector<int> oc;
    for (const std::string& o : objectives) oc.push_back(t.column(o));
    std::vector<std::size_t> idx;
    std::vector<std::vector<double>> pts;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        t.rows[r][std::size_t(pc)] = "0";
        if (sc >= 0 && t.rows[r][std::size_t(sc)] != "ok") continue;
        std::vector<double> p;
        bool ok = true;
        for (int c : oc) {
            double v = 0;
            if (c < 0 || !to_double(t.rows[r][std::size_t(c)], v)) ok = false;
            p.push_back(v);
        }
        if (!ok) continue;
        idx.push_back(r);
        pts.push_back(std::move(p));
    }
    const std::vector<bool> f = pareto_front(pts);
    for (std::size_t i = 0; i < idx.size(); ++i)
        if (f[i]) t.rows[idx[i]][std::size_t(pc)] = "1";
}

std::vector<parameter_effect> parameter_effects(const table& t, const std::vector<std::string>& params,
                                                const std::string& metric) {
    std::vector<parameter_effect> out;
    const int mc = t.column(metric), sc = t.column("status");
    if (mc < 0) return out;
    for (const std::string& p : params) {
        const int pcol = t.column(p);
        if (pcol < 0) continue;
        std::vector<std::string> order;
        std::map<std::string, std::pair<double, std::size_t>> acc;
        for (const auto& r : t.rows) {
            double v = 0;
            if ((sc >= 0 && r[std::size_t(sc)] != "ok") || !to_double(r[std::size_t(mc)], v)) continue;
            const std::string& key = r[std::size_t(pcol)];
            if (!acc.count(key)) order.push_back(key);
            acc[key].first += v;
            acc[key].second += 1;
        }
        if (order.size() < 2) continue;
        parameter_effect e;
        e.parameter = p;
        e.metric = metric;
        double lo = 0, hi = 0;
        for (const std::string& k : order) {
            const double mean = acc[k].first / double(acc[k].second);
            e.means.emplace_back(k, mean);
            if (e.best_value.empty() || mean < lo) lo = mean, e.best_value = k;
            if (e.worst_value.empty() || mean > hi) hi = mean, e.worst_value = k;
        }
        if (!(hi > lo)) {  // no effect: no best or worst value
            e.best_value.clear();
            e.worst_value.clear();
        }
        e.ratio = lo > 0 ? hi / lo : 0;
        out.push_back(std::move(e));
    }
    std::stable_sort(out.begin(), out.end(), [](const parameter_effect& a, const parameter_effect& b) { return a.ratio > b.ratio; });
    return out;
}

}  // namespace encvp
