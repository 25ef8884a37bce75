#!/bin/sh
# Collects the engine's small C/C++ dependencies (SQLite, PCRE2, utf8proc as
# static archives, nlohmann/json headers and CMake files) from this Debian
# machine into one prefix, build/gpudeps by default, for a GPU machine that has
# LibTorch, CUDA, cmake and ninja but not these packages and no network
# (tests/bench/gpu_check.sh uses the prefix only when its own configure fails).
# Usage: sh tests/bench/gpu_deps.sh [PREFIX]
set -eu
prefix=${1:-build/gpudeps}
arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$prefix/include" "$prefix/lib" "$prefix/share/cmake"
for header in sqlite3.h sqlite3ext.h pcre2.h utf8proc.h; do
    cp "/usr/include/$header" "$prefix/include/"
done
cp -r /usr/include/nlohmann "$prefix/include/"
cp -r /usr/share/cmake/nlohmann_json "$prefix/share/cmake/"
for library in libsqlite3.a libpcre2-8.a libutf8proc.a; do
    [ -f "/usr/lib/$arch/$library" ] || { echo "gpu_deps.sh: /usr/lib/$arch/$library missing (hint: apt-get install libsqlite3-dev libpcre2-dev libutf8proc-dev)" >&2; exit 1; }
    cp "/usr/lib/$arch/$library" "$prefix/lib/"
done
echo "gpu_deps.sh: $(du -sh "$prefix" | cut -f1) in $prefix"
