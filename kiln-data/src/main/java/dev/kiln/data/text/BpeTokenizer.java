package dev.kiln.data.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level byte-pair-encoding tokeniser (Sennrich et al. 2016, "Neural Machine Translation of Rare
 * Words with Subword Units"; byte-level as in GPT-2, Radford et al. 2019). The base vocabulary is the
 * 256 byte values, so every string encodes and nothing is out of vocabulary; {@link #train} then adds
 * merges of the most frequent adjacent pair until the vocabulary reaches its target size.
 *
 * <p>Ids: 0 is padding, {@code 1 + b} is byte {@code b} (ids 1..256), {@code 257 + k} is merge {@code k}.
 *
 * <p>Pre-tokenisation, as GPT-2's simplified: text is cut into chunks (an optional space followed by
 * letters, or by digits, or by other symbols; runs of whitespace; English contractions {@code 's 't 're
 * 've 'm 'll 'd}), and merges never cross a chunk. Chunks longer than {@value #MAX_CHUNK} code points
 * are cut into pieces of that length, which keeps encoding linear on pathological input (a megabyte
 * without a space) and changes nothing for natural text.
 *
 * <p>Round trip: {@code decode(encode(s)).equals(s)} for every well-formed string. A string with a lone
 * surrogate (not valid UTF-16, so not encodable as UTF-8) has it encoded as {@code '?'}, as Java's UTF-8
 * encoder does. {@code decode} of ids that do not form whole UTF-8 characters (a model's sample may stop
 * mid-character) writes U+FFFD for the broken bytes rather than fail.
 *
 * <p>Immutable, thread-safe (the encode cache is confined to each call). Saved and restored with
 * {@link #toJson()} / {@link Tokenizers#fromJson}.
 */
public final class BpeTokenizer implements Tokenizer {
    static final String TYPE = "bpe";
    static final String PRETOKENIZER = "gpt2-simplified";

    /** Ids 1..256 are the bytes; the first merge gets this id. */
    public static final int FIRST_MERGE = 257;
    /** Longest chunk, in code points, that merges may span. */
    public static final int MAX_CHUNK = 64;

    private static final Pattern CHUNK = Pattern.compile(
            "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final int[] mergeLeft;     // merge k joins ids mergeLeft[k] and mergeRight[k] into id 257 + k
    private final int[] mergeRight;
    private final Map<Long, Integer> rank;   // pair key -> merge index
    private final byte[][] tokenBytes;       // id -> the bytes it stands for; tokenBytes[0] is empty

    private BpeTokenizer(int[] mergeLeft, int[] mergeRight) {
        this.mergeLeft = mergeLeft;
        this.mergeRight = mergeRight;
        int n = mergeLeft.length;
        this.rank = new HashMap<>(n * 2);
        this.tokenBytes = new byte[FIRST_MERGE + n][];
        tokenBytes[PAD] = new byte[0];
        for (int b = 0; b < 256; b++) tokenBytes[b + 1] = new byte[] {(byte) b};
        for (int k = 0; k < n; k++) {
            int a = mergeLeft[k], b = mergeRight[k], id = FIRST_MERGE + k;
            if (a < 1 || a >= id || b < 1 || b >= id) {
                throw new IllegalArgumentException("merge " + k + " joins ids " + a + " and " + b + ", but a merge may only join ids 1.."
                        + (id - 1) + " (bytes and earlier merges); the merge list is damaged or out of order");
            }
            if (rank.putIfAbsent(key(a, b), k) != null) {
                throw new IllegalArgumentException("merge " + k + " repeats the pair (" + a + ", " + b + ") of merge " + rank.get(key(a, b)));
            }
            byte[] left = tokenBytes[a], right = tokenBytes[b];
            byte[] joined = Arrays.copyOf(left, left.length + right.length);
            System.arraycopy(right, 0, joined, left.length, right.length);
            tokenBytes[id] = joined;
        }
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** The byte-only tokeniser (no merges): 257 ids. */
    public static BpeTokenizer bytes() {
        return new BpeTokenizer(new int[0], new int[0]);
    }

    /**
     * Learns merges on {@code corpus} until the vocabulary (padding and the 256 bytes included) has
     * {@code vocabularySize} ids, or until no adjacent pair occurs twice, whichever comes first (so a
     * small corpus may give a smaller vocabulary; check {@link #vocabularySize()}). Ties between equally
     * frequent pairs go to the smaller (left id, right id), so training is deterministic.
     *
     * <p>Pair counts are kept across merges and updated only for the words a merge touches (each unique
     * chunk once, weighted by its frequency), with a lazily refreshed priority queue, so a few hundred KB
     * trains in about a second.
     */
    public static BpeTokenizer train(String corpus, int vocabularySize) {
        Objects.requireNonNull(corpus, "corpus");
        if (vocabularySize < FIRST_MERGE) {
            throw new IllegalArgumentException("a byte-level BPE vocabulary has at least " + FIRST_MERGE
                    + " ids (padding and 256 bytes), got a target of " + vocabularySize);
        }
        Map<String, int[]> chunkCounts = new LinkedHashMap<>();
        for (String chunk : chunks(corpus)) chunkCounts.computeIfAbsent(chunk, c -> new int[1])[0]++;
        int w = chunkCounts.size();
        int[][] words = new int[w][];
        long[] freq = new long[w];
        int i = 0;
        for (var e : chunkCounts.entrySet()) {
            words[i] = byteIds(e.getKey());
            freq[i++] = e.getValue()[0];
        }

        Map<Long, long[]> counts = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int wi = 0; wi < w; wi++) addPairs(words[wi], wi, freq[wi], counts, where);
        // Entries are (count, key) snapshots; a popped one whose count is stale is skipped.
        PriorityQueue<long[]> queue = new PriorityQueue<>((x, y) -> x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));
        for (var e : counts.entrySet()) queue.add(new long[] {e.getValue()[0], e.getKey()});

        int target = vocabularySize - FIRST_MERGE;
        int[] left = new int[target], right = new int[target];
        int n = 0;
        while (n < target && !queue.isEmpty()) {
            long[] top = queue.poll();
            long[] current = counts.get(top[1]);
            if (current == null || current[0] != top[0]) continue;   // stale snapshot
            if (top[0] < 2) break;                                    // merging singletons learns nothing
            int a = (int) (top[1] >>> 32), b = (int) top[1], id = FIRST_MERGE + n;
            left[n] = a;
            right[n] = b;
            n++;
            Set<Long> changed = new HashSet<>();
            for (int wi : where.remove(top[1])) {
                int[] old = words[wi];
                int[] merged = merge(old, a, b, id);
                if (merged == old) continue;   // the index was stale: an earlier merge took this pair away
                removePairs(old, freq[wi], counts, changed);
                words[wi] = merged;
                addPairs(merged, wi, freq[wi], counts, where);
                collectPairs(merged, changed);
            }
            counts.remove(top[1]);
            for (long k : changed) {
                long[] c = counts.get(k);
                if (c != null && c[0] > 0) queue.add(new long[] {c[0], k});
            }
        }
        return new BpeTokenizer(Arrays.copyOf(left, n), Arrays.copyOf(right, n));
    }

    private static void addPairs(int[] word, int wi, long f, Map<Long, long[]> counts, Map<Long, Set<Integer>> where) {
        for (int j = 0; j + 1 < word.length; j++) {
            long k = key(word[j], word[j + 1]);
            counts.computeIfAbsent(k, x -> new long[1])[0] += f;
            where.computeIfAbsent(k, x -> new HashSet<>()).add(wi);
        }
    }

    private static void removePairs(int[] word, long f, Map<Long, long[]> counts, Set<Long> changed) {
        for (int j = 0; j + 1 < word.length; j++) {
            long k = key(word[j], word[j + 1]);
            long[] c = counts.get(k);
            c[0] -= f;
            if (c[0] == 0) counts.remove(k);
            changed.add(k);
        }
    }

    private static void collectPairs(int[] word, Set<Long> changed) {
        for (int j = 0; j + 1 < word.length; j++) changed.add(key(word[j], word[j + 1]));
    }

    /** {@code word} with each non-overlapping (a, b), left to right, replaced by {@code id}; the same array if none. */
    private static int[] merge(int[] word, int a, int b, int id) {
        int[] out = null;
        int n = 0;
        for (int j = 0; j < word.length; j++) {
            if (j + 1 < word.length && word[j] == a && word[j + 1] == b) {
                if (out == null) {
                    out = new int[word.length - 1];
                    System.arraycopy(word, 0, out, 0, j);
                    n = j;
                }
                out[n++] = id;
                j++;
            } else if (out != null) {
                out[n++] = word[j];
            }
        }
        return out == null ? word : Arrays.copyOf(out, n);
    }

    /** The pre-tokenised chunks of {@code text}; concatenated they give {@code text} back. */
    static List<String> chunks(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = CHUNK.matcher(text);
        while (m.find()) {
            String c = m.group();
            if (c.codePointCount(0, c.length()) <= MAX_CHUNK) {
                out.add(c);
                continue;
            }
            int start = 0;
            while (start < c.length()) {
                int end = c.offsetByCodePoints(start, Math.min(MAX_CHUNK, c.codePointCount(start, c.length())));
                out.add(c.substring(start, end));
                start = end;
            }
        }
        return out;
    }

    private static int[] byteIds(String chunk) {
        byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int j = 0; j < bytes.length; j++) ids[j] = (bytes[j] & 0xFF) + 1;
        return ids;
    }

    @Override
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        Map<String, int[]> cache = new HashMap<>();   // natural text repeats its words; per call keeps this class immutable
        int[] out = new int[Math.max(16, text.length())];
        int n = 0;
        for (String chunk : chunks(text)) {
            int[] ids = cache.computeIfAbsent(chunk, this::encodeChunk);
            if (n + ids.length > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    /** Applies merges by rank: the earliest-learned pair present first, as GPT-2's encoder does. */
    private int[] encodeChunk(String chunk) {
        int[] word = byteIds(chunk);
        while (word.length > 1) {
            int best = Integer.MAX_VALUE;
            for (int j = 0; j + 1 < word.length; j++) {
                Integer r = rank.get(key(word[j], word[j + 1]));
                if (r != null && r < best) best = r;
            }
            if (best == Integer.MAX_VALUE) break;
            word = merge(word, mergeLeft[best], mergeRight[best], FIRST_MERGE + best);
        }
        return word;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int i = 0; i < ids.length; i++) {
            Json.checkId(ids[i], i, vocabularySize());
            bytes.writeBytes(tokenBytes[ids[i]]);
        }
        return bytes.toString(StandardCharsets.UTF_8);   // malformed sequences become U+FFFD, never an exception
    }

    @Override
    public int vocabularySize() {
        return tokenBytes.length;
    }

    @Override
    public int oovId() {
        return NONE;
    }

    /** Number of learned merges ({@code vocabularySize() - 257}). */
    public int numMerges() {
        return mergeLeft.length;
    }

    /** The bytes token {@code id} stands for (empty for padding); a copy. */
    public byte[] tokenBytes(int id) {
        Json.checkId(id, 0, vocabularySize());
        return tokenBytes[id].clone();
    }

    @Override
    public String toJson() {
        ObjectNode o = Json.header(TYPE);
        o.put("pretokenizer", PRETOKENIZER);
        o.put("max_chunk", MAX_CHUNK);
        ArrayNode m = o.putArray("merges");   // flat [left0, right0, left1, right1, ...]: compact in model metadata
        for (int k = 0; k < mergeLeft.length; k++) m.add(mergeLeft[k]).add(mergeRight[k]);
        return Json.write(o);
    }

    static BpeTokenizer fromJson(JsonNode o) {
        String pre = Json.textField(o, "pretokenizer", TYPE);
        int maxChunk = Json.intField(o, "max_chunk", TYPE);
        if (!PRETOKENIZER.equals(pre) || maxChunk != MAX_CHUNK) {
            throw new IllegalArgumentException("bpe tokeniser JSON uses pre-tokeniser '" + pre + "' with chunks of " + maxChunk
                    + " code points; this Kiln knows only '" + PRETOKENIZER + "' with " + MAX_CHUNK + ": upgrade Kiln");
        }
        JsonNode m = Json.arrayField(o, "merges", TYPE);
        if (m.size() % 2 != 0) throw new IllegalArgumentException("bpe tokeniser JSON 'merges' should hold pairs of ids, but has an odd length " + m.size());
        int n = m.size() / 2;
        int[] left = new int[n], right = new int[n];
        for (int k = 0; k < n; k++) {
            JsonNode a = m.get(2 * k), b = m.get(2 * k + 1);
            if (!a.isInt() || !b.isInt()) throw new IllegalArgumentException("bpe tokeniser JSON merge " + k + " is (" + a + ", " + b + "); expected two integer ids");
            left[k] = a.intValue();
            right[k] = b.intValue();
        }
        return new BpeTokenizer(left, right);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BpeTokenizer t && Arrays.equals(mergeLeft, t.mergeLeft) && Arrays.equals(mergeRight, t.mergeRight);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(mergeLeft) * 31 + Arrays.hashCode(mergeRight);
    }

    @Override
    public String toString() {
        return "BpeTokenizer(" + vocabularySize() + " tokens, " + numMerges() + " merges)";
    }
}
