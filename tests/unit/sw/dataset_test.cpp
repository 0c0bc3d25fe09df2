// Datasets: CIFAR-10 binary files (single file and directory) and image folders, written into a
// temporary directory and read back; every refusal names the file and the problem.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/file.h"
#include "dataset/dataset.h"
#include "imageio/image.h"
#include "sw_test_util.h"

using encvp::input_error;
using encvp::sample;

namespace {

const std::vector<std::string> CIFAR_CLASSES = {"airplane", "automobile", "bird", "cat", "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};

// Sample whose R plane is r, G plane g, B plane b, with a per-pixel ramp in the low bits.
sample make_sample(int label, uint8_t r, uint8_t g, uint8_t b) {
    sample s;
    s.label = label;
    s.chw.resize(3072);
    for (int i = 0; i < 1024; ++i) {
        s.chw[std::size_t(i)] = uint8_t(r + i % 7);
        s.chw[std::size_t(1024 + i)] = uint8_t(g + i % 5);
        s.chw[std::size_t(2048 + i)] = uint8_t(b + i % 3);
    }
    return s;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

TEST(CifarBinary, SingleFileRoundTrip) {
    encvp::test::temp_dir dir;
    const std::string path = dir.file("test_batch.bin");
    const std::vector<sample> in = {make_sample(0, 10, 100, 200), make_sample(9, 20, 110, 210), make_sample(4, 30, 120, 220)};
    encvp::write_cifar_binary(path, in);
    // File layout: per record 1 label byte, then the R, G and B planes of 1024 bytes each.
    const std::vector<uint8_t> raw = encvp::read_file(path, 1 << 20);
    ASSERT_EQ(raw.size(), 3u * 3073);
    EXPECT_EQ(raw[3073], 9);
    EXPECT_EQ(raw[3073 + 1], 20);            // R[0] of record 1
    EXPECT_EQ(raw[3073 + 1 + 1024], 110);    // G[0]
    EXPECT_EQ(raw[3073 + 1 + 2048], 210);    // B[0]
    EXPECT_EQ(raw[3073 + 1 + 1023], 20 + 1023 % 7);

    auto ds = encvp::open_dataset(path, CIFAR_CLASSES, 3, 32, 32);
    ASSERT_EQ(ds->size(), 3u);
    EXPECT_EQ(ds->channels, 3u);
    EXPECT_EQ(ds->height, 32u);
    EXPECT_EQ(ds->width, 32u);
    EXPECT_NE(ds->describe().find("3 images"), std::string::npos) << ds->describe();
    sample s;
    for (std::size_t i : {2u, 0u, 1u}) {  // random access, any order
        ds->get(i, s);
        EXPECT_EQ(s.label, in[i].label) << i;
        EXPECT_EQ(s.chw, in[i].chw) << i;
        EXPECT_EQ(s.id, path + "#" + std::to_string(i));
    }
    // Planes in R, G, B order.
    ds->get(1, s);
    EXPECT_EQ(s.chw[0], 20);
    EXPECT_EQ(s.chw[1024], 110);
    EXPECT_EQ(s.chw[2048], 210);
}

TEST(CifarBinary, DirectoryOfBatchesInFileOrder) {
    encvp::test::temp_dir dir;
    encvp::write_cifar_binary(dir.file("data_batch_1.bin"), {make_sample(1, 1, 1, 1), make_sample(2, 2, 2, 2)});
    encvp::write_cifar_binary(dir.file("data_batch_2.bin"), {make_sample(3, 3, 3, 3)});
    encvp::write_cifar_binary(dir.file("test_batch.bin"), {make_sample(4, 4, 4, 4), make_sample(5, 5, 5, 5)});
    encvp::write_text_file(dir.file("batches.meta.txt"), "airplane\n");
    encvp::write_text_file(dir.file("readme.html"), "<p>CIFAR</p>");
    auto ds = encvp::open_dataset(dir.path(), CIFAR_CLASSES, 3, 32, 32);
    ASSERT_EQ(ds->size(), 5u);
    EXPECT_NE(ds->describe().find("3 files"), std::string::npos) << ds->describe();
    sample s;
    const int labels[5] = {1, 2, 3, 4, 5};
    const char* ids[5] = {"data_batch_1.bin#0", "data_batch_1.bin#1", "data_batch_2.bin#0", "test_batch.bin#0", "test_batch.bin#1"};
    for (std::size_t i = 0; i < 5; ++i) {
        ds->get(i, s);
        EXPECT_EQ(s.label, labels[i]) << i;
        EXPECT_EQ(s.chw[0], labels[i]) << i;
        EXPECT_NE(s.id.find(ids[i]), std::string::npos) << s.id;
    }
    // A CIFAR directory with another geometry is refused.
    EXPECT_NE(error_of([&] { encvp::open_dataset(dir.path(), CIFAR_CLASSES, 3, 16, 16); }).find("3x32x32"), std::string::npos);
}

TEST(CifarBinary, SizeNotAMultipleOfARecordIsRefused) {
    encvp::test::temp_dir dir;
    const std::string path = dir.file("data_batch_1.bin");
    encvp::write_cifar_binary(path, {make_sample(0, 0, 0, 0), make_sample(1, 0, 0, 0)});
    std::vector<uint8_t> raw = encvp::read_file(path, 1 << 20);
    raw.resize(raw.size() - 7);  // 6139 bytes
    encvp::write_file(path, raw);
    std::string m = error_of([&] { encvp::open_dataset(path, CIFAR_CLASSES, 3, 32, 32); });
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find("6139"), std::string::npos) << m;
    EXPECT_NE(m.find("3073"), std::string::npos) << m;
    // Through the directory as well.
    m = error_of([&] { encvp::open_dataset(dir.path(), CIFAR_CLASSES, 3, 32, 32); });
    EXPECT_NE(m.find("not a whole number of 3073-byte CIFAR records"), std::string::npos) << m;
    // An empty file holds no record.
    encvp::write_file(path, {});
    m = error_of([&] { encvp::open_dataset(path, CIFAR_CLASSES, 3, 32, 32); });
    EXPECT_NE(m.find("size 0"), std::string::npos) << m;
}

TEST(CifarBinary, LabelOutsideTheClassesIsRefused) {
    encvp::test::temp_dir dir;
    const std::string path = dir.file("test_batch.bin");
    encvp::write_cifar_binary(path, {make_sample(4, 0, 0, 0), make_sample(7, 0, 0, 0), make_sample(5, 0, 0, 0)});
    const std::vector<std::string> five = {"a", "b", "c", "d", "e"};
    std::string m = error_of([&] {
        auto ds = encvp::open_dataset(path, five, 3, 32, 32);
        sample s;
        ds->get(0, s);  // label 4 < 5: fine
        EXPECT_EQ(s.label, 4);
        ds->get(1, s);
    });
    EXPECT_NE(m.find("record 1 has label 7"), std::string::npos) << m;
    EXPECT_NE(m.find("5 classes"), std::string::npos) << m;
    EXPECT_NE(m.find(path), std::string::npos) << m;
    // Label == number of classes is out too.
    m = error_of([&] {
        auto ds = encvp::open_dataset(path, five, 3, 32, 32);
        sample s;
        ds->get(2, s);
    });
    EXPECT_NE(m.find("record 2 has label 5"), std::string::npos) << m;
}

TEST(CifarBinary, OtherRefusals) {
    encvp::test::temp_dir dir;
    EXPECT_NE(error_of([&] { encvp::open_dataset(dir.file("missing.bin"), CIFAR_CLASSES, 3, 32, 32); }).find("dataset not found"),
              std::string::npos);
    encvp::write_text_file(dir.file("labels.txt"), "x");
    EXPECT_NE(error_of([&] { encvp::open_dataset(dir.file("labels.txt"), CIFAR_CLASSES, 3, 32, 32); }).find("not a dataset"),
              std::string::npos);
    encvp::write_cifar_binary(dir.file("one.bin"), {make_sample(0, 0, 0, 0)});
    EXPECT_NE(error_of([&] { encvp::open_dataset(dir.file("one.bin"), CIFAR_CLASSES, 1, 32, 32); }).find("3x32x32"), std::string::npos);
    sample bad;
    bad.chw.resize(100);
    EXPECT_THROW(encvp::write_cifar_binary(dir.file("bad.bin"), {bad}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Image folders
// ---------------------------------------------------------------------------------------------

encvp::image solid(unsigned w, unsigned h, uint8_t r, uint8_t g, uint8_t b) {
    encvp::image img;
    img.width = w;
    img.height = h;
    img.rgb.resize(std::size_t(w) * h * 3);
    for (std::size_t i = 0; i < std::size_t(w) * h; ++i) img.rgb[i * 3] = r, img.rgb[i * 3 + 1] = g, img.rgb[i * 3 + 2] = b;
    // A distinct first pixel, to see the layout.
    img.rgb[0] = uint8_t(r + 1);
    return img;
}

TEST(ImageFolder, ClassSubfoldersGiveLabels) {
    encvp::test::temp_dir dir;
    std::filesystem::create_directories(dir.file("cat"));
    std::filesystem::create_directories(dir.file("dog"));
    encvp::write_png(dir.file("cat/b.png"), solid(8, 4, 10, 20, 30));
    encvp::write_png(dir.file("cat/a.PNG"), solid(8, 4, 40, 50, 60));
    encvp::write_file(dir.file("dog/c.jpg"), encvp::encode_jpeg(solid(8, 4, 100, 150, 200), 100));
    encvp::write_text_file(dir.file("cat/notes.txt"), "not an image");
    encvp::write_text_file(dir.file("README"), "a file at the root is ignored");
    const std::vector<std::string> classes = {"dog", "cat"};
    auto ds = encvp::open_dataset(dir.path(), classes, 3, 4, 8);
    ASSERT_EQ(ds->size(), 3u);
    EXPECT_NE(ds->describe().find("3 images"), std::string::npos);
    sample s;
    // Sorted: cat/a.PNG, cat/b.png, dog/c.jpg.
    ds->get(0, s);
    EXPECT_EQ(s.label, 1);
    EXPECT_NE(s.id.find("cat/a.PNG"), std::string::npos) << s.id;
    ASSERT_EQ(s.chw.size(), 3u * 4 * 8);
    EXPECT_EQ(s.chw[0], 41);   // R plane, first pixel
    EXPECT_EQ(s.chw[1], 40);
    EXPECT_EQ(s.chw[32], 50);  // G plane
    EXPECT_EQ(s.chw[64], 60);  // B plane
    EXPECT_EQ(s.chw, encvp::to_chw(solid(8, 4, 40, 50, 60)));
    ds->get(1, s);
    EXPECT_EQ(s.label, 1);
    EXPECT_NE(s.id.find("cat/b.png"), std::string::npos) << s.id;
    ds->get(2, s);
    EXPECT_EQ(s.label, 0);
    EXPECT_NE(s.id.find("dog/c.jpg"), std::string::npos) << s.id;
    // Pixel (0, 1) of the 8x4 JPEG: R at 8, G at 32 + 8, B at 64 + 8 (lossy: close only).
    EXPECT_NEAR(s.chw[8], 100, 8);
    EXPECT_NEAR(s.chw[32 + 8], 150, 8);
    EXPECT_NEAR(s.chw[64 + 8], 200, 8);
}

TEST(ImageFolder, UnknownFolderNameIsRefused) {
    encvp::test::temp_dir dir;
    std::filesystem::create_directories(dir.file("cat"));
    std::filesystem::create_directories(dir.file("horse"));
    encvp::write_png(dir.file("cat/a.png"), solid(4, 4, 1, 2, 3));
    const std::string m = error_of([&] { encvp::open_dataset(dir.path(), {"cat", "dog"}, 3, 4, 4); });
    EXPECT_NE(m.find("'horse'"), std::string::npos) << m;
    EXPECT_NE(m.find("not one of the network's classes"), std::string::npos) << m;
}

TEST(ImageFolder, WrongImageSizeIsRefused) {
    encvp::test::temp_dir dir;
    std::filesystem::create_directories(dir.file("cat"));
    encvp::write_png(dir.file("cat/small.png"), solid(16, 16, 1, 2, 3));
    auto ds = encvp::open_dataset(dir.path(), {"cat"}, 3, 32, 32);
    sample s;
    const std::string m = error_of([&] { ds->get(0, s); });
    EXPECT_NE(m.find("small.png"), std::string::npos) << m;
    EXPECT_NE(m.find("image is 16x16, the network takes 32x32"), std::string::npos) << m;
}

TEST(ImageFolder, CorruptImageIsAnInputErrorNamingTheFile) {
    encvp::test::temp_dir dir;
    std::filesystem::create_directories(dir.file("cat"));
    std::vector<uint8_t> png = encvp::encode_png(solid(4, 4, 1, 2, 3));
    png.resize(png.size() / 2);
    encvp::write_file(dir.file("cat/broken.png"), png);
    auto ds = encvp::open_dataset(dir.path(), {"cat"}, 3, 4, 4);
    sample s;
    EXPECT_NE(error_of([&] { ds->get(0, s); }).find("broken.png"), std::string::npos);
}

TEST(ImageFolder, EmptyFolderIsRefused) {
    encvp::test::temp_dir dir;
    std::filesystem::create_directories(dir.file("cat"));
    const std::string m = error_of([&] { encvp::open_dataset(dir.path(), {"cat"}, 3, 4, 4); });
    EXPECT_NE(m.find("no class subfolders"), std::string::npos) << m;
}

TEST(ImageFolder, SamplesHaveTheNetworksChannelCount) {
    // A network with one input channel: a sample must hold 1 x H x W values (or the dataset must
    // refuse), never a 3-plane buffer the engine would read as something else.
    encvp::test::temp_dir dir;
    std::filesystem::create_directories(dir.file("cat"));
    encvp::write_png(dir.file("cat/a.png"), solid(4, 4, 9, 9, 9));
    sample s;
    bool refused = false;
    try {
        auto ds = encvp::open_dataset(dir.path(), {"cat"}, 1, 4, 4);
        ds->get(0, s);
    } catch (const input_error&) {
        refused = true;
    }
    if (!refused) {
        EXPECT_EQ(s.chw.size(), 1u * 4 * 4) << "sample has " << s.chw.size() / 16 << " planes for a 1-channel network";
    }
}

}  // namespace
