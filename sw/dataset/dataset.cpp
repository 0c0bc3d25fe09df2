#include "dataset/dataset.h"

#include <algorithm>
#include <dirent.h>
#include <fstream>
#include <map>
#include <sys/stat.h>

#include "common/error.h"
#include "common/file.h"
#include "imageio/image.h"

namespace encvp {

namespace {

bool is_dir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw input_error(dir, "cannot open directory");
    while (dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    if (s.size() < suffix.size()) return false;
    std::string t = s.substr(s.size() - suffix.size());
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return t == suffix;
}

class cifar_binary : public dataset {
public:
    cifar_binary(std::vector<std::string> files, std::size_t num_classes) : files_(std::move(files)), num_classes_(num_classes) {
        for (const std::string& f : files_) {
            struct stat st {};
            if (::stat(f.c_str(), &st) != 0) throw input_error(f, "cannot open CIFAR binary file");
            if (st.st_size == 0 || st.st_size % RECORD)
                throw input_error(f, "size " + std::to_string(st.st_size) + " is not a whole number of 3073-byte CIFAR records");
            start_.push_back(total_);
            total_ += std::size_t(st.st_size) / RECORD;
        }
    }
    std::size_t size() const override { return total_; }
    std::string describe() const override {
        return "CIFAR binary (" + std::to_string(files_.size()) + " file" + (files_.size() > 1 ? "s" : "") + ", " +
               std::to_string(total_) + " images)";
    }
    void get(std::size_t i, sample& out) const override {
        const std::size_t fi = std::size_t(std::upper_bound(start_.begin(), start_.end(), i) - start_.begin()) - 1;
        const std::size_t rec = i - start_[fi];
        std::ifstream in(files_[fi], std::ios::binary);
        uint8_t buf[RECORD];
        in.seekg(std::streamoff(rec * RECORD));
        if (!in.read(reinterpret_cast<char*>(buf), RECORD))
            throw input_error(files_[fi], "cannot read record " + std::to_string(rec));
        if (buf[0] >= num_classes_)
            throw input_error(files_[fi], "record " + std::to_string(rec) + " has label " + std::to_string(buf[0]) +
                                              ", the network has " + std::to_string(num_classes_) + " classes");
        out.label = buf[0];
        out.chw.assign(buf + 1, buf + RECORD);
        out.id = id(i);
    }
    std::string id(std::size_t i) const override {
        const std::size_t fi = std::size_t(std::upper_bound(start_.begin(), start_.end(), i) - start_.begin()) - 1;
        return files_[fi] + "#" + std::to_string(i - start_[fi]);
    }

private:
    static constexpr std::size_t RECORD = 3073;
    std::vector<std::string> files_;
    std::vector<std::size_t> start_;
    std::size_t total_ = 0;
    std::size_t num_classes_;
};

class image_folder : public dataset {
public:
    image_folder(const std::string& root, const std::vector<std::string>& classes) : root_(root) {
        std::map<std::string, int> index;
        for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i]] = int(i);
        for (const std::string& sub : list_dir(root)) {
            const std::string dir = root + "/" + sub;
            if (!is_dir(dir)) continue;
            auto it = index.find(sub);
            if (it == index.end())
                throw input_error(dir, "folder name '" + sub + "' is not one of the network's classes");
            for (const std::string& f : list_dir(dir))
                if (ends_with(f, ".png") || ends_with(f, ".jpg") || ends_with(f, ".jpeg"))
                    items_.push_back({dir + "/" + f, it->second});
        }
        if (items_.empty()) throw input_error(root, "no class subfolders with .png/.jpg images found");
    }
    std::size_t size() const override { return items_.size(); }
    std::string describe() const override { return "image folder " + root_ + " (" + std::to_string(items_.size()) + " images)"; }
    void get(std::size_t i, sample& out) const override {
        image_limits lim;
        lim.max_file_bytes = 16u << 20;
        const image img = read_image(items_[i].first, lim);
        if (img.width != width || img.height != height)
            throw input_error(items_[i].first, "image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                                                   ", the network takes " + std::to_string(width) + "x" + std::to_string(height));
        out.chw = to_chw(img);
        out.label = items_[i].second;
        out.id = items_[i].first;
    }
    std::string id(std::size_t i) const override { return items_[i].first; }

private:
    std::string root_;
    std::vector<std::pair<std::string, int>> items_;
};

}  // namespace

std::unique_ptr<dataset> open_dataset(const std::string& path, const std::vector<std::string>& classes, unsigned channels,
                                      unsigned height, unsigned width) {
    std::unique_ptr<dataset> ds;
    if (!is_dir(path)) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) throw input_error(path, "dataset not found");
        if (!ends_with(path, ".bin")) throw input_error(path, "not a dataset: expected a CIFAR .bin file or a directory");
        if (channels != 3 || height != 32 || width != 32)
            throw input_error(path, "CIFAR binary images are 3x32x32, the network takes " + std::to_string(channels) + "x" +
                                        std::to_string(height) + "x" + std::to_string(width));
        ds = std::make_unique<cifar_binary>(std::vector<std::string>{path}, classes.size());
    } else {
        std::vector<std::string> bins;
        for (const std::string& f : list_dir(path))
            if ((f.rfind("data_batch_", 0) == 0 || f == "test_batch.bin") && ends_with(f, ".bin")) bins.push_back(path + "/" + f);
        if (!bins.empty()) {
            if (channels != 3 || height != 32 || width != 32)
                throw input_error(path, "CIFAR binary images are 3x32x32, the network takes another geometry");
            // Test batch last so that "a directory" means train then test, in file order.
            ds = std::make_unique<cifar_binary>(bins, classes.size());
        } else {
            if (channels != 3)
                throw input_error(path, "image folders hold RGB images, the network takes " + std::to_string(channels) +
                                            "-channel inputs");
            ds = std::make_unique<image_folder>(path, classes);
        }
    }
    ds->channels = channels;
    ds->height = height;
    ds->width = width;
    return ds;
}

void write_cifar_binary(const std::string& path, const std::vector<sample>& samples) {
    std::vector<uint8_t> out;
    for (const sample& s : samples) {
        if (s.chw.size() != 3072) throw std::invalid_argument("CIFAR records hold 3x32x32 images");
        out.push_back(uint8_t(s.label));
        out.insert(out.end(), s.chw.begin(), s.chw.end());
    }
    write_file(path, out);
}

}  // namespace encvp
