// Writes the small generated part of the fuzzers' seed corpora (tests/fuzz/corpus/): random
// networks of both tasks, a small decoder graph, a bitstream, CIFAR records, PNG/JPEG images and
// INI files, through the project's own writers.   usage: make_corpus CORPUS_DIR
#include <cstdio>
#include <exception>
#include <random>
#include <string>
#include <sys/stat.h>

#include "bitstream/bitstream.h"
#include "common/file.h"
#include "dataset/dataset.h"
#include "decoder/edec.h"
#include "imageio/image.h"
#include "netfile/netfile.h"
#include "verify/random_network.h"

using namespace encvp;

namespace {

void put(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
    ::mkdir(dir.c_str(), 0755);
    write_file(dir + "/" + name, bytes);
}

image test_image(unsigned w, unsigned h, std::mt19937& rng) {
    image img;
    img.width = w, img.height = h;
    img.rgb.resize(std::size_t(w) * h * 3);
    for (auto& p : img.rgb) p = uint8_t(rng() % 64 + 96);
    return img;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_corpus CORPUS_DIR\n");
        return 2;
    }
    try {
        const std::string root = argv[1];
        ::mkdir(root.c_str(), 0755);
        std::mt19937 rng(8);
        // Networks: random small ones of both tasks (the real ones are copied next to them).
        for (unsigned i = 0; i < 4; ++i) {
            std::string desc;
            nx::network net;
            do {
                net = make_random_network(i * 5 + 1, rng, desc);
            } while (uint64_t(net.shape.in_c) * net.shape.in_h * net.shape.in_w > 2048);
            std::vector<std::string> classes;
            if (net.shape.classify)
                for (unsigned c = 0; c < net.layers.back().d.out_c; ++c) classes.push_back("c" + std::to_string(c));
            put(root + "/netfile", "random-" + std::to_string(i) + ".enet",
                serialize_network_file(make_network_file(net, "r" + std::to_string(i), classes, {{"seed", i}})));
        }
        // A small decoder graph of the shipped architecture.
        edec_random_spec spec;
        spec.code_channels = 4, spec.w1 = 4, spec.w2 = 4, spec.w3 = 4, spec.blocks1 = 1, spec.blocks2 = 1;
        put(root + "/edec", "small.edec", serialize_edec_file(make_random_edec(spec, 3, "small")));
        spec.kernel = 1, spec.blocks1 = 0, spec.blocks2 = 0, spec.w1 = 4, spec.w2 = 4, spec.w3 = 4;
        put(root + "/edec", "tiny.edec", serialize_edec_file(make_random_edec(spec, 4, "tiny")));
        // Bitstreams: a 40x24 frame of 16-pixel patches with 4x4x4 codes, and one with odd shapes.
        code_stream cs;
        cs.width = 40, cs.height = 24, cs.patch = 16, cs.code_c = 4, cs.code_h = 4, cs.code_w = 4, cs.net_crc = 0x1234;
        cs.codes.resize((cs.total_bits() + 7) / 8);
        for (auto& b : cs.codes) b = uint8_t(rng());
        put(root + "/bitstream", "small.evc", serialize_code_stream(cs));
        cs.width = 9, cs.height = 5, cs.patch = 4, cs.code_c = 3, cs.code_h = 1, cs.code_w = 1;
        cs.codes.assign((cs.total_bits() + 7) / 8, 0);
        cs.codes[0] = 0x2d;
        put(root + "/bitstream", "odd.evc", serialize_code_stream(cs));
        // CIFAR binary: two records.
        std::vector<sample> recs(2);
        for (std::size_t i = 0; i < recs.size(); ++i) {
            recs[i].label = int(i * 7);
            recs[i].chw.resize(3072);
            for (auto& p : recs[i].chw) p = uint8_t(rng());
        }
        ::mkdir((root + "/dataset").c_str(), 0755);
        write_cifar_binary(root + "/dataset/two-records.bin", recs);
        // Images: RGB PNG and JPEGs of a few sizes (the other PNG/JPEG flavours come from PIL).
        const image a = test_image(8, 6, rng), b = test_image(33, 17, rng);
        for (const std::string h : {"image", "image_stream"}) {
            put(root + "/" + h, "rgb-8x6.png", encode_png(a));
            put(root + "/" + h, "rgb-33x17.jpg", encode_jpeg(b, 75));
            put(root + "/" + h, "rgb-8x6-q20.jpg", encode_jpeg(a, 20));
        }
        std::printf("corpus written under %s\n", root.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_corpus: %s\n", e.what());
        return 1;
    }
    return 0;
}
