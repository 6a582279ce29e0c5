// temp_dir: a directory of the test's own, made with mkdtemp (so parallel
// tests and processes never share one) and removed with its files when the
// owner goes. Shared by every test folder and the benchmarks.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace kryptod::test_support {

// A new directory `<parent>/<prefix>-XXXXXX`. Throws std::runtime_error when
// it cannot be made.
inline std::filesystem::path
make_temp_dir(std::string const& prefix = "kryptod-test",
              std::filesystem::path const& parent = std::filesystem::temp_directory_path()) {
    std::string tmpl = (parent / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr)
        throw std::runtime_error("cannot make a temporary directory under " + parent.string());
    return tmpl;
}

struct temp_dir {
    std::filesystem::path path;

    explicit temp_dir(std::string const& prefix = "kryptod-test",
                      std::filesystem::path const& parent = std::filesystem::temp_directory_path())
        : path(make_temp_dir(prefix, parent)) {}
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;
};

} // namespace kryptod::test_support
