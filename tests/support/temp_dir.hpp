#pragma once
// A fresh folder under /tmp, removed with everything in it when it goes out
// of scope.

#include <filesystem>
#include <string>

namespace opsbot::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    // Writes text to name inside the folder and returns its full path.
    std::string write(const std::string& name, const std::string& text) const;

private:
    std::filesystem::path path_;
};

}  // namespace opsbot::test
