// Test helper: writes a randomly initialised 16x16-patch compression network with the layer
// structure of docs/compression.md (C = 4 code channels, 0.25 bpp) and a test image whose size is
// not a multiple of the patch size.   usage: make_test_codec OUT_DIR
#include <cmath>
#include <cstdio>
#include <exception>
#include <random>

#include "imageio/image.h"
#include "netfile/netfile.h"
#include "verify/random_network.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_test_codec OUT_DIR\n");
        return 2;
    }
    try {
        const std::string dir = argv[1];
        std::mt19937 rng(11);
        encvp::nx::network net;
        net.shape.in_c = 3, net.shape.in_h = 16, net.shape.in_w = 16, net.shape.classify = false;
        const struct {
            unsigned out, k, s, w, a;
        } spec[] = {{32, 3, 1, 3, 3}, {64, 3, 2, 2, 3}, {64, 3, 2, 2, 3}, {4, 1, 1, 2, 1}};
        unsigned c = 3, h = 16, w = 16, bits = 8;
        for (const auto& l : spec) {
            encvp::nx::layer_params p;
            p.d.in_c = c, p.d.in_h = h, p.d.in_w = w, p.d.in_bits = bits;
            p.d.out_c = l.out, p.d.kernel = l.k, p.d.stride = l.s, p.d.pad = l.k / 2, p.d.w_bits = l.w, p.d.a_bits = l.a;
            encvp::fill_random_layer(p, rng);
            c = p.d.out_c, h = p.d.out_h(), w = p.d.out_w(), bits = p.d.a_bits;
            net.shape.layers.push_back(p.d);
            net.layers.push_back(p);
        }
        encvp::write_network_file(dir + "/test-codec.enet",
                                  encvp::make_network_file(net, "test-codec", {}, {{"tool", "make_test_codec"}}));
        encvp::image img;
        img.width = 100, img.height = 70;
        img.rgb.resize(std::size_t(img.width) * img.height * 3);
        for (unsigned y = 0; y < img.height; ++y)
            for (unsigned x = 0; x < img.width; ++x)
                for (unsigned ch = 0; ch < 3; ++ch)
                    img.px(x, y)[ch] = uint8_t(128 + 100 * std::sin(0.07 * x * (ch + 1) + 0.05 * y) + int(rng() % 9) - 4);
        encvp::write_png(dir + "/test-image.png", img);
        std::printf("wrote %s/test-codec.enet and %s/test-image.png\n", dir.c_str(), dir.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_test_codec: %s\n", e.what());
        return 1;
    }
    return 0;
}
