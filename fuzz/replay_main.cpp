// Replays fuzz inputs without libFuzzer: every file named, and every file in
// every folder named, goes once through LLVMFuzzerTestOneInput. The normal
// (GCC, and sanitizer) test builds run the seed corpora and the crash inputs
// kept in fuzz/regressions/ this way, so a fixed crash stays fixed.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replay(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path path(argv[i]);
        if (!std::filesystem::exists(path)) continue;  // a target may have no regressions yet
        if (!std::filesystem::is_directory(path)) {
            replay(path);
            ++count;
            continue;
        }
        for (const auto& entry : std::filesystem::recursive_directory_iterator(path))
            if (entry.is_regular_file() && entry.path().filename() != ".gitkeep") {
                replay(entry.path());
                ++count;
            }
    }
    std::printf("replayed %zu input(s)\n", count);
    return count == 0 ? 1 : 0;
}
