// The bounded word -> ids cache of BpeModel: per shard one open-addressing
// table in flat arrays, with the words and their ids in two arenas, so a
// lookup touches one slot and one key instead of chasing hash-map nodes (the
// std::unordered_map it replaces was 15 % of tokenizing a dataset with
// Qwen3's tokenizer). A shard that fills up starts over. Thread-safe: every
// shard has its own lock, so threads tokenizing a dataset rarely wait.
#pragma once

#include "engine/tokenizer/tokenizer.h"

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace engine::tok {

class WordCache
{
public:
    static constexpr std::size_t kShards = 16;
    static constexpr std::size_t kSlotsPerShard = std::size_t(1) << 15; // at most half of them in use

    // Appends the cached ids of `word` to out; false if it is not cached.
    bool lookup(std::string_view word, std::vector<TokenId> &out) const;
    // Caches ids for `word` (at most 65,535 bytes and ids; longer ones are ignored).
    void store(std::string_view word, const TokenId *ids, std::size_t count);
    std::size_t size() const; // words cached now

private:
    struct Slot
    {
        std::uint64_t hash = 0; // 0: empty
        std::uint32_t keyOffset = 0;
        std::uint32_t idsOffset = 0;
        std::uint16_t keyLength = 0;
        std::uint16_t idCount = 0;
    };
    struct Shard
    {
        mutable std::mutex mutex;
        std::vector<Slot> slots;
        std::string keys;
        std::vector<TokenId> ids;
        std::size_t words = 0;
    };
    static std::uint64_t hashOf(std::string_view word);
    Shard &shardOf(std::uint64_t hash) const { return m_shards[hash >> 60]; }
    // The slot holding `word`, or the empty slot where it would go.
    static const Slot &find(const Shard &shard, std::uint64_t hash, std::string_view word);

    mutable std::array<Shard, kShards> m_shards;
};

} // namespace engine::tok
