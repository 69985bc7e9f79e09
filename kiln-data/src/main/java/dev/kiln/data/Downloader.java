package dev.kiln.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Downloads a file and checks its digest before anyone can see it.
 *
 * <p>The body goes to a temporary file in the target's folder while its digest is computed; only a file
 * whose digest matches is moved into place, atomically, so a reader never finds a half-written or
 * wrong file at the target path, and an interrupted download leaves nothing behind but (at worst) a
 * {@code .part} file. URLs must be HTTPS; plain HTTP is accepted only for loopback hosts, which is
 * what tests serve from.
 *
 * <p>Thread-safe: {@link HttpClient} is, and this class holds no other state. Concurrent downloads to the
 * same target each use their own temporary file; the last move wins, and both contents are verified.
 * {@link #close()} releases the HTTP client's threads if this downloader created the client.
 */
public final class Downloader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Downloader.class.getName());

    private final HttpClient client;
    private final Duration requestTimeout;
    private final boolean ownsClient;

    /** A downloader that follows redirects (never from HTTPS to HTTP) and gives up connecting after 30 s. */
    public Downloader() {
        this(HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30))
                .build(), Duration.ofMinutes(2), true);
    }

    /**
     * A downloader over {@code client}.
     *
     * @param requestTimeout how long to wait for the response headers (the body may take longer)
     */
    public Downloader(HttpClient client, Duration requestTimeout) {
        this(client, requestTimeout, false);
    }

    private Downloader(HttpClient client, Duration requestTimeout, boolean ownsClient) {
        this.client = Objects.requireNonNull(client, "client");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.ownsClient = ownsClient;
    }

    /** Closes the HTTP client if this downloader created it; a client passed in stays open for its owner. */
    @Override
    public void close() {
        if (ownsClient) client.close();
    }

    /**
     * Downloads {@code url} to {@code target} (its folder is created) and returns {@code target}.
     * An existing file at {@code target} is replaced only after the new one has been verified.
     *
     * @throws DownloadException on a refused URL, an HTTP status other than 200, a network error or a
     *     digest mismatch; the temporary file is deleted in every case
     */
    public Path download(URI url, Path target, Digest expected) {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(expected, "expected");
        checkScheme(url);
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, target.getFileName() + ".", ".part");
            LOG.log(System.Logger.Level.INFO, "downloading {0} to {1}", url, target);
            HttpRequest request = HttpRequest.newBuilder(url).timeout(requestTimeout).GET().build();
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest md = expected.newMessageDigest();
            long bytes;
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new DownloadException("HTTP " + response.statusCode() + " for " + url
                            + (response.uri().equals(url) ? "" : " (redirected to " + response.uri() + ")")
                            + "; expected 200. Check the URL or mirror, or fetch the file by hand into " + dir);
                }
                bytes = Files.copy(new DigestInputStream(body, md), tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            String actual = HexFormat.of().formatHex(md.digest());
            if (!actual.equals(expected.hex())) {
                throw new DownloadException(expected.algorithm() + " mismatch for " + url + ": expected " + expected.hex()
                        + ", got " + actual + " (" + bytes + " bytes). The download was damaged or the server sends a"
                        + " different file; it was deleted. Try again or use another mirror");
            }
            moveIntoPlace(tmp, target);
            tmp = null;
            return target;
        } catch (IOException e) {
            throw new DownloadException("cannot download " + url + " to " + target + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException("download of " + url + " was interrupted", e);
        } finally {
            if (tmp != null) deleteQuietly(tmp);
        }
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Same folder, so this is rare (some network file systems); a plain replace is the best left.
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not delete temporary file {0}: {1}", p, e);
        }
    }

    /** HTTPS everywhere; HTTP only to this machine, so tests can serve files without certificates. */
    static void checkScheme(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) return;
        if (scheme.equals("http") && isLoopback(url.getHost())) return;
        throw new DownloadException("refusing to download " + url + ": Kiln downloads over HTTPS only (plain HTTP is"
                + " accepted for loopback addresses only); use an https:// URL");
    }

    private static boolean isLoopback(String host) {
        if (host == null) return false;
        String h = host.toLowerCase(Locale.ROOT);
        // A literal 127.x.y.y only: a name such as 127.0.0.1.example.com must not pass.
        return h.equals("localhost") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}") || h.equals("[::1]") || h.equals("::1");
    }
}
