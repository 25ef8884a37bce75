// WordCache: linear probing from the hash's low bits; the shard comes from
// its top four bits, so the two choices do not correlate.
#include "engine/tokenizer/wordcache.h"

#include <functional>
#include <limits>

namespace engine::tok {

std::uint64_t WordCache::hashOf(std::string_view word)
{
    const std::uint64_t hash = std::hash<std::string_view> {}(word);
    return hash == 0 ? 1 : hash;
}

const WordCache::Slot &WordCache::find(const Shard &shard, std::uint64_t hash, std::string_view word)
{
    const std::size_t mask = shard.slots.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot &slot = shard.slots[i];
        if (slot.hash == 0)
            return slot;
        if (slot.hash == hash && slot.keyLength == word.size()
            && std::string_view(shard.keys).substr(slot.keyOffset, slot.keyLength) == word)
            return slot;
    }
}

bool WordCache::lookup(std::string_view word, std::vector<TokenId> &out) const
{
    const std::uint64_t hash = hashOf(word);
    const Shard &shard = shardOf(hash);
    const std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.slots.empty())
        return false;
    const Slot &slot = find(shard, hash, word);
    if (slot.hash == 0)
        return false;
    const TokenId *ids = shard.ids.data() + slot.idsOffset;
    out.insert(out.end(), ids, ids + slot.idCount);
    return true;
}

void WordCache::store(std::string_view word, const TokenId *ids, std::size_t count)
{
    constexpr std::size_t kMax = std::numeric_limits<std::uint16_t>::max();
    if (word.size() > kMax || count > kMax)
        return;
    const std::uint64_t hash = hashOf(word);
    Shard &shard = shardOf(hash);
    const std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.slots.empty() || shard.words >= kSlotsPerShard / 2) { // start over, as a bounded cache
        shard.slots.assign(kSlotsPerShard, Slot {});
        shard.keys.clear();
        shard.ids.clear();
        shard.words = 0;
    }
    Slot &slot = const_cast<Slot &>(find(shard, hash, word));
    if (slot.hash != 0)
        return; // another thread cached it first
    slot = { hash, static_cast<std::uint32_t>(shard.keys.size()), static_cast<std::uint32_t>(shard.ids.size()),
        static_cast<std::uint16_t>(word.size()), static_cast<std::uint16_t>(count) };
    shard.keys.append(word);
    shard.ids.insert(shard.ids.end(), ids, ids + count);
    ++shard.words;
}

std::size_t WordCache::size() const
{
    std::size_t words = 0;
    for (const Shard &shard : m_shards) {
        const std::lock_guard<std::mutex> lock(shard.mutex);
        words += shard.words;
    }
    return words;
}

} // namespace engine::tok
