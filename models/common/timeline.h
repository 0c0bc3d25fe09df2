// Timeline recorder: what each block did when, in simulated time, written as a Chrome/Perfetto
// trace-event JSON file (open it in ui.perfetto.dev or chrome://tracing). One track per block
// (encoder layers, DMA channels, interrupt lines, the CPU's busy and wait-for-interrupt periods).
//
// Models record only while a recorder is active: `if (timeline* t = timeline::active()) ...` is
// the whole cost when it is off. Events stream to the file as they happen, so memory stays flat
// however long the run; the JSON is closed when the recorder is destroyed (or close()).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace encvp {

class timeline {
public:
    // One argument shown with an event: a number or, when `text` is set, a string.
    struct arg {
        arg(const char* k, double v) : key(k), number(v) {}
        arg(const char* k, std::string v) : key(k), text(std::move(v)), is_text(true) {}
        const char* key;
        double number = 0;
        std::string text;
        bool is_text = false;
    };

    // Creates the file and makes this the active recorder (one at a time). Throws
    // std::runtime_error naming the path when the file cannot be written or one is already active.
    explicit timeline(const std::string& path);
    ~timeline();
    timeline(const timeline&) = delete;
    timeline& operator=(const timeline&) = delete;

    // The active recorder, or nullptr when timelines are off.
    static timeline* active() { return active_; }

    // A track (a row in the viewer), created on first use; `order` sorts the rows.
    unsigned track(const std::string& name, int order);
    // A slice [begin_s, end_s) of simulated time on a track.
    void slice(unsigned track, const std::string& name, double begin_s, double end_s,
               const std::vector<arg>& args = {});
    // A point in time on a track.
    void instant(unsigned track, const std::string& name, double at_s, const std::vector<arg>& args = {});

    uint64_t events() const { return events_; }
    const std::string& path() const { return path_; }
    // Finishes the JSON and deactivates the recorder; returns false if writing failed.
    bool close();

private:
    void begin_event();
    void write_args(const std::vector<arg>& args);
    void write_string(const std::string& s);

    static timeline* active_;
    std::string path_;
    std::FILE* f_ = nullptr;
    std::map<std::string, unsigned> tracks_;
    uint64_t events_ = 0;
    bool first_ = true;
};

}  // namespace encvp
