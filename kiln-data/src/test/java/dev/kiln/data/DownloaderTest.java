package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {
    @TempDir Path dir;
    private final LocalFileServer server = new LocalFileServer();
    private final Downloader downloader = new Downloader();

    /** A small gzipped IDX file, as the loaders fetch. */
    private static final byte[] LABELS = IdxTest.gzip(IdxTest.raw(new Idx(Idx.Type.UBYTE, new int[] {5}, new float[] {3, 1, 4, 1, 5})));

    @AfterEach
    void stop() {
        server.close();
        downloader.close();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private String[] filesIn(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }

    @Test
    void downloadsVerifiesAndMovesIntoPlace() throws Exception {
        server.serve("/data/labels.gz", LABELS);
        Path target = dir.resolve("cache/sub/labels.gz");
        Path got = downloader.download(server.url("data/labels.gz"), target, Digest.sha256(sha256(LABELS)));
        assertThat(got).isEqualTo(target);
        assertThat(Files.readAllBytes(target)).isEqualTo(LABELS);
        assertThat(Idx.read(target).labels()).containsExactly(3, 1, 4, 1, 5);
        assertThat(filesIn(target.getParent())).containsExactly("labels.gz");   // no .part left
        assertThat(server.requests).containsExactly("/data/labels.gz");
    }

    @Test
    void acceptsMd5WhereThatIsAllThereIs() throws Exception {
        server.serve("/l.gz", LABELS);
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(LABELS));
        downloader.download(server.url("l.gz"), dir.resolve("l.gz"), Digest.md5(md5.toUpperCase()));
        assertThat(dir.resolve("l.gz")).exists();
    }

    @Test
    void checksumMismatchDeletesTheTempFileAndNamesBothDigests() throws Exception {
        server.serve("/l.gz", LABELS);
        String wrong = "0".repeat(64);
        Path target = dir.resolve("l.gz");
        assertThatThrownBy(() -> downloader.download(server.url("l.gz"), target, Digest.sha256(wrong)))
                .isInstanceOf(DownloadException.class)
                .hasMessageContaining("SHA-256 mismatch")
                .hasMessageContaining(server.url("l.gz").toString())
                .hasMessageContaining("expected " + wrong)
                .hasMessageContaining("got " + sha256(LABELS))
                .hasMessageContaining(LABELS.length + " bytes");
        assertThat(filesIn(dir)).isEmpty();
    }

    @Test
    void aFailedDownloadLeavesAnExistingFileAlone() throws Exception {
        server.serve("/l.gz", LABELS);
        Path target = dir.resolve("l.gz");
        Files.writeString(target, "old");
        assertThatThrownBy(() -> downloader.download(server.url("l.gz"), target, Digest.sha256("1".repeat(64))))
                .isInstanceOf(DownloadException.class);
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(filesIn(dir)).containsExactly("l.gz");
    }

    @Test
    void httpErrorNamesStatusAndUrl() throws Exception {
        URI url = server.url("missing.gz");
        assertThatThrownBy(() -> downloader.download(url, dir.resolve("m.gz"), Digest.sha256(sha256(LABELS))))
                .isInstanceOf(DownloadException.class)
                .hasMessageContaining("HTTP 404").hasMessageContaining(url.toString());
        assertThat(filesIn(dir)).isEmpty();
    }

    @Test
    void connectionFailureIsADownloadException() throws Exception {
        URI url = server.url("x.gz");
        server.close();
        assertThatThrownBy(() -> downloader.download(url, dir.resolve("x.gz"), Digest.sha256(sha256(LABELS))))
                .isInstanceOf(DownloadException.class).hasMessageContaining(url.toString());
        assertThat(filesIn(dir)).isEmpty();
    }

    @Test
    void refusesPlainHttpExceptToLoopback() {
        Digest d = Digest.sha256("a".repeat(64));
        for (String url : new String[] {"http://example.com/x.gz", "http://127.0.0.1.example.com/x.gz", "ftp://127.0.0.1/x.gz", "file:///etc/passwd"}) {
            assertThatThrownBy(() -> downloader.download(URI.create(url), dir.resolve("x.gz"), d))
                    .as(url).isInstanceOf(DownloadException.class).hasMessageContaining("HTTPS only");
        }
        assertThat(server.requests).isEmpty();
    }

    @Test
    void digestValidatesItsHex() {
        assertThatThrownBy(() -> Digest.sha256("abc")).hasMessageContaining("64 hex digits");
        assertThatThrownBy(() -> Digest.md5("z".repeat(32))).hasMessageContaining("32 hex digits");
        assertThatThrownBy(() -> new Digest("SHA-1", "a".repeat(40))).hasMessageContaining("SHA-256 or MD5");
        assertThat(Digest.sha256("AB".repeat(32)).hex()).isEqualTo("ab".repeat(32));
    }

    @Test
    void digestMatchesFiles() throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, LABELS);
        assertThat(Digest.sha256(sha256(LABELS)).matches(f)).isTrue();
        assertThat(Digest.sha256("0".repeat(64)).matches(f)).isFalse();
    }
}
