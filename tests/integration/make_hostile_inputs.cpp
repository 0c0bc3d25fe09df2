// Test helper: writes the malformed, truncated, oversized and inconsistent input files of the
// hostile-input CLI tests (tests/integration/CMakeLists.txt, docs/errors.md) into OUT_DIR.
//   usage: make_hostile_inputs OUT_DIR
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "bitstream/bitstream.h"
#include "common/crc32.h"
#include "common/file.h"
#include "dataset/dataset.h"
#include "decoder/edec.h"
#include "imageio/image.h"
#include "netfile/netfile.h"
#include "verify/random_network.h"

using namespace encvp;
using bytes = std::vector<uint8_t>;

namespace {

std::string dir;
void put(const std::string& name, const bytes& b) { write_file(dir + "/" + name, b); }
void put(const std::string& name, const std::string& s) { put(name, bytes(s.begin(), s.end())); }
void put32(bytes& b, std::size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + std::size_t(i)] = uint8_t(v >> (8 * i));
}
void be32(bytes& b, std::size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + std::size_t(i)] = uint8_t(v >> (24 - 8 * i));
}
// A container (.enet/.edec) with JSON `json` and payload, the header CRC right.
bytes container(const char* magic, const std::string& json, const bytes& payload) {
    bytes b(magic, magic + 8);
    b.resize(24);
    put32(b, 8, 1);
    put32(b, 12, uint32_t(json.size()));
    put32(b, 16, uint32_t(payload.size()));
    b.insert(b.end(), json.begin(), json.end());
    b.insert(b.end(), payload.begin(), payload.end());
    put32(b, 20, crc32(b.data() + 24, b.size() - 24));
    return b;
}
// A PNG whose IHDR claims w x h (CRC of the IHDR right), followed by `extra` bytes of nothing.
bytes png_header(uint32_t w, uint32_t h, std::size_t extra) {
    bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    b.resize(29, 0);
    be32(b, 16, w);
    be32(b, 20, h);
    b[24] = 8;  // depth
    b[25] = 2;  // RGB
    b.resize(33);
    be32(b, 29, crc32(b.data() + 12, 17));
    b.resize(b.size() + extra, 0);
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_hostile_inputs OUT_DIR\n");
        return 2;
    }
    try {
        dir = argv[1];
        ::mkdir(dir.c_str(), 0755);
        std::mt19937 rng(5);
        // A small CIFAR-shaped classifier: 3x32x32 -> conv 8 (3x3/s2, pool) -> fc 10.
        nx::network net;
        net.shape.in_c = 3, net.shape.in_h = 32, net.shape.in_w = 32, net.shape.classify = true;
        nx::layer_params conv;
        conv.d.in_c = 3, conv.d.in_h = 32, conv.d.in_w = 32, conv.d.in_bits = 8, conv.d.out_c = 8;
        conv.d.kernel = 3, conv.d.stride = 2, conv.d.pad = 1, conv.d.w_bits = 2, conv.d.a_bits = 3, conv.d.pool = true;
        fill_random_layer(conv, rng);
        nx::layer_params fc;
        fc.d.type = nx::layer_type::fc, fc.d.in_c = 8, fc.d.in_h = conv.d.out_h(), fc.d.in_w = conv.d.out_w();
        fc.d.in_bits = 3, fc.d.out_c = 10, fc.d.w_bits = 2;
        fill_random_layer(fc, rng);
        for (nx::layer_params* l : {&conv, &fc}) {
            net.shape.layers.push_back(l->d);
            net.layers.push_back(*l);
        }
        std::vector<std::string> classes = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
        classes.resize(net.layers.back().d.out_c, "extra");
        const bytes good = serialize_network_file(make_network_file(net, "hostile", classes, nlohmann::json::object()));

        // ---- network files ----
        put("empty.enet", bytes());
        put("magic.enet", std::string("ENCVPXXX") + std::string(40, '\0'));
        {
            bytes b = good;
            put32(b, 8, 7);
            put("version.enet", b);
            b = good;
            put32(b, 12, 0xFFFFFFF0u);  // a 4 GiB JSON header
            put("json-length.enet", b);
            put("truncated.enet", bytes(good.begin(), good.begin() + long(good.size() / 2)));
            b = good;
            b.back() ^= 0x40;
            put("crc.enet", b);
        }
        put("bad-json.enet", container("ENCVPNET", "{\"name\": \"x\", ", {}));
        put("unknown-field.enet",
            container("ENCVPNET",
                      R"({"name":"x","task":"classify","input":{"channels":3,"height":32,"width":32,"bits":8},)"
                      R"("classes":["a"],"layers":[{}],"colour":"blue"})",
                      {}));
        put("huge-layer.enet",
            container("ENCVPNET",
                      R"({"name":"x","task":"compress","input":{"channels":3,"height":1024,"width":1024,"bits":8},)"
                      R"("layers":[{"type":"conv","name":"c","out_channels":100000,"kernel":3,"stride":1,"padding":1,)"
                      R"("groups":1,"weight_bits":2,"act_bits":1,"bias_bits":8,"shift":0,"pool":false,)"
                      R"("weights":{"offset":0,"bytes":0},"bias":{"offset":0,"bytes":0}}]})",
                      {}));
        put("segment.enet",
            container("ENCVPNET",
                      R"({"name":"x","task":"compress","input":{"channels":1,"height":4,"width":4,"bits":8},)"
                      R"("layers":[{"type":"conv","name":"c","out_channels":1,"kernel":1,"stride":1,"padding":0,)"
                      R"("groups":1,"weight_bits":2,"act_bits":1,"bias_bits":8,"shift":0,"pool":false,)"
                      R"("weights":{"offset":4000000,"bytes":1},"bias":{"offset":0,"bytes":1}}]})",
                      bytes(2, 0)));

        // ---- decoder files ----
        put("truncated.edec", bytes(good.begin(), good.begin() + 20));
        put("bad-graph.edec",
            container("ENCVPDEC",
                      R"({"name":"d","code_channels":4,"upscale":1,"encoder":{"name":"e","crc32":0},"provenance":{},)"
                      R"("ops":[{"op":"input_pm1"},{"op":"mark"},{"op":"output"}]})",
                      {}));

        // ---- bitstreams ----
        code_stream cs;
        cs.width = 40, cs.height = 24, cs.patch = 16, cs.code_c = 4, cs.code_h = 4, cs.code_w = 4;
        cs.codes.assign((cs.total_bits() + 7) / 8, 0x5A);
        const bytes evc = serialize_code_stream(cs);
        put("good.evc", evc);
        {
            bytes b = evc;
            put32(b, 12, 100000);  // width
            put32(b, 16, 100000);  // height
            put("huge-frame.evc", b);
            b = evc;
            b[60] ^= 1;
            put("crc.evc", b);
            b = evc;
            std::memcpy(b.data(), "ENCVPEVX", 8);
            put("magic.evc", b);
            b = evc;
            put32(b, 48, 0x7FFFFFFF);  // payload length: 2 GiB
            put("payload-length.evc", b);
            // Entropy-coded, 5-byte payload, header claiming 32768 x 32768 pixels of 4-pixel patches
            // with 256 x 4 x 4 codes each: 34 GB of codes from a 61-byte file.
            b = bytes(evc.begin(), evc.begin() + 52);
            put32(b, 12, 32768), put32(b, 16, 32768);
            b[20] = 4, b[21] = 0, b[22] = 0, b[23] = 1, b[24] = 4, b[25] = 0, b[26] = 4, b[27] = 0;  // patch, code c/h/w
            put32(b, 28, 4096), put32(b, 32, 8192), put32(b, 36, 8192), put32(b, 44, EVC_FLAG_ENTROPY_CODED), put32(b, 48, 5);
            b.resize(52 + 5 + 4, 0);
            put32(b, 57, crc32(b.data(), 57));
            put("entropy-bomb.evc", b);
        }

        // ---- images ----
        put("huge.png", png_header(100000, 100000, 64));
        put("claims-16k.png", png_header(16384, 16384, 200));  // 268 Mpixel in a 233-byte file
        image img;
        img.width = 32, img.height = 32;
        img.rgb.resize(32 * 32 * 3);
        for (auto& p : img.rgb) p = uint8_t(rng());
        const bytes jpg = encode_jpeg(img, 90);
        put("truncated.jpg", bytes(jpg.begin(), jpg.begin() + long(jpg.size() * 6 / 10)));
        {
            bytes b = jpg;  // SOF0 dimensions 65000 x 65000
            for (std::size_t i = 2; i + 9 < b.size(); ++i)
                if (b[i] == 0xFF && b[i + 1] == 0xC0) {
                    b[i + 5] = 0xFD, b[i + 6] = 0xE8, b[i + 7] = 0xFD, b[i + 8] = 0xE8;
                    break;
                }
            put("huge.jpg", b);
        }
        put("not-an-image.png", std::string("this is text, not a picture\n"));

        // ---- datasets ----
        sample s;
        s.chw.assign(3072, 7);
        s.label = 3;
        std::vector<sample> recs = {s, s};
        write_cifar_binary(dir + "/good.bin", recs);
        bytes bin = read_file(dir + "/good.bin", 1 << 20);
        put("short.bin", bytes(bin.begin(), bin.end() - 100));
        bin[3073] = 12;  // the second record's label
        put("label.bin", bin);
        ::mkdir((dir + "/folder-unknown-class").c_str(), 0755);
        ::mkdir((dir + "/folder-unknown-class/giraffe").c_str(), 0755);
        write_png(dir + "/folder-unknown-class/giraffe/0.png", img);
        ::mkdir((dir + "/folder-wrong-size").c_str(), 0755);
        ::mkdir((dir + "/folder-wrong-size/cat").c_str(), 0755);
        image small;
        small.width = 16, small.height = 16;
        small.rgb.assign(16 * 16 * 3, 9);
        write_png(dir + "/folder-wrong-size/cat/0.png", small);
        ::mkdir((dir + "/folder-bad-image").c_str(), 0755);
        ::mkdir((dir + "/folder-bad-image/dog").c_str(), 0755);
        put("folder-bad-image/dog/0.jpg", bytes(jpg.begin(), jpg.begin() + 100));
        put("hostile.enet", good);

        // ---- configuration files ----
        put("syntax.ini", std::string("[dram]\nsize 1MiB\n"));
        put("range.ini", std::string("[bus]\nwidth = 3\n"));
        put("clock.ini", std::string("[cpu]\nclock = 500GHz\n"));
        // A key holding one of Boost's message placeholders (found by fuzz_config: the error message
        // used to loop forever).
        put("placeholder.ini", std::string("[sram]\nw%canonical_option%x = 1\n"));
        // Sweep files (encvp explore).
        put("sweep-key.json", std::string("{\"parameters\": {\"encoder.nope\": [1, 2]}}\n"));
        put("sweep-json.json", std::string("{\"parameters\": \n"));
        put("sweep-value.json", std::string("{\"parameters\": {\"bus.width\": [8, 3]}}\n"));
        put("ber.ini", std::string("[fault]\nsram_ber = 2\n"));
        put("binary.ini", bytes{0xFF, 0xFE, 0x00, '[', 0x01, ']', '\n'});
        std::printf("hostile inputs written to %s\n", dir.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_hostile_inputs: %s\n", e.what());
        return 1;
    }
    return 0;
}
