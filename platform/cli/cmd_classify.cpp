// encvp classify: classify a dataset on the full platform (firmware, DMA, interrupts, timing) or
// on the golden model; --check runs both and stops at the first image whose logits differ.
#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "cli/network_util.h"
#include "common/error.h"
#include "common/file.h"
#include "dataset/dataset.h"
#include "golden/golden.h"
#include "session.h"

namespace encvp::cli {

namespace {

struct tally {
    std::size_t images = 0, correct = 0, labelled = 0;
    uint64_t encoder_cycles = 0;
    std::vector<std::size_t> per_class_total, per_class_correct;
    void add(int label, int cls, std::size_t classes) {
        if (per_class_total.empty()) per_class_total.assign(classes, 0), per_class_correct.assign(classes, 0);
        ++images;
        if (label >= 0) {
            ++labelled;
            ++per_class_total[std::size_t(label)];
            if (label == cls) ++correct, ++per_class_correct[std::size_t(label)];
        }
    }
};

std::string logits_string(const std::vector<int32_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

int run_classify_cmd(context& ctx) {
    const std::string net_path = ctx.vm.count("network") ? ctx.vm["network"].as<std::string>() : default_network_path();
    const std::string data_path = ctx.vm.count("dataset") ? ctx.vm["dataset"].as<std::string>() : default_dataset_path();
    const std::string engine = ctx.vm["engine"].as<std::string>();
    const bool check = ctx.vm.count("check") > 0;
    const std::size_t batch = ctx.vm["batch"].as<std::size_t>();
    if (engine != "vp" && engine != "golden") throw input_error("--engine", "must be 'vp' or 'golden', got '" + engine + "'");
    if (batch == 0) throw input_error("--batch", "must be at least 1");

    const network_file net = read_network_file(net_path);
    if (!net.classify()) throw input_error(net_path, "is a compression network; `encvp classify` needs a classifier");
    compiled_network comp;
    comp = compile_network(net, ctx.cfg.sram_size_bits, net_path);  // budget_error propagates with the table
    auto ds = open_dataset(data_path, net.classes, net.in_c, net.in_h, net.in_w);
    std::size_t count = ds->size();
    if (ctx.vm.count("limit")) count = std::min(count, ctx.vm["limit"].as<std::size_t>());

    print_network_summary(std::cout, net_path, net, comp);
    std::printf("dataset   %s, using %zu\n", ds->describe().c_str(), count);
    std::printf("engine    %s%s\n", engine == "vp" ? "vp (full platform: firmware, DMA, interrupts, timing)" : "golden (host reference)",
                check ? ", checked against golden" : "");
    std::fflush(stdout);

    tally t;
    const std::size_t classes = net.classes.size();
    const std::size_t show = ctx.vm["show"].as<std::size_t>();
    std::vector<int> labels(count, -1);
    std::vector<std::string> ids(count);
    const std::string save_path = ctx.vm.count("save-outputs") ? ctx.vm["save-outputs"].as<std::string>() : "";
    std::string saved = "index,id,label,class";
    for (std::size_t c = 0; c < classes; ++c) saved += ",logit" + std::to_string(c);
    saved += "\n";
    auto save = [&](std::size_t i, int cls, const std::vector<int32_t>& logits) {
        if (save_path.empty()) return;
        saved += std::to_string(i) + "," + ids[i] + "," + std::to_string(labels[i]) + "," + std::to_string(cls);
        for (int32_t v : logits) saved += "," + std::to_string(v);
        saved += "\n";
    };
    std::unique_ptr<golden_model> ref;
    if (engine == "golden" || check) ref = std::make_unique<golden_model>(net);
    nx::inference_result gr;
    progress bar(count, "images");
    nlohmann::json report;
    report["command"] = "classify";
    const double t0 = now_seconds();
    bool mismatch = false;
    std::string mismatch_text;
    run_outcome outcome;
    uint32_t job_status = 0;
    std::vector<uint8_t> chw;
    sample smp;

    auto print_show = [&](std::size_t i, int cls) {
        if (i < show)
            std::printf("  %-40.40s -> %-12s (label %s)\n", ids[i].c_str(), net.classes[std::size_t(cls)].c_str(),
                        labels[i] >= 0 ? net.classes[std::size_t(labels[i])].c_str() : "?");
    };

    if (engine == "golden") {
        for (std::size_t i = 0; i < count; ++i) {
            ds->get(i, smp);
            labels[i] = smp.label;
            ids[i] = smp.id;
            ref->run(smp.chw.data(), gr);
            t.add(smp.label, gr.cls, classes);
            print_show(i, gr.cls);
            save(i, gr.cls, gr.logits);
            bar.update(i + 1);
        }
    } else {
        session s(ctx.cfg, ctx.vcd_path);
        std::vector<std::vector<uint8_t>> pending(std::min(batch, std::max<std::size_t>(count, 1)));
        std::vector<int32_t> logits;
        int cls = -1;
        const inference_stats st = run_inference(
            s, comp, count, batch,
            [&](std::size_t i, std::vector<uint8_t>& out) {
                ds->get(i, smp);
                labels[i] = smp.label;
                ids[i] = smp.id;
                out = smp.chw;
                if (check) pending[i % pending.size()] = smp.chw;
            },
            [&](const inference_record& r) {
                if (mismatch) return;
                if (r.status != 0) {
                    mismatch = true;
                    mismatch_text = "image " + std::to_string(r.index) + " (" + ids[r.index] + "): encoder error status " +
                                    std::to_string(r.status);
                    return;
                }
                decode_logits(r.output, unsigned(classes), logits, cls);
                t.encoder_cycles += r.cycles;
                t.add(labels[r.index], cls, classes);
                print_show(r.index, cls);
                save(r.index, cls, logits);
                if (check) {
                    ref->run(pending[r.index % pending.size()].data(), gr);
                    if (gr.logits != logits || gr.cls != cls) {
                        mismatch = true;
                        mismatch_text = "image " + std::to_string(r.index) + " (" + ids[r.index] + "): VP logits " +
                                        logits_string(logits) + " class " + std::to_string(cls) + ", golden logits " +
                                        logits_string(gr.logits) + " class " + std::to_string(gr.cls);
                    }
                }
                bar.update(t.images);
            });
        outcome = st.run;
        job_status = st.job_status;
        report = s.report(outcome);
        report["command"] = "classify";
        report["job_status"] = job_status;
    }
    bar.finish();
    const double wall = now_seconds() - t0;

    const run_estimate est = estimate_network(net, ctx.cfg);
    const double acc = t.labelled ? double(t.correct) / double(t.labelled) : 0.0;
    std::printf("accuracy  %.2f%% (%zu/%zu)\n", 100 * acc, t.correct, t.labelled);
    std::printf("speed     %.0f images/s (%zu images in %.3f s wall)\n", t.images / std::max(1e-9, wall), t.images, wall);
    double sim_per_image = 0;
    if (engine == "vp") {
        sim_per_image = t.images ? outcome.sim_seconds / double(t.images) : 0;
        std::printf("latency   %.2f us simulated per image on the platform (encoder alone %.2f us = %llu cycles at %.0f MHz)\n",
                    sim_per_image * 1e6, double(est.cycles) / ctx.cfg.encoder.clock_hz * 1e6,
                    (unsigned long long)est.cycles, ctx.cfg.encoder.clock_hz / 1e6);
    } else {
        sim_per_image = double(est.cycles) / ctx.cfg.encoder.clock_hz;
        std::printf("latency   %.2f us per image (encoder timing model, %llu cycles)\n", sim_per_image * 1e6,
                    (unsigned long long)est.cycles);
    }
    int rc = EXIT_OK;
    if (engine == "vp" && (!outcome.exited || outcome.exit_code != 0 || job_status != 0)) {
        std::printf("platform  FAILED: exit code %d, job status %u%s%s\n", outcome.exit_code, job_status,
                    outcome.fault.empty() ? "" : ", ", outcome.fault.c_str());
        rc = EXIT_FAILED;
    }
    if (mismatch) {
        std::printf("check     MISMATCH at %s\n", mismatch_text.c_str());
        rc = EXIT_FAILED;
    } else if (check) {
        std::printf("check     VP and golden agree on all %zu images (logits and class)\n", t.images);
    }

    if (!save_path.empty()) write_text_file(save_path, saved);
    report["engine"] = engine;
    report["network"] = {{"path", net_path},
                         {"name", net.name},
                         {"weight_bits", comp.weight_bits},
                         {"sram_bits", comp.sram_bits},
                         {"sram_capacity_bits", comp.sram_capacity_bits}};
    report["dataset"] = data_path;
    report["images"] = t.images;
    report["correct"] = t.correct;
    report["accuracy"] = acc;
    report["wall_seconds"] = wall;
    report["images_per_second"] = t.images / std::max(1e-9, wall);
    report["simulated_seconds_per_image"] = sim_per_image;
    report["encoder_cycles_per_image"] = est.cycles;
    report["layers"] = layers_json(net, est, ctx.cfg.encoder.clock_hz);
    report["peak_rss_bytes"] = peak_rss_bytes();
    report["check"] = check ? (mismatch ? "mismatch" : "pass") : "off";
    if (mismatch) report["mismatch"] = mismatch_text;
    nlohmann::json pc = nlohmann::json::object();
    for (std::size_t c = 0; c < classes && !t.per_class_total.empty(); ++c)
        pc[net.classes[c]] = {{"images", t.per_class_total[c]}, {"correct", t.per_class_correct[c]}};
    report["per_class"] = pc;
    write_report(ctx, report);
    return rc;
}

}  // namespace

command make_classify_command() {
    command c;
    c.name = "classify";
    c.summary = "classify images on the virtual platform (or the golden model) and report accuracy, speed and latency";
    c.usage = "encvp classify [--network FILE] [--dataset PATH] [--limit N] [--engine vp|golden] [--check] [--report FILE]";
    c.examples =
        "  encvp classify                                       # bundled network and sample images\n"
        "  encvp classify --dataset .data/cifar10-jpeg/test --check --report classify.json\n"
        "  encvp classify --dataset cifar-10-batches-bin/test_batch.bin --engine golden\n"
        "  encvp classify --limit 100 --encoder.mac_lanes 128 --vcd classify.vcd\n";
    c.options = [](po::options_description& d, po::positional_options_description&) {
        d.add_options()("network", po::value<std::string>()->value_name("FILE"),
                        "network file (.enet); default configs/networks/cifar10-1mb.enet")
            ("dataset", po::value<std::string>()->value_name("PATH"),
             "CIFAR-10 .bin file or directory, or a folder with one subfolder per class; default configs/samples/cifar10")
            ("limit", po::value<std::size_t>()->value_name("N"), "classify at most N images")
            ("engine", po::value<std::string>()->default_value("vp"), "vp (full platform) or golden (host reference)")
            ("check", "run the VP and the golden model and fail at the first image whose logits differ")
            ("batch", po::value<std::size_t>()->default_value(256), "images the host places in DRAM per firmware batch")
            ("show", po::value<std::size_t>()->default_value(0)->value_name("N"), "print the prediction of the first N images")
            ("save-outputs", po::value<std::string>()->value_name("FILE"), "write every image's logits and class as CSV");
    };
    c.run = run_classify_cmd;
    return c;
}

}  // namespace encvp::cli
