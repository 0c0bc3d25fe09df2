// Driver that runs a libFuzzer harness without libFuzzer (any compiler): every file of the seed
// corpus, then a bounded, deterministic mutation run around each seed. This is the short fuzz run
// of the test suite (CTest `fuzz.<harness>`; under scripts/test-sanitize.sh with ASan + UBSan), so
// every harness is exercised on every build; the coverage-guided campaigns use the clang build
// (scripts/fuzz.sh, docs/fuzzing.md).
//
//   fuzz_<name>_replay [--mutations N] [--seed S] FILE_OR_DIR...
//
// A harness reports a finding by aborting (or through the sanitizers); an escaping exception is a
// finding too. Before each input the driver names it on stderr only when ENCVP_FUZZ_VERBOSE is set;
// on a finding it prints the seed file and mutation number so the input can be rebuilt.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <csignal>
#include <unistd.h>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace {

using bytes = std::vector<uint8_t>;

bytes read_all(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// One mutation in the spirit of libFuzzer's: bit flip, byte set to an interesting value, 32-bit
// field set to an interesting value, truncation, block erase, block duplication, byte insertion.
void mutate(bytes& b, std::mt19937_64& rng) {
    static const uint32_t interesting[] = {0u, 1u, 2u, 3u, 7u, 8u, 15u, 16u, 31u, 32u, 63u, 64u, 127u, 128u, 255u,
                                           256u, 1023u, 1024u, 4096u, 32767u, 32768u, 65535u, 65536u,
                                           100000u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu};
    const std::size_t n = b.size();
    auto pos = [&](std::size_t m) { return m == 0 ? 0 : std::size_t(rng() % m); };
    switch (rng() % 8) {
    case 0:
    case 1:
        if (n) b[pos(n)] ^= uint8_t(1u << (rng() % 8));
        break;
    case 2:
        if (n) b[pos(n)] = uint8_t(interesting[rng() % std::size(interesting)]);
        break;
    case 3:
        if (n >= 4) {
            const uint32_t v = interesting[rng() % std::size(interesting)];
            const std::size_t at = pos(n - 3);
            const bool big = rng() & 1;
            for (int i = 0; i < 4; ++i) b[at + std::size_t(i)] = uint8_t(v >> (big ? 24 - 8 * i : 8 * i));
        }
        break;
    case 4:
        b.resize(pos(n + 1));
        break;
    case 5:
        if (n) {
            const std::size_t at = pos(n), len = 1 + pos(std::min<std::size_t>(n - at, 64));
            b.erase(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(std::min(n, at + len)));
        }
        break;
    case 6:
        if (n && n < (1u << 20)) {
            const std::size_t at = pos(n), len = 1 + pos(std::min<std::size_t>(n - at, 64));
            const bytes block(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(at + len));
            b.insert(b.begin() + std::ptrdiff_t(pos(n + 1)), block.begin(), block.end());
        }
        break;
    default:
        b.insert(b.begin() + std::ptrdiff_t(pos(n + 1)), uint8_t(rng()));
        break;
    }
}

// What is running now, for the abort handler (a harness reports a finding by aborting).
char g_current[512] = "";

extern "C" void on_abort(int) {
    static const char head[] = "fuzz_replay: FINDING (abort) on ";
    (void)!::write(2, head, sizeof head - 1);
    (void)!::write(2, g_current, std::strlen(g_current));
    (void)!::write(2, "\n", 1);
    std::signal(SIGABRT, SIG_DFL);
    std::raise(SIGABRT);
}

int usage() {
    std::fprintf(stderr, "usage: fuzz_replay [--mutations N] [--seed S] FILE_OR_DIR...\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned long mutations = 0;
    unsigned long long seed = 1;
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--mutations" || a == "--seed") && i + 1 < argc) {
            char* end = nullptr;
            const unsigned long long v = std::strtoull(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0') return usage();
            if (a == "--mutations") mutations = static_cast<unsigned long>(v);
            else seed = v;
        } else if (!a.empty() && a[0] == '-') {
            return usage();
        } else {
            std::error_code ec;
            if (std::filesystem::is_directory(a, ec)) {
                for (const auto& e : std::filesystem::directory_iterator(a))
                    if (e.is_regular_file() && e.path().filename() != "README.md") files.push_back(e.path());
            } else if (std::filesystem::is_regular_file(a, ec)) {
                files.push_back(a);
            } else {
                std::fprintf(stderr, "fuzz_replay: %s: no such file or directory\n", a.c_str());
                return 2;
            }
        }
    }
    if (files.empty()) return usage();
    std::sort(files.begin(), files.end());
    const bool verbose = std::getenv("ENCVP_FUZZ_VERBOSE") != nullptr;
    std::signal(SIGABRT, on_abort);
    unsigned long long runs = 0;
    for (const auto& f : files) {
        const bytes original = read_all(f);
        std::mt19937_64 rng(seed ^ std::hash<std::string>{}(f.filename().string()));
        for (unsigned long m = 0; m <= mutations; ++m) {
            bytes b = original;
            // Mutation m applies 1..4 stacked mutations (m = 0: the seed itself).
            const unsigned depth = m == 0 ? 0 : 1 + unsigned(rng() % 4);
            for (unsigned d = 0; d < depth; ++d) mutate(b, rng);
            std::snprintf(g_current, sizeof g_current, "%s mutation %lu (seed %llu, --mutations %lu)", f.c_str(), m,
                          seed, mutations);
            if (verbose) std::fprintf(stderr, "fuzz_replay: %s mutation %lu (%zu bytes)\n", f.c_str(), m, b.size());
            try {
                LLVMFuzzerTestOneInput(b.data(), b.size());
            } catch (const std::exception& e) {
                std::fprintf(stderr, "fuzz_replay: FINDING: %s mutation %lu (seed %llu): escaped exception: %s\n",
                             f.c_str(), m, seed, e.what());
                return 1;
            } catch (...) {
                std::fprintf(stderr, "fuzz_replay: FINDING: %s mutation %lu (seed %llu): escaped non-std exception\n",
                             f.c_str(), m, seed);
                return 1;
            }
            ++runs;
        }
    }
    std::printf("fuzz_replay: %llu inputs from %zu seed files, no finding\n", runs, files.size());
    return 0;
}
