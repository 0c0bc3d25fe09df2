// encvp explore: design-space sweeps. Every configuration of a sweep file runs on the platform
// (full or timing-only) in its own worker process (SystemC elaborates one design per process) and
// becomes one row of DIR/results.csv: its parameters, latency, throughput, memory, energy,
// utilization, whether it fits, and whether it is on the Pareto front. --shard runs one slice of
// the configurations (Slurm arrays, GNU parallel); --merge joins the slices' tables.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <map>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/network_util.h"
#include "common/error.h"
#include "common/file.h"
#include "dataset/dataset.h"
#include "estimate.h"
#include "explore.h"
#include "imageio/image.h"
#include "session.h"

namespace encvp::cli {

namespace {

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

bool is_dir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void make_dirs(const std::string& path) {
    std::string cur;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            if (!cur.empty() && !is_dir(cur) && ::mkdir(cur.c_str(), 0777) != 0 && errno != EEXIST)
                throw std::runtime_error("cannot create directory '" + cur + "': " + std::strerror(errno));
        }
        if (i < path.size()) cur += path[i];
    }
}

std::string dir_of(const std::string& p) {
    const auto slash = p.rfind('/');
    return slash == std::string::npos ? "." : p.substr(0, slash == 0 ? 1 : slash);
}

// Paths in a sweep file: relative to the sweep file's folder, else to the working directory, else
// to the source tree.
std::string resolve(const sweep_spec& s, const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    const std::string near = dir_of(s.path) + "/" + p;
    if (exists(near)) return near;
    if (exists(p)) return p;
    return source_path(p);
}

std::string network_of(const sweep_spec& s, const sweep_point& pt) {
    for (const auto& kv : pt.params)
        if (kv.first == "network") return resolve(s, kv.second);
    if (!s.network.empty()) return resolve(s, s.network);
    return s.task == "classify" ? default_network_path() : source_path("configs/networks/kodak-025.enet");
}

std::string g9(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

// ---- one configuration (runs in a worker process) --------------------------------------------

struct point_result {
    std::string status = "failed";  // ok, failed, invalid, does_not_fit
    std::string error;
    std::map<std::string, std::string> metrics;
};

void fill_metrics(point_result& r, const estimate_report& e, const std::string& unit, bool ran) {
    const platform_report& p = e.platform;
    auto& m = r.metrics;
    const double us = 1e6;
    if (ran) {
        m["latency_per_" + unit + "_us"] = g9(e.latency_s * us);
        m[(unit == "patch" ? std::string("patches") : unit + "s") + "_per_s"] = g9(e.throughput_per_s);
        m["dma_in_per_" + unit + "_us"] = g9(p.dma_in_s * us);
        m["dma_out_per_" + unit + "_us"] = g9(p.dma_out_s * us);
        m["cpu_busy_per_" + unit + "_us"] = g9(p.cpu_busy_s * us);
        m["critical_path"] = p.critical;
        m["encoder_duty"] = g9(p.encoder_duty);
        m["load_us"] = g9(p.load_s * us);
        m["energy_per_" + unit + "_nj"] = g9(e.energy.total_pj / 1e3);
        m["transfer_energy_nj"] = g9(e.energy.transfer_pj / 1e3);
        m["static_energy_nj"] = g9(e.energy.static_pj / 1e3);
        m["task_energy_uj"] = g9(e.energy.task_total_pj / 1e6);
    }
    m["encoder_latency_us"] = g9(e.encoder_s * us);
    m["encoder_energy_nj"] = g9(e.energy.encoder_pj / 1e3);
    m["weight_bits"] = std::to_string(e.memory.weight_bits);
    m["sram_capacity_bits"] = std::to_string(e.memory.sram_capacity_bits);
    m["weights_fit"] = e.memory.weights_fit ? "1" : "0";
    m["act_peak_bits"] = std::to_string(e.memory.act_peak_bits);
    m["act_buffer_bits"] = std::to_string(e.memory.act_buffer_bits);
    m["on_chip_bits"] = std::to_string(e.memory.on_chip_bits);
    m["mac_units"] = std::to_string(e.mac_units);
    m["mac_utilization"] = g9(e.mac_utilization);
}

struct run_options {
    std::map<std::string, std::string> overrides;  // platform keys from the command line
    bool timing_only = false;
    std::size_t images = 0;  // 0: the sweep's
    std::string out;
};

point_result run_point(const sweep_spec& s, const sweep_point& pt, const run_options& o) {
    point_result r;
    const std::string unit = task_unit(s.task);
    platform_config cfg;
    try {
        cfg = point_config(s, pt, o.overrides);
    } catch (const config_error& e) {
        r.status = "invalid";
        r.error = e.what();
        return r;
    }
    if (o.timing_only || s.timing_only) cfg.encoder.timing_only = true;
    const bool timing_only = cfg.encoder.timing_only;
    const std::string net_path = network_of(s, pt);
    const network_file net = read_network_file(net_path);
    if (net.classify() != (s.task == "classify"))
        throw input_error(net_path, std::string("is a ") + (net.classify() ? "classifier" : "compression network") +
                                        ", the sweep's task is " + s.task);
    // Compile against an unbounded SRAM: a network that does not fit still gets its memory numbers.
    const compiled_network comp = compile_network(net, ~uint64_t(0), net_path);
    estimate_report est = make_estimate(cfg, net, comp, {});
    if (!est.memory.weights_fit || !est.memory.activations_fit) {
        r.status = "does_not_fit";
        r.error = !est.memory.weights_fit
                      ? "weights need " + std::to_string(est.memory.weight_bits) + " bits (" +
                            std::to_string(est.memory.sram_image_bits) + " aligned), the SRAM holds " +
                            std::to_string(est.memory.sram_capacity_bits)
                      : "a layer's feature maps need " + std::to_string(est.memory.act_peak_bits) +
                            " bits, the activation buffer holds " + std::to_string(est.memory.act_buffer_bits);
        fill_metrics(r, est, unit, false);
        return r;
    }

    session sess(cfg);
    std::size_t items = 0, correct = 0, labelled = 0, done = 0;
    run_outcome out;
    uint32_t job_status = 0;
    nlohmann::json measurement;
    if (s.task == "classify") {
        std::unique_ptr<dataset> ds;
        std::size_t n = o.images ? o.images : s.images;
        std::vector<std::size_t> pick;
        if (!timing_only) {
            ds = open_dataset(s.dataset.empty() ? default_dataset_path() : resolve(s, s.dataset), net.classes, net.in_c,
                              net.in_h, net.in_w);
            n = std::min(n, ds->size());
            for (std::size_t i = 0; i < n; ++i) pick.push_back(i * ds->size() / n);  // spread over the classes
        }
        items = n;
        stream_probe probe("probe", sess.chip(), n);
        std::vector<int> labels(n, -1);
        sample smp;
        std::vector<int32_t> logits;
        inference_job job(
            comp, n, 256,
            [&](std::size_t i, std::vector<uint8_t>& chw) {
                if (timing_only) {
                    chw.assign(comp.in_bytes, 0);  // timing does not depend on the pixels
                    return;
                }
                ds->get(pick[i], smp);
                labels[i] = smp.label;
                chw = smp.chw;
            },
            [&](const inference_record& rec) {
                if (rec.status != 0) return;
                ++done;
                if (timing_only || labels[rec.index] < 0) return;
                int cls = -1;
                decode_logits(rec.output, unsigned(net.classes.size()), logits, cls);
                ++labelled;
                if (cls == labels[rec.index]) ++correct;
            });
        out = sess.run_jobs({&job});
        job_status = job.job_status;
        measurement = probe.measurement(n, out.sim_seconds);
    } else {
        const unsigned P = net.in_h;
        image img;
        unsigned w = s.frame_w, h = s.frame_h;
        if (!s.image.empty()) {
            img = read_image(resolve(s, s.image));
            w = img.width, h = img.height;
        }
        const unsigned cols = (w + P - 1) / P, rows = (h + P - 1) / P, W = cols * P;
        items = std::size_t(cols) * rows;
        stream_probe probe("probe", sess.chip(), items);
        auto band = [&](unsigned k, std::vector<uint8_t>& planar) {
            planar.assign(3ull * P * W, 0);
            if (timing_only || img.rgb.empty()) return;
            for (unsigned y = 0; y < P; ++y) {
                const unsigned sy = std::min(k * P + y, img.height - 1);
                for (unsigned x = 0; x < W; ++x) {
                    const uint8_t* px = img.px(std::min(x, img.width - 1), sy);
                    for (unsigned c = 0; c < 3; ++c) planar[(std::size_t(c) * P + y) * W + x] = px[c];
                }
            }
        };
        compress_job job(comp, W, rows, P, band, [](unsigned, unsigned, const uint8_t*, std::size_t) {});
        out = sess.run_jobs({&job});
        job_status = job.job_status;
        done = job.patches;
        measurement = probe.measurement(items, out.sim_seconds);
    }
    if (!out.exited || out.exit_code != 0 || job_status != 0 || done != items) {
        r.status = "failed";
        r.error = "platform run failed: exit code " + std::to_string(out.exit_code) + ", job status " +
                  std::to_string(job_status) + ", " + std::to_string(done) + " of " + std::to_string(items) + " " + unit +
                  "s" + (out.fault.empty() ? "" : ": " + out.fault);
        fill_metrics(r, est, unit, false);
        return r;
    }
    est = make_estimate(cfg, net, comp, {measurement});
    r.status = "ok";
    fill_metrics(r, est, unit, true);
    if (labelled) r.metrics["accuracy"] = g9(double(correct) / double(labelled));
    write_estimate_csv(o.out + "/layers/" + std::to_string(pt.index) + ".csv", est);
    return r;
}

// ---- the table -------------------------------------------------------------------------------

std::vector<std::string> row_of(const sweep_spec& s, const sweep_point& pt, const point_result& r) {
    std::vector<std::string> row{std::to_string(pt.index)};
    for (const auto& kv : pt.params) row.push_back(kv.second);
    row.push_back(r.status);
    for (const std::string& c : metric_columns(task_unit(s.task))) {
        auto it = r.metrics.find(c);
        row.push_back(it != r.metrics.end() ? it->second : "");
    }
    row.push_back("0");  // pareto, marked later
    row.push_back(r.error);
    return row;
}

table empty_table(const sweep_spec& s) {
    table t;
    t.header.push_back("index");
    for (const std::string& c : s.columns) t.header.push_back(c);
    t.header.push_back("status");
    for (const std::string& c : metric_columns(task_unit(s.task))) t.header.push_back(c);
    t.header.push_back("pareto");
    t.header.push_back("error");
    return t;
}

nlohmann::json result_json(const point_result& r) {
    return {{"status", r.status}, {"error", r.error}, {"metrics", r.metrics}};
}

point_result result_from_json(const nlohmann::json& j) {
    point_result r;
    r.status = j.at("status").get<std::string>();
    r.error = j.at("error").get<std::string>();
    r.metrics = j.at("metrics").get<std::map<std::string, std::string>>();
    return r;
}

// What every finished table gets: the Pareto front, the CSV, a summary and the plots.
struct table_meta {
    std::string name, task, unit, identity, shard;
    std::vector<std::string> objectives;
    std::size_t total = 0;
    double wall_s = 0;
    unsigned workers = 0;
};

std::vector<std::string> param_columns(const table& t) {
    std::vector<std::string> p;
    const int sc = t.column("status");
    for (int i = 1; i < sc; ++i) p.push_back(t.header[std::size_t(i)]);
    return p;
}

void run_plots(const std::string& dir, bool quiet) {
    const char* env = std::getenv("ENCVP_PYTHON");
    const std::string python = env && *env ? env : "/usr/bin/python3";
    const std::string script = source_path("scripts/plot_explore.py");
    if (!exists(python) || !exists(script)) {
        std::printf("plots     skipped (%s not found; run scripts/plot_explore.py %s by hand)\n",
                    exists(python) ? script.c_str() : python.c_str(), dir.c_str());
        return;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        std::printf("plots     skipped (fork: %s)\n", std::strerror(errno));
        return;
    }
    if (pid == 0) {
        if (quiet) {
            const int fd = ::open("/dev/null", O_WRONLY);
            if (fd >= 0) ::dup2(fd, 1);
        }
        ::execl(python.c_str(), python.c_str(), script.c_str(), dir.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        std::printf("plots     not made (%s exited with %d; see its message above)\n", script.c_str(),
                    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

void finish_table(table& t, const table_meta& m, const std::string& dir, bool plots) {
    const std::vector<std::string> obj = m.objectives.empty() ? default_objectives(m.unit) : m.objectives;
    mark_pareto(t, obj);
    write_text_file(dir + "/results.csv", format_csv(t));
    const std::vector<std::string> params = param_columns(t);
    const int sc = t.column("status"), pc = t.column("pareto"), ic = t.column("index");
    std::size_t ok = 0;
    std::map<std::string, std::size_t> by_status;
    for (const auto& r : t.rows) {
        ++by_status[r[std::size_t(sc)]];
        if (r[std::size_t(sc)] == "ok") ++ok;
    }
    nlohmann::json sj;
    sj["sweep"] = m.name;
    sj["task"] = m.task;
    sj["unit"] = m.unit;
    sj["identity"] = m.identity;
    sj["shard"] = m.shard;
    sj["configurations_in_sweep"] = m.total;
    sj["rows"] = t.rows.size();
    sj["status"] = by_status;
    sj["wall_seconds"] = m.wall_s;
    sj["workers"] = m.workers;
    sj["objectives"] = obj;
    nlohmann::json front = nlohmann::json::array();
    for (const auto& r : t.rows)
        if (r[std::size_t(pc)] == "1") {
            nlohmann::json e;
            e["index"] = std::stoul(r[std::size_t(ic)]);
            for (const std::string& p : params) e[p] = r[std::size_t(t.column(p))];
            for (const std::string& o : obj) e[o] = r[std::size_t(t.column(o))];
            front.push_back(e);
        }
    sj["pareto"] = front;

    std::printf("results   %s/results.csv: %zu rows, %zu ok", dir.c_str(), t.rows.size(), ok);
    for (const auto& kv : by_status)
        if (kv.first != "ok") std::printf(", %zu %s", kv.second, kv.first.c_str());
    std::printf("\n");
    std::string objs;
    for (const std::string& o : obj) objs += (objs.empty() ? "" : ", ") + o;
    std::printf("pareto    %zu configurations on the front (minimising %s):\n", front.size(), objs.c_str());
    for (const auto& e : front) {
        std::string line = "  #" + std::to_string(e["index"].get<unsigned long>());
        for (const std::string& p : params) line += " " + p + "=" + e[p].get<std::string>();
        line += "  ->";
        for (std::size_t i = 0; i < obj.size(); ++i) line += (i ? ", " : " ") + obj[i] + " " + e[obj[i]].get<std::string>();
        std::printf("%s\n", line.c_str());
    }
    nlohmann::json effects = nlohmann::json::object();
    for (const std::string& metric : obj) {
        const auto eff = parameter_effects(t, params, metric);
        nlohmann::json arr = nlohmann::json::array();
        if (!eff.empty()) std::printf("effects   on %s (max/min of the mean over the other parameters):\n", metric.c_str());
        for (const parameter_effect& e : eff) {
            nlohmann::json means = nlohmann::json::object();
            for (const auto& kv : e.means) means[kv.first] = kv.second;
            arr.push_back({{"parameter", e.parameter}, {"ratio", e.ratio}, {"best", e.best_value},
                           {"worst", e.worst_value}, {"means", means}});
            if (e.best_value.empty())
                std::printf("  %-28s x1      no effect\n", e.parameter.c_str());
            else
                std::printf("  %-28s x%-6.2f best %s, worst %s\n", e.parameter.c_str(), e.ratio, e.best_value.c_str(),
                            e.worst_value.c_str());
        }
        effects[metric] = arr;
    }
    sj["effects"] = effects;
    write_text_file(dir + "/summary.json", sj.dump(2) + "\n");
    std::fflush(stdout);
    if (plots) run_plots(dir, false);
}

// ---- workers ---------------------------------------------------------------------------------

int run_sweep(context& ctx) {
    const std::string sweep_path = ctx.vm["sweep"].as<std::string>();
    sweep_spec s = read_sweep(sweep_path);
    if (!ctx.vm.count("out")) throw input_error("", "no output folder given (--out DIR)");
    const std::string out = ctx.vm["out"].as<std::string>();
    run_options o;
    o.out = out;
    o.timing_only = ctx.vm.count("timing-only") > 0;
    if (ctx.vm.count("images")) {
        o.images = ctx.vm["images"].as<std::size_t>();
        if (o.images == 0) throw input_error("--images", "must be at least 1");
        if (s.task != "classify") throw input_error("--images", "only for classification sweeps");
    }
    for (const auto& kv : ctx.sources.origin)
        if (ctx.vm.count(kv.first) && kv.first.find('.') != std::string::npos)
            for (const config_key& k : platform_keys())
                if (k.name == kv.first) o.overrides[k.name] = ctx.vm[k.name].as<std::string>();
    std::pair<unsigned, unsigned> shard{0, 1};
    if (ctx.vm.count("shard")) shard = parse_shard(ctx.vm["shard"].as<std::string>());
    unsigned jobs = ctx.vm["jobs"].as<unsigned>();
    if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());

    // Inputs must exist before anything runs.
    std::vector<std::string> nets;
    for (const sweep_point& p : s.points) {
        const std::string n = network_of(s, p);
        if (std::find(nets.begin(), nets.end(), n) == nets.end()) nets.push_back(n);
    }
    for (const std::string& n : nets) {
        const network_file f = read_network_file(n);  // throws naming the file
        if (f.classify() != (s.task == "classify"))
            throw input_error(n, std::string("is a ") + (f.classify() ? "classifier" : "compression network") +
                                     ", the sweep's task (" + sweep_path + ") is " + s.task);
    }
    const bool timing_only = o.timing_only || s.timing_only;
    if (s.task == "classify" && !timing_only) {
        const std::string d = s.dataset.empty() ? default_dataset_path() : resolve(s, s.dataset);
        if (!exists(d)) throw input_error(sweep_path, "\"dataset\": '" + d + "' does not exist");
    }
    if (!s.image.empty() && !exists(resolve(s, s.image)))
        throw input_error(sweep_path, "\"image\": '" + resolve(s, s.image) + "' does not exist");

    std::vector<const sweep_point*> mine;
    for (const sweep_point& p : s.points)
        if (p.index % shard.second == shard.first) mine.push_back(&p);
    const std::string unit = task_unit(s.task);
    std::printf("sweep     %s ('%s', %s): %zu configurations%s, this run: %zu%s\n", sweep_path.c_str(),
                s.name.empty() ? "unnamed" : s.name.c_str(), s.task.c_str(), s.points.size(),
                shard.second > 1 ? (" in " + std::to_string(shard.second) + " shards").c_str() : "", mine.size(),
                shard.second > 1 ? (" (shard " + std::to_string(shard.first) + "/" + std::to_string(shard.second) + ")").c_str() : "");
    std::printf("mode      %s, %s\n", timing_only ? "timing-only (no arithmetic; same times)" : "full simulation",
                s.task == "classify"
                    ? (std::to_string(o.images ? o.images : s.images) + " images per configuration" +
                       (timing_only ? " (zero pixels: timing does not depend on them)" : ""))
                          .c_str()
                    : (s.image.empty() ? ("a synthetic " + std::to_string(s.frame_w) + "x" + std::to_string(s.frame_h) + " frame")
                                       : "frame " + s.image)
                          .c_str());
    if (ctx.vm.count("dry-run")) {
        for (const sweep_point* p : mine) {
            std::printf("  #%zu", p->index);
            for (const auto& kv : p->params) std::printf(" %s=%s", kv.first.c_str(), kv.second.c_str());
            try {
                point_config(s, *p, o.overrides);
            } catch (const config_error& e) {
                std::printf("  (invalid: %s)", e.what());
            }
            std::printf("\n");
        }
        return EXIT_OK;
    }
    make_dirs(out + "/rows");
    make_dirs(out + "/layers");
    make_dirs(out + "/logs");
    {
        nlohmann::json meta{{"sweep", sweep_path},   {"name", s.name},   {"task", s.task},
                            {"identity", s.identity}, {"total", s.points.size()},
                            {"shard", std::to_string(shard.first) + "/" + std::to_string(shard.second)},
                            {"timing_only", timing_only}, {"columns", s.columns}, {"objectives", s.objectives}};
        write_text_file(out + "/sweep.json", meta.dump(2) + "\n");
    }
    jobs = unsigned(std::max<std::size_t>(1, std::min<std::size_t>(jobs, mine.size())));
    std::printf("workers   %u processes, results in %s/\n", jobs, out.c_str());
    std::fflush(stdout);
    std::fflush(stderr);

    const double t0 = now_seconds();
    std::map<pid_t, std::pair<std::size_t, double>> running;  // pid -> (position in mine, start)
    std::vector<point_result> results(mine.size());
    std::size_t next = 0, finished = 0;
    const bool tty = ::isatty(2) != 0;
    while (finished < mine.size()) {
        while (running.size() < jobs && next < mine.size()) {
            const sweep_point& p = *mine[next];
            const pid_t pid = ::fork();
            if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
            if (pid == 0) {
                const std::string log = out + "/logs/" + std::to_string(p.index) + ".log";
                const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
                if (fd >= 0) {
                    ::dup2(fd, 1);
                    ::dup2(fd, 2);
                    ::close(fd);
                }
                int rc = 0;
                point_result r;
                try {
                    r = run_point(s, p, o);
                } catch (const std::exception& e) {
                    r = point_result();
                    r.status = "failed";
                    r.error = e.what();
                }
                try {
                    const std::string row = out + "/rows/" + std::to_string(p.index) + ".json";
                    write_text_file(row + ".tmp", result_json(r).dump() + "\n");
                    if (std::rename((row + ".tmp").c_str(), row.c_str()) != 0) rc = 3;
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "%s\n", e.what());
                    rc = 3;
                }
                std::fflush(stdout);
                std::fflush(stderr);
                _exit(rc);
            }
            running[pid] = {next, now_seconds()};
            ++next;
        }
        int st = 0;
        const pid_t pid = ::waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        }
        auto it = running.find(pid);
        if (it == running.end()) continue;
        const std::size_t k = it->second.first;
        const double took = now_seconds() - it->second.second;
        running.erase(it);
        const sweep_point& p = *mine[k];
        const std::string row = out + "/rows/" + std::to_string(p.index) + ".json";
        point_result r;
        try {
            r = result_from_json(nlohmann::json::parse(read_file(row, 1u << 20, "result")));
        } catch (const std::exception&) {
            r.status = "failed";
            r.error = "the worker ended without a result (" +
                      (WIFEXITED(st) ? "exit " + std::to_string(WEXITSTATUS(st)) : "signal " + std::to_string(WTERMSIG(st))) +
                      "); see " + out + "/logs/" + std::to_string(p.index) + ".log";
        }
        results[k] = r;
        ++finished;
        const double el = now_seconds() - t0;
        const double eta = el / double(finished) * double(mine.size() - finished);
        std::string params;
        for (const auto& kv : p.params) params += " " + kv.first + "=" + kv.second;
        const auto lat = r.metrics.find("latency_per_" + unit + "_us"), en = r.metrics.find("energy_per_" + unit + "_nj");
        std::fprintf(stderr, "%s[%*zu/%zu] #%zu%s: %s", tty ? "\r\033[K" : "", int(std::to_string(mine.size()).size()), finished,
                     mine.size(), p.index, params.c_str(), r.status.c_str());
        if (lat != r.metrics.end() && en != r.metrics.end())
            std::fprintf(stderr, ", %s us and %s nJ per %s", lat->second.c_str(), en->second.c_str(), unit.c_str());
        else if (!r.error.empty())
            std::fprintf(stderr, " (%s)", r.error.substr(0, r.error.find('\n')).c_str());
        std::fprintf(stderr, " [%.2f s; %.0f s left]\n", took, eta);
    }
    const double wall = now_seconds() - t0;

    table t = empty_table(s);
    for (std::size_t k = 0; k < mine.size(); ++k) t.rows.push_back(row_of(s, *mine[k], results[k]));
    table_meta m;
    m.name = s.name;
    m.task = s.task;
    m.unit = unit;
    m.identity = s.identity;
    m.objectives = s.objectives;
    m.shard = std::to_string(shard.first) + "/" + std::to_string(shard.second);
    m.total = s.points.size();
    m.wall_s = wall;
    m.workers = jobs;
    std::printf("ran       %zu configurations in %.2f s wall (%.3f s each on average, %u workers)\n", mine.size(), wall,
                mine.empty() ? 0.0 : wall * jobs / double(mine.size()), jobs);
    finish_table(t, m, out, !ctx.vm.count("no-plot"));
    std::size_t failed = 0;
    for (const point_result& r : results) failed += r.status == "failed";
    return failed ? EXIT_FAILED : EXIT_OK;
}

// ---- merge -----------------------------------------------------------------------------------

int run_merge(context& ctx) {
    const std::vector<std::string> dirs = ctx.vm["merge"].as<std::vector<std::string>>();
    if (!ctx.vm.count("out")) throw input_error("", "no output folder given (--out DIR)");
    const std::string out = ctx.vm["out"].as<std::string>();
    if (dirs.empty()) throw input_error("--merge", "give the result folders to merge");
    table merged;
    std::string identity, name, task, first;
    std::vector<std::string> objectives;
    std::size_t total = 0;
    std::map<long long, std::pair<std::vector<std::string>, std::string>> by_index;  // index -> (row, from)
    for (const std::string& d : dirs) {
        const std::string csv = d + "/results.csv";
        const std::vector<uint8_t> bytes = read_file(csv, 1u << 30, "results table");
        table t = parse_csv(std::string(bytes.begin(), bytes.end()), csv);
        if (t.column("index") != 0 || t.column("status") < 1 || t.column("pareto") < 0)
            throw input_error(csv, "not an `encvp explore` results table (needs the columns index, ..., status, ..., pareto)");
        if (exists(d + "/sweep.json")) {
            const std::vector<uint8_t> mb = read_file(d + "/sweep.json", 1u << 20, "sweep metadata");
            nlohmann::json mj;
            try {
                mj = nlohmann::json::parse(mb.begin(), mb.end());
            } catch (const std::exception& e) {
                throw input_error(d + "/sweep.json", std::string("not valid JSON: ") + e.what());
            }
            const std::string id = mj.value("identity", "");
            if (!identity.empty() && id != identity)
                throw input_error(d + "/sweep.json", "comes from another sweep (identity " + id + ", " + first +
                                                         " has " + identity + "): shards of one sweep only");
            if (identity.empty()) identity = id, first = d;
            name = mj.value("name", name);
            task = mj.value("task", task);
            total = mj.value("total", std::size_t(0));
            if (mj.contains("objectives") && mj["objectives"].is_array())
                objectives = mj["objectives"].get<std::vector<std::string>>();
        }
        if (merged.header.empty()) merged.header = t.header;
        else if (t.header != merged.header)
            throw input_error(csv, "its columns differ from " + dirs.front() + "/results.csv (shards of one sweep only)");
        for (auto& r : t.rows) {
            char* end = nullptr;
            const long long idx = std::strtoll(r[0].c_str(), &end, 10);
            if (r[0].empty() || *end || idx < 0) throw input_error(csv, "row with index '" + r[0] + "' is not a number");
            auto it = by_index.find(idx);
            if (it != by_index.end()) {
                if (it->second.first != r)
                    throw input_error(csv, "configuration " + r[0] + " is also in " + it->second.second +
                                               " with different results");
                continue;
            }
            by_index[idx] = {r, csv};
        }
        // The per-layer tables travel with the rows.
        if (is_dir(d + "/layers")) {
            make_dirs(out + "/layers");
            for (const auto& kv : by_index) {
                const std::string src = d + "/layers/" + std::to_string(kv.first) + ".csv";
                if (kv.second.second == csv && exists(src)) {
                    const std::vector<uint8_t> b = read_file(src, 1u << 26, "layer table");
                    write_text_file(out + "/layers/" + std::to_string(kv.first) + ".csv", std::string(b.begin(), b.end()));
                }
            }
        }
    }
    for (auto& kv : by_index) merged.rows.push_back(std::move(kv.second.first));
    if (task.empty()) task = merged.column("latency_per_image_us") >= 0 ? "classify" : "compress";
    std::printf("merge     %zu folders, %zu configurations", dirs.size(), merged.rows.size());
    if (total) {
        std::vector<std::string> missing;
        for (std::size_t i = 0; i < total; ++i)
            if (!by_index.count((long long)i)) missing.push_back(std::to_string(i));
        if (!missing.empty()) {
            std::string list;
            for (std::size_t i = 0; i < missing.size() && i < 20; ++i) list += (i ? " " : "") + missing[i];
            std::printf(" of %zu: MISSING %zu (%s%s)", total, missing.size(), list.c_str(), missing.size() > 20 ? " ..." : "");
        } else {
            std::printf(" of %zu: complete", total);
        }
    }
    std::printf("\n");
    make_dirs(out);
    table_meta m;
    m.name = name;
    m.task = task;
    m.unit = task_unit(task);
    m.identity = identity;
    m.objectives = objectives;
    for (const std::string& o : m.objectives)
        if (merged.column(o) < 0) throw input_error(dirs.front() + "/sweep.json", "objective '" + o + "' is not a column of the results");
    m.shard = "merged";
    m.total = total;
    nlohmann::json meta{{"name", name},   {"task", task},       {"identity", identity},  {"total", total},
                        {"shard", "merged"}, {"merged_from", dirs}, {"objectives", objectives}};
    write_text_file(out + "/sweep.json", meta.dump(2) + "\n");
    finish_table(merged, m, out, !ctx.vm.count("no-plot"));
    return EXIT_OK;
}

int run_explore(context& ctx) {
    if (ctx.vm.count("merge")) {
        if (ctx.vm.count("sweep")) throw input_error("--merge", "give either --sweep (run) or --merge (join), not both");
        return run_merge(ctx);
    }
    if (!ctx.vm.count("sweep")) throw input_error("", "no sweep file given (--sweep FILE), or --merge DIR... to join results");
    return run_sweep(ctx);
}

}  // namespace

command make_explore_command() {
    command c;
    c.name = "explore";
    c.summary = "design-space sweep: run every configuration of a sweep file on the platform and write a results table "
                "with latency, energy, memory and the Pareto front (docs/estimation-model.md)";
    c.usage = "encvp explore --sweep FILE --out DIR [--jobs N] [--shard i/N] [--timing-only]\n"
              "       encvp explore --merge DIR... --out DIR";
    c.examples =
        "  encvp explore --sweep configs/sweeps/encoder-dse.json --out dse --timing-only\n"
        "  encvp explore --sweep configs/sweeps/encoder-dse.json --out dse-full --images 64 --jobs 8\n"
        "  encvp explore --sweep configs/sweeps/encoder-dse.json --out part3 --shard 3/8 --timing-only\n"
        "  encvp explore --merge part0 part1 part2 part3 part4 part5 part6 part7 --out dse\n"
        "  encvp explore --sweep my.json --out x --dry-run          # list the configurations\n"
        "  scripts/explore-shards-slurm.sh configs/sweeps/encoder-dse.json dse 8   # a Slurm array job\n";
    c.options = [](po::options_description& d, po::positional_options_description&) {
        d.add_options()("sweep", po::value<std::string>()->value_name("FILE"), "sweep file (JSON; docs/estimation-model.md)")
            ("out", po::value<std::string>()->value_name("DIR"), "folder for results.csv, summary.json, plots, per-layer tables")
            ("jobs", po::value<unsigned>()->default_value(0)->value_name("N"), "worker processes; 0 = one per core")
            ("shard", po::value<std::string>()->value_name("i/N"), "run only the configurations with index % N == i (0-based)")
            ("timing-only", "skip the encoder's arithmetic and feed zero pixels (same times, much faster)")
            ("images", po::value<std::size_t>()->value_name("N"), "images per configuration (overrides the sweep file)")
            ("merge", po::value<std::vector<std::string>>()->multitoken()->value_name("DIR..."),
             "join the results of shards (folders written by --shard runs) into --out")
            ("dry-run", "list the configurations (and any invalid one) without running them")
            ("no-plot", "do not call scripts/plot_explore.py");
    };
    c.run = run_explore;
    return c;
}

}  // namespace encvp::cli
