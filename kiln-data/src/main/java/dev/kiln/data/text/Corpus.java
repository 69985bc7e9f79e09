package dev.kiln.data.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Plain-text corpora for language models. Kiln ships one in its jar, so the GPT examples run offline:
 * chapters 1 to 30 of Jane Austen's <i>Pride and Prejudice</i> (1813, public domain), 299,712 bytes of
 * ASCII English, extracted from Debian's {@code r-cran-janeaustenr} by
 * {@code tools/text/extract-pride-and-prejudice.sh} (see {@code tools/text/NOTES.md}).
 */
public final class Corpus {
    /** The shipped corpus's name, for {@link #load(String)} and run records. */
    public static final String PRIDE_AND_PREJUDICE = "pride-and-prejudice";
    /** Its SHA-256 as committed; the loader does not check it, it is for provenance records. */
    public static final String PRIDE_AND_PREJUDICE_SHA256 = "3e5f9c3e27e26ccfedf38f0c7db86ba4474c141a43b694caa94a3471f56b35e5";

    private Corpus() {}

    /** The shipped corpus (Pride and Prejudice, chapters 1–30). */
    public static String load() {
        return load(PRIDE_AND_PREJUDICE);
    }

    /**
     * A corpus by name: {@value #PRIDE_AND_PREJUDICE} for the shipped one, otherwise a path to a UTF-8
     * text file (malformed bytes are refused with the file and byte offset, see {@link Texts}).
     */
    public static String load(String nameOrPath) {
        Objects.requireNonNull(nameOrPath, "nameOrPath");
        if (nameOrPath.equals(PRIDE_AND_PREJUDICE)) return resource(PRIDE_AND_PREJUDICE + ".txt");
        return load(Path.of(nameOrPath));
    }

    /** The UTF-8 text of {@code file}; see {@link Texts#readUtf8}. */
    public static String load(Path file) {
        return Texts.readUtf8(file);
    }

    private static String resource(String name) {
        try (InputStream in = Corpus.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("resource dev/kiln/data/text/" + name + " is missing from the classpath; is the kiln-data jar complete?");
            return Texts.decode(in.readAllBytes(), "classpath:dev/kiln/data/text/" + name, Texts.Malformed.REJECT).text();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name + ": " + e.getMessage(), e);
        }
    }
}
