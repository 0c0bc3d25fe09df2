#include "common/timeline.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace encvp {

timeline* timeline::active_ = nullptr;

namespace {
constexpr int PID = 1;  // one process: the SoC
}

timeline::timeline(const std::string& path) : path_(path) {
    if (active_ != nullptr)
        throw std::runtime_error("timeline '" + path + "': another timeline ('" + active_->path_ + "') is being recorded");
    f_ = std::fopen(path.c_str(), "w");
    if (f_ == nullptr) throw std::runtime_error("cannot write timeline '" + path + "': " + std::strerror(errno));
    std::fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"encvp\",\"time\":\"simulated\"},\n"
               "\"traceEvents\":[\n",
               f_);
    std::fprintf(f_, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":\"encvp SoC (simulated time)\"}}",
                 PID);
    first_ = false;
    active_ = this;
}

timeline::~timeline() { close(); }

bool timeline::close() {
    if (active_ == this) active_ = nullptr;
    if (f_ == nullptr) return true;
    std::fputs("\n]}\n", f_);
    const bool ok = std::ferror(f_) == 0;
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    return ok && closed;
}

void timeline::write_string(const std::string& s) {
    std::fputc('"', f_);
    for (char c : s) {
        if (c == '"' || c == '\\') {
            std::fputc('\\', f_);
            std::fputc(c, f_);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            std::fprintf(f_, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
        } else {
            std::fputc(c, f_);
        }
    }
    std::fputc('"', f_);
}

void timeline::begin_event() {
    std::fputs(first_ ? "" : ",\n", f_);
    first_ = false;
    ++events_;
}

unsigned timeline::track(const std::string& name, int order) {
    auto it = tracks_.find(name);
    if (it != tracks_.end()) return it->second;
    const unsigned tid = unsigned(tracks_.size()) + 1;
    tracks_.emplace(name, tid);
    if (f_ == nullptr) return tid;
    begin_event();
    std::fprintf(f_, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%u,\"args\":{\"name\":", PID, tid);
    write_string(name);
    std::fputs("}}", f_);
    begin_event();
    std::fprintf(f_, "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%d,\"tid\":%u,\"args\":{\"sort_index\":%d}}", PID,
                 tid, order);
    return tid;
}

void timeline::write_args(const std::vector<arg>& args) {
    if (args.empty()) return;
    std::fputs(",\"args\":{", f_);
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i) std::fputc(',', f_);
        write_string(args[i].key);
        std::fputc(':', f_);
        if (args[i].is_text)
            write_string(args[i].text);
        else if (std::isfinite(args[i].number))
            std::fprintf(f_, "%.17g", args[i].number);
        else
            std::fputs("null", f_);
    }
    std::fputc('}', f_);
}

// Times are written in microseconds (the format's unit) with picosecond resolution.
void timeline::slice(unsigned tid, const std::string& name, double begin_s, double end_s, const std::vector<arg>& args) {
    if (f_ == nullptr) return;
    begin_event();
    std::fputs("{\"name\":", f_);
    write_string(name);
    std::fprintf(f_, ",\"ph\":\"X\",\"pid\":%d,\"tid\":%u,\"ts\":%.6f,\"dur\":%.6f", PID, tid, begin_s * 1e6,
                 std::max(0.0, end_s - begin_s) * 1e6);
    write_args(args);
    std::fputc('}', f_);
}

void timeline::instant(unsigned tid, const std::string& name, double at_s, const std::vector<arg>& args) {
    if (f_ == nullptr) return;
    begin_event();
    std::fputs("{\"name\":", f_);
    write_string(name);
    std::fprintf(f_, ",\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%u,\"ts\":%.6f", PID, tid, at_s * 1e6);
    write_args(args);
    std::fputc('}', f_);
}

}  // namespace encvp
