// encvp classify: classify a dataset on the full platform (firmware, DMA, interrupts, timing) or
// on the golden model; --check runs both and stops at the first image whose logits differ.
// Images are independent: --jobs N runs N platform instances (processes, since SystemC
// elaborates one design per process) on contiguous slices of the dataset.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/network_util.h"
#include "common/error.h"
#include "common/file.h"
#include "common/timeline.h"
#include "dataset/dataset.h"
#include "estimate.h"
#include "golden/golden.h"
#include "session.h"

namespace encvp::cli {

namespace {

struct image_result {
    std::size_t index = 0;
    int label = -1;
    int cls = -1;
    uint32_t cycles = 0;
    std::vector<int32_t> logits;
};

struct worker_summary {
    double sim_seconds = 0;        // simulated time of this worker's platform run
    bool platform_ok = true;
    int exit_code = 0;
    uint32_t job_status = 0;
    std::string fault;
    std::string mismatch;          // first VP/golden difference (--check), or encoder error
    nlohmann::json stats = nlohmann::json::object();
};

std::string logits_string(const std::vector<int32_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

struct classify_setup {
    const network_file& net;
    const compiled_network& comp;
    const dataset& ds;
    bool vp;
    bool check;
    std::size_t batch;
};

// Classifies images [begin, end) in this process, calling emit for each image in order.
worker_summary classify_range(const context& ctx, const classify_setup& su, std::size_t begin, std::size_t end,
                              const std::function<void(const image_result&)>& emit) {
    worker_summary ws;
    const std::size_t classes = su.net.classes.size();
    std::unique_ptr<golden_model> ref;
    if (!su.vp || su.check) ref = std::make_unique<golden_model>(su.net);
    nx::inference_result gr;
    sample smp;
    if (!su.vp) {
        for (std::size_t i = begin; i < end; ++i) {
            su.ds.get(i, smp);
            ref->run(smp.chw.data(), gr);
            emit(image_result{i, smp.label, gr.cls, 0, gr.logits});
        }
        return ws;
    }
    const std::size_t count = end - begin;
    std::vector<std::vector<uint8_t>> pending(std::min(su.batch, std::max<std::size_t>(count, 1)));
    std::vector<int> labels(std::min(su.batch, std::max<std::size_t>(count, 1)), -1);
    image_result res;
    std::unique_ptr<timeline> tl;  // before the session: the models record while it runs
    if (ctx.vm.count("timeline")) tl = std::make_unique<timeline>(ctx.vm["timeline"].as<std::string>());
    session s(ctx.cfg, ctx.vcd_path);
    stream_probe probe("probe", s.chip(), count);
    inference_job job(
        su.comp, count, su.batch,
        [&](std::size_t k, std::vector<uint8_t>& out) {
            su.ds.get(begin + k, smp);
            out = smp.chw;
            labels[k % labels.size()] = smp.label;
            if (su.check) pending[k % pending.size()] = smp.chw;
        },
        [&](const inference_record& r) {
            if (!ws.mismatch.empty()) return;
            const std::size_t i = begin + r.index;
            if (r.status != 0) {
                ws.mismatch = "image " + std::to_string(i) + " (" + su.ds.id(i) + "): encoder error status " + std::to_string(r.status);
                return;
            }
            res.index = i;
            res.label = labels[r.index % labels.size()];
            res.cycles = r.cycles;
            decode_logits(r.output, unsigned(classes), res.logits, res.cls);
            if (su.check) {
                ref->run(pending[r.index % pending.size()].data(), gr);
                if (gr.logits != res.logits || gr.cls != res.cls)
                    ws.mismatch = "image " + std::to_string(i) + " (" + su.ds.id(i) + "): VP logits " +
                                  logits_string(res.logits) + " class " + std::to_string(res.cls) + ", golden logits " +
                                  logits_string(gr.logits) + " class " + std::to_string(gr.cls);
            }
            emit(res);
        });
    const run_outcome out = s.run_jobs({&job});
    ws.sim_seconds = out.sim_seconds;
    ws.exit_code = out.exit_code;
    ws.job_status = job.job_status;
    ws.fault = out.fault;
    ws.platform_ok = out.exited && out.exit_code == 0 && job.job_status == 0;
    ws.stats = s.report(out);
    ws.stats["measurement"] = probe.measurement(job.done, out.sim_seconds);
    if (tl) {
        const uint64_t events = tl->events();
        if (!tl->close()) throw std::runtime_error("error writing timeline '" + tl->path() + "'");
        std::printf("timeline  %s: %llu events (open in ui.perfetto.dev)\n", tl->path().c_str(), (unsigned long long)events);
    }
    return ws;
}

// ---- worker processes: results travel over a pipe as small binary records ----

void write_all(int fd, const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n) {
        const ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(3);
        c += w, n -= std::size_t(w);
    }
}

void send_result(int fd, const image_result& r) {
    const uint64_t idx = r.index;
    const int32_t head[3] = {r.label, r.cls, int32_t(r.cycles)};
    const uint32_t n = uint32_t(r.logits.size());
    write_all(fd, &idx, 8);
    write_all(fd, head, sizeof head);
    write_all(fd, &n, 4);
    write_all(fd, r.logits.data(), 4 * n);
}

void send_summary(int fd, const worker_summary& ws) {
    const uint64_t marker = ~uint64_t(0);
    nlohmann::json j{{"sim_seconds", ws.sim_seconds}, {"platform_ok", ws.platform_ok}, {"exit_code", ws.exit_code},
                     {"job_status", ws.job_status},   {"fault", ws.fault},            {"mismatch", ws.mismatch},
                     {"stats", ws.stats}};
    const std::string text = j.dump();
    const uint32_t len = uint32_t(text.size());
    write_all(fd, &marker, 8);
    write_all(fd, &len, 4);
    write_all(fd, text.data(), len);
}

// Incremental parser of one worker's stream.
struct worker_stream {
    int fd = -1;
    pid_t pid = -1;
    std::string buf;
    bool summary_seen = false;
    worker_summary summary;

    template <class F>
    void parse(F&& on_result) {
        std::size_t pos = 0;
        for (;;) {
            if (buf.size() - pos < 8) break;
            uint64_t idx;
            std::memcpy(&idx, buf.data() + pos, 8);
            if (idx == ~uint64_t(0)) {
                if (buf.size() - pos < 12) break;
                uint32_t len;
                std::memcpy(&len, buf.data() + pos + 8, 4);
                if (buf.size() - pos < 12 + std::size_t(len)) break;
                const nlohmann::json j = nlohmann::json::parse(buf.substr(pos + 12, len));
                summary.sim_seconds = j["sim_seconds"];
                summary.platform_ok = j["platform_ok"];
                summary.exit_code = j["exit_code"];
                summary.job_status = j["job_status"];
                summary.fault = j["fault"];
                summary.mismatch = j["mismatch"];
                summary.stats = j["stats"];
                summary_seen = true;
                pos += 12 + len;
                continue;
            }
            if (buf.size() - pos < 24) break;
            uint32_t n;
            std::memcpy(&n, buf.data() + pos + 20, 4);
            if (buf.size() - pos < 24 + 4 * std::size_t(n)) break;
            image_result r;
            r.index = idx;
            int32_t head[3];
            std::memcpy(head, buf.data() + pos + 8, 12);
            r.label = head[0], r.cls = head[1], r.cycles = uint32_t(head[2]);
            r.logits.resize(n);
            std::memcpy(r.logits.data(), buf.data() + pos + 24, 4 * std::size_t(n));
            on_result(r);
            pos += 24 + 4 * std::size_t(n);
        }
        buf.erase(0, pos);
    }
};

std::vector<worker_summary> run_workers(const context& ctx, const classify_setup& su, std::size_t count, unsigned jobs,
                                        const std::function<void(const image_result&)>& on_result) {
    std::vector<worker_stream> ws(jobs);
    std::fflush(stdout);
    std::fflush(stderr);
    for (unsigned w = 0; w < jobs; ++w) {
        int fds[2];
        if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        const std::size_t b = count * w / jobs, e = count * (w + 1) / jobs;
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        if (pid == 0) {
            ::close(fds[0]);
            for (unsigned o = 0; o < w; ++o) ::close(ws[o].fd);
            int rc = 0;
            try {
                const worker_summary s = classify_range(ctx, su, b, e, [&](const image_result& r) { send_result(fds[1], r); });
                send_summary(fds[1], s);
            } catch (const std::exception& ex) {
                std::fprintf(stderr, "encvp classify (worker %u): %s\n", w, ex.what());
                rc = 4;
            }
            ::close(fds[1]);
            std::fflush(stderr);
            _exit(rc);
        }
        ::close(fds[1]);
        ws[w].fd = fds[0];
        ws[w].pid = pid;
    }
    std::vector<pollfd> pfd;
    std::size_t open_fds = jobs;
    char chunk[1 << 16];
    while (open_fds) {
        pfd.clear();
        for (auto& s : ws)
            if (s.fd >= 0) pfd.push_back({s.fd, POLLIN, 0});
        if (::poll(pfd.data(), pfd.size(), -1) < 0 && errno != EINTR) throw std::runtime_error("poll failed");
        for (auto& p : pfd) {
            if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
            auto it = std::find_if(ws.begin(), ws.end(), [&](const worker_stream& s) { return s.fd == p.fd; });
            const ssize_t n = ::read(p.fd, chunk, sizeof chunk);
            if (n > 0) {
                it->buf.append(chunk, std::size_t(n));
                it->parse(on_result);
            } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                ::close(it->fd);
                it->fd = -1;
                --open_fds;
            }
        }
    }
    std::vector<worker_summary> out;
    for (unsigned w = 0; w < jobs; ++w) {
        int status = 0;
        ::waitpid(ws[w].pid, &status, 0);
        if (!ws[w].summary_seen) {
            worker_summary s;
            s.platform_ok = false;
            s.fault = "worker " + std::to_string(w) + " ended without a result (" +
                      (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                         : "signal " + std::to_string(WTERMSIG(status))) + ")";
            out.push_back(s);
        } else {
            out.push_back(ws[w].summary);
        }
    }
    return out;
}

int run_classify_cmd(context& ctx) {
    const std::string net_path = ctx.vm.count("network") ? ctx.vm["network"].as<std::string>() : default_network_path();
    const std::string data_path = ctx.vm.count("dataset") ? ctx.vm["dataset"].as<std::string>() : default_dataset_path();
    const std::string engine = ctx.vm["engine"].as<std::string>();
    const bool check = ctx.vm.count("check") > 0;
    const std::size_t batch = ctx.vm["batch"].as<std::size_t>();
    if (engine != "vp" && engine != "golden") throw input_error("--engine", "must be 'vp' or 'golden', got '" + engine + "'");
    if (batch == 0) throw input_error("--batch", "must be at least 1");
    if (!ctx.vcd_path.empty() && ctx.vm["jobs"].as<unsigned>() != 1)
        throw input_error("--vcd", "needs --jobs 1 (one platform instance writes the waveform)");
    if (ctx.vm.count("timeline") && (ctx.vm["jobs"].as<unsigned>() != 1 || engine != "vp"))
        throw input_error("--timeline", "needs --jobs 1 and --engine vp (one platform instance records the timeline)");

    const network_file net = read_network_file(net_path);
    if (!net.classify()) throw input_error(net_path, "is a compression network; `encvp classify` needs a classifier");
    const compiled_network comp = compile_network(net, ctx.cfg.sram_size_bits, net_path);  // budget_error carries the table
    auto ds = open_dataset(data_path, net.classes, net.in_c, net.in_h, net.in_w);
    std::size_t count = ds->size();
    if (ctx.vm.count("limit")) count = std::min(count, ctx.vm["limit"].as<std::size_t>());
    unsigned jobs = ctx.vm["jobs"].as<unsigned>();
    if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
    jobs = unsigned(std::max<std::size_t>(1, std::min<std::size_t>(jobs, (count + 63) / 64)));  // >= 64 images each

    print_network_summary(std::cout, net_path, net, comp);
    std::printf("dataset   %s, using %zu\n", ds->describe().c_str(), count);
    std::printf("engine    %s%s, %u %s\n",
                engine == "vp" ? "vp (full platform: firmware, DMA, interrupts, timing)" : "golden (host reference)",
                check ? ", checked against golden" : "", jobs, engine == "vp" ? (jobs > 1 ? "platform instances" : "platform instance")
                                                                              : (jobs > 1 ? "processes" : "process"));
    std::fflush(stdout);

    const std::size_t classes = net.classes.size();
    const std::size_t show = ctx.vm["show"].as<std::size_t>();
    const std::string save_path = ctx.vm.count("save-outputs") ? ctx.vm["save-outputs"].as<std::string>() : "";
    std::vector<image_result> results(count);
    std::vector<bool> have(count, false);
    std::size_t received = 0;
    progress bar(count, "images");
    auto on_result = [&](const image_result& r) {
        if (r.index >= count || have[r.index]) return;
        results[r.index] = r;
        have[r.index] = true;
        bar.update(++received);
    };
    const classify_setup su{net, comp, *ds, engine == "vp", check, batch};
    const double t0 = now_seconds();
    std::vector<worker_summary> sums;
    if (jobs == 1) sums.push_back(classify_range(ctx, su, 0, count, on_result));
    else sums = run_workers(ctx, su, count, jobs, on_result);
    const double wall = now_seconds() - t0;
    bar.finish();

    // Tally in image order.
    std::size_t correct = 0, labelled = 0;
    std::vector<std::size_t> pc_total(classes, 0), pc_correct(classes, 0);
    std::string saved = "index,id,label,class";
    for (std::size_t c = 0; c < classes; ++c) saved += ",logit" + std::to_string(c);
    saved += "\n";
    for (std::size_t i = 0; i < count; ++i) {
        if (!have[i]) continue;
        const image_result& r = results[i];
        if (r.label >= 0) {
            ++labelled;
            ++pc_total[std::size_t(r.label)];
            if (r.label == r.cls) ++correct, ++pc_correct[std::size_t(r.label)];
        }
        if (i < show)
            std::printf("  %-40.40s -> %-12s (label %s)\n", ds->id(i).c_str(), net.classes[std::size_t(r.cls)].c_str(),
                        r.label >= 0 ? net.classes[std::size_t(r.label)].c_str() : "?");
        if (!save_path.empty()) {
            saved += std::to_string(i) + "," + ds->id(i) + "," + std::to_string(r.label) + "," + std::to_string(r.cls);
            for (int32_t v : r.logits) saved += "," + std::to_string(v);
            saved += "\n";
        }
    }

    const run_estimate est = estimate_network(net, ctx.cfg);
    std::vector<nlohmann::json> measurements;
    for (const worker_summary& s : sums)
        if (s.stats.contains("measurement")) measurements.push_back(s.stats["measurement"]);
    const estimate_report full = make_estimate(ctx.cfg, net, comp, measurements);
    const double acc = labelled ? double(correct) / double(labelled) : 0.0;
    std::printf("accuracy  %.2f%% (%zu/%zu)\n", 100 * acc, correct, labelled);
    std::printf("speed     %.0f images/s (%zu images in %.3f s wall, %u %s)\n", received / std::max(1e-9, wall), received, wall,
                jobs, jobs > 1 ? "processes" : "process");
    double sim_per_image = 0, sim_total = 0;
    for (const worker_summary& s : sums) sim_total += s.sim_seconds;
    if (engine == "vp") {
        sim_per_image = received ? sim_total / double(received) : 0;
        std::printf("latency   %.2f us simulated per image on the platform (encoder alone %.2f us = %llu cycles at %.0f MHz)\n",
                    sim_per_image * 1e6, double(est.cycles) / ctx.cfg.encoder.clock_hz * 1e6,
                    (unsigned long long)est.cycles, ctx.cfg.encoder.clock_hz / 1e6);
    } else {
        sim_per_image = double(est.cycles) / ctx.cfg.encoder.clock_hz;
        std::printf("latency   %.2f us per image (encoder timing model, %llu cycles)\n", sim_per_image * 1e6,
                    (unsigned long long)est.cycles);
    }
    print_estimate(std::cout, full);
    if (ctx.vm.count("csv")) write_estimate_csv(ctx.vm["csv"].as<std::string>(), full);
    int rc = EXIT_OK;
    std::string mismatch;
    for (const worker_summary& s : sums) {
        if (mismatch.empty() && !s.mismatch.empty()) mismatch = s.mismatch;
        if (!s.platform_ok) {
            std::printf("platform  FAILED: exit code %d, job status %u%s%s\n", s.exit_code, s.job_status,
                        s.fault.empty() ? "" : ", ", s.fault.c_str());
            rc = EXIT_FAILED;
        }
    }
    if (received != count && rc == EXIT_OK && mismatch.empty()) {
        std::printf("platform  FAILED: %zu of %zu images classified\n", received, count);
        rc = EXIT_FAILED;
    }
    if (!mismatch.empty()) {
        std::printf("check     MISMATCH at %s\n", mismatch.c_str());
        rc = EXIT_FAILED;
    } else if (check) {
        std::printf("check     VP and golden agree on all %zu images (logits and class)\n", received);
    }

    nlohmann::json report = sums.size() == 1 && engine == "vp" ? sums[0].stats : nlohmann::json::object();
    if (sums.size() > 1 && engine == "vp") {
        nlohmann::json inst = nlohmann::json::array();
        for (const worker_summary& s : sums) inst.push_back(s.stats);
        report["instances"] = inst;
    }
    report["command"] = "classify";
    report["engine"] = engine;
    report["jobs"] = jobs;
    report["network"] = {{"path", net_path},
                         {"name", net.name},
                         {"weight_bits", comp.weight_bits},
                         {"sram_bits", comp.sram_bits},
                         {"sram_capacity_bits", comp.sram_capacity_bits}};
    report["dataset"] = data_path;
    report["images"] = received;
    report["correct"] = correct;
    report["accuracy"] = acc;
    report["wall_seconds"] = wall;
    report["images_per_second"] = received / std::max(1e-9, wall);
    report["simulated_seconds_per_image"] = sim_per_image;
    report["encoder_cycles_per_image"] = est.cycles;
    report["layers"] = layers_json(net, est, ctx.cfg.encoder.clock_hz);
    report["estimate"] = estimate_json(full);
    report["peak_rss_bytes"] = peak_rss_bytes();
    report["check"] = check ? (mismatch.empty() ? "pass" : "mismatch") : "off";
    if (!mismatch.empty()) report["mismatch"] = mismatch;
    nlohmann::json pc = nlohmann::json::object();
    for (std::size_t c = 0; c < classes; ++c) pc[net.classes[c]] = {{"images", pc_total[c]}, {"correct", pc_correct[c]}};
    report["per_class"] = pc;
    if (!save_path.empty()) write_text_file(save_path, saved);
    write_report(ctx, report);
    return rc;
}

}  // namespace

command make_classify_command() {
    command c;
    c.name = "classify";
    c.summary = "classify images on the virtual platform (or the golden model) and report accuracy, speed and latency";
    c.usage = "encvp classify [--network FILE] [--dataset PATH] [--limit N] [--engine vp|golden] [--check] [--jobs N] [--report FILE]";
    c.examples =
        "  encvp classify                                       # bundled network and sample images\n"
        "  encvp classify --dataset .data/cifar10-jpeg/test --check --report classify.json\n"
        "  encvp classify --dataset cifar-10-batches-bin/test_batch.bin --engine golden\n"
        "  encvp classify --limit 100 --jobs 1 --encoder.mac_lanes 128 --vcd classify.vcd\n"
        "  encvp classify --limit 20 --jobs 1 --csv layers.csv --timeline classify-trace.json --report run.json\n";
    c.options = [](po::options_description& d, po::positional_options_description&) {
        d.add_options()("network", po::value<std::string>()->value_name("FILE"),
                        "network file (.enet); default configs/networks/cifar10-1mb.enet")
            ("dataset", po::value<std::string>()->value_name("PATH"),
             "CIFAR-10 .bin file or directory, or a folder with one subfolder per class; default configs/samples/cifar10")
            ("limit", po::value<std::size_t>()->value_name("N"), "classify at most N images")
            ("engine", po::value<std::string>()->default_value("vp"), "vp (full platform) or golden (host reference)")
            ("check", "run the VP and the golden model and fail at the first image whose logits differ")
            ("jobs", po::value<unsigned>()->default_value(0)->value_name("N"),
             "platform instances (processes) working on slices of the dataset; 0 = one per core (at least 64 images each)")
            ("batch", po::value<std::size_t>()->default_value(256), "images the host places in DRAM per firmware batch")
            ("show", po::value<std::size_t>()->default_value(0)->value_name("N"), "print the prediction of the first N images")
            ("save-outputs", po::value<std::string>()->value_name("FILE"), "write every image's logits and class as CSV")
            ("csv", po::value<std::string>()->value_name("FILE"),
             "write the per-layer latency/memory/energy estimate as CSV (docs/estimation-model.md)")
            ("timeline", po::value<std::string>()->value_name("FILE"),
             "write a Chrome/Perfetto trace of encoder layers, DMA, interrupts and firmware in simulated time (--jobs 1)");
    };
    c.run = run_classify_cmd;
    return c;
}

}  // namespace encvp::cli
