// The npm tokenizers package (HF tokenizers, Rust) on the same chunks as
// bench_tokenizer.cpp, one encode at a time (single thread).
//   node bench_tokenizer.mjs <node_modules> <tokenizer.json> <text file> [repeats]
// With --make-text <corpus.txt> <out file> <megabytes> it writes the mixed
// benchmark text instead: corpus lines in random order, with ~30% of the words
// replaced by random words (Latin, accented, Cyrillic, CJK, digits) so the
// per-word caches see a realistic share of new words. Seeded: same text every run.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'

function makeText(corpusPath, outPath, megabytes) {
  let seed = 12345
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const pick = (s) => s[Math.floor(random() * s.length)]
  const alphabets = ['abcdefghijklmnopqrstuvwxyz', 'aeiouéèàüößçñ', 'абвгдежзиклмнопрст', '的一是不了人我在有他这中大来上国',
    '0123456789', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ']
  const lines = fs.readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l.length > 0)
  const parts = []
  let size = 0
  while (size < megabytes * 1e6) {
    const words = pick(lines).split(' ').map((w) => {
      if (random() > 0.3) return w
      const alphabet = pick(alphabets)
      let word = ''
      for (let n = 1 + Math.floor(random() * 9); n > 0; n--) word += pick(alphabet)
      return word
    })
    const line = words.join(' ') + '\n'
    parts.push(line)
    size += Buffer.byteLength(line)
  }
  fs.writeFileSync(outPath, parts.join(''))
}

function chunksOf(text) {
  const chunks = []
  const bytes = Buffer.from(text)
  let begin = 0
  while (begin < bytes.length) {
    let end = bytes.indexOf(10, Math.min(bytes.length, begin + 4096))
    end = end < 0 ? bytes.length : end + 1
    chunks.push(bytes.subarray(begin, end).toString())
    begin = end
  }
  return chunks
}

async function bench(modulesDir, tokenizerPath, textPath, repeats) {
  const require = createRequire(path.join(path.resolve(modulesDir), 'noop.js'))
  const { Tokenizer } = require('tokenizers')
  const t0 = performance.now()
  const tokenizer = Tokenizer.fromFile(tokenizerPath)
  const loadSeconds = (performance.now() - t0) / 1000
  const text = fs.readFileSync(textPath, 'utf8')
  const bytes = Buffer.byteLength(text)
  const chunks = chunksOf(text)
  let best = Infinity
  let tokens = 0
  for (let r = 0; r < repeats; r++) {
    tokens = 0
    const start = performance.now()
    for (const chunk of chunks) tokens += (await tokenizer.encode(chunk, null, { addSpecialTokens: false })).getIds().length
    best = Math.min(best, (performance.now() - start) / 1000)
  }
  console.log(JSON.stringify({ impl: 'npm tokenizers', bytes, tokens, seconds: +best.toFixed(3),
    mb_per_s: +(bytes / best / 1e6).toFixed(2), load_seconds: +loadSeconds.toFixed(3) }))
}

const args = process.argv.slice(2)
if (args[0] === '--make-text') makeText(args[1], args[2], Number(args[3]))
else await bench(args[0], args[1], args[2], Number(args[3] ?? 3))
