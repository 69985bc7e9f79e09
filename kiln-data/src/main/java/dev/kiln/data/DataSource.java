package dev.kiln.data;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where the dataset loaders ({@link FashionMnist}, {@link Mnist}) look for files, in this order:
 * <ol>
 *   <li>{@code folder}: a folder the caller names;</li>
 *   <li>{@code kilnData}{@code /<dataset>} and then {@code kilnData} itself ({@code $KILN_DATA} by default);</li>
 *   <li>{@code systemRoot}{@code /<dataset>}: where Debian's {@code dataset-*} packages install
 *       ({@code /usr/share/datasets});</li>
 *   <li>{@code cacheRoot}{@code /<dataset>}: where downloads go ({@code $XDG_CACHE_HOME/kiln} or
 *       {@code ~/.cache/kiln});</li>
 *   <li>a download from {@code mirror} (or the dataset's official HTTPS source) into that cache folder,
 *       only when {@code downloadAllowed} is set, checked against the published digests.</li>
 * </ol>
 * A null path skips its step. Downloads are off unless asked for, so a program never reaches the
 * network behind its user's back.
 *
 * @param folder          an explicit folder, or null
 * @param kilnData        the {@code KILN_DATA} root, or null
 * @param systemRoot      the system-wide datasets root, or null
 * @param cacheRoot       the download cache root; may be null only when {@code downloadAllowed} is false
 * @param downloadAllowed whether a missing dataset may be downloaded
 * @param mirror          a base URL to download from instead of the official one, or null
 */
public record DataSource(Path folder, Path kilnData, Path systemRoot, Path cacheRoot, boolean downloadAllowed, URI mirror) {

    /** Debian installs {@code dataset-fashion-mnist} into {@code /usr/share/datasets/fashion-mnist}. */
    public static final Path DEBIAN_DATASETS = Path.of("/usr/share/datasets");

    public DataSource {
        if (downloadAllowed && cacheRoot == null) {
            throw new IllegalArgumentException("downloads need a cache folder to go to, but cacheRoot is null; set one with withCacheRoot(...)");
        }
        if (mirror != null) {
            Downloader.checkScheme(mirror);
            if (!mirror.getPath().endsWith("/")) mirror = URI.create(mirror + "/");   // so resolve() appends file names
        }
    }

    /**
     * The usual places: {@code $KILN_DATA} if set, Debian's folder, the user cache; downloads off.
     */
    public static DataSource defaults() {
        String kiln = System.getenv("KILN_DATA");
        return new DataSource(null, kiln == null || kiln.isBlank() ? null : Path.of(kiln), DEBIAN_DATASETS,
                defaultCacheRoot(), false, null);
    }

    /** The defaults, looking first in {@code folder}. */
    public static DataSource folder(Path folder) {
        return defaults().withFolder(folder);
    }

    static Path defaultCacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "kiln");
        return Path.of(System.getProperty("user.home"), ".cache", "kiln");
    }

    public DataSource withFolder(Path folder) {
        return new DataSource(folder, kilnData, systemRoot, cacheRoot, downloadAllowed, mirror);
    }

    public DataSource withKilnData(Path kilnData) {
        return new DataSource(folder, kilnData, systemRoot, cacheRoot, downloadAllowed, mirror);
    }

    public DataSource withSystemRoot(Path systemRoot) {
        return new DataSource(folder, kilnData, systemRoot, cacheRoot, downloadAllowed, mirror);
    }

    public DataSource withCacheRoot(Path cacheRoot) {
        return new DataSource(folder, kilnData, systemRoot, cacheRoot, downloadAllowed, mirror);
    }

    /** This source with downloads allowed (into the cache folder). */
    public DataSource allowingDownload() {
        return new DataSource(folder, kilnData, systemRoot, cacheRoot, true, mirror);
    }

    /** This source downloading from {@code mirror} (a base URL the file names are appended to). */
    public DataSource withMirror(URI mirror) {
        return new DataSource(folder, kilnData, systemRoot, cacheRoot, downloadAllowed, mirror);
    }
}
