package dev.kiln.serve;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The models a server answers for, by name and version, and the loading of them.
 *
 * <p>Two sources: single files ({@code a.kiln} served as model {@code a}, version 1), and a models folder
 * laid out as {@code <name>/<version>/model.kiln} (versions are positive integers, as in TF Serving) that
 * {@link #scan} reads again and again. A new or changed file is loaded completely before it is published,
 * so the versions already served keep answering until then; the highest loaded version is what
 * {@code /v1/models/{name}:predict} uses. A file that fails to load is refused with a logged reason, kept
 * out of service, and not retried until it changes (size or modification time), so a half-copied file is
 * picked up once the copy completes.
 *
 * <p>Confinement: names and versions come from the folder listing, never from a request; each file's real
 * path (after symbolic links) must lie inside the models folder's real path, or it is refused. Only Kiln
 * model files are read, which never executes code.
 *
 * <p>Thread-safety: lookups are lock-free reads of immutable maps that {@link #scan} replaces whole;
 * scans are serialised.
 */
final class ModelRegistry implements AutoCloseable {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");
    static final String FILE_NAME = "model.kiln";
    private static final System.Logger LOG = System.getLogger("dev.kiln.serve");

    /** A loaded model version and its batching queue. */
    record Served(String name, long version, Predictor predictor, Batcher batcher, long loadNanos, Instant loadedAt, FileKey key) {}

    /** A file that could not be loaded, and why (paths shown relative to the models folder). */
    record Refused(String name, long version, String reason, FileKey key) {}

    /** What identifies one state of a file: a change in either means "load it again". */
    record FileKey(long size, long modifiedMillis) {
        static FileKey of(Path p) throws IOException {
            return new FileKey(Files.size(p), Files.getLastModifiedTime(p).toMillis());
        }
    }

    private final ServerConfig config;
    private final Metrics metrics;
    private final Path root;   // real path of the models folder, or null
    private final Set<String> fileNames = ConcurrentHashMap.newKeySet();   // models not from the folder: scans keep them
    private volatile Map<String, NavigableMap<Long, Served>> models = Map.of();
    private volatile Map<String, NavigableMap<Long, Refused>> refused = Map.of();

    ModelRegistry(ServerConfig config, Metrics metrics) throws IOException {
        this.config = config;
        this.metrics = metrics;
        if (config.modelsDir() != null) {
            if (!Files.isDirectory(config.modelsDir())) {
                throw new IOException("models folder " + config.modelsDir() + " does not exist or is not a folder; create it with <name>/<version>/model.kiln inside");
            }
            root = config.modelsDir().toRealPath();
        } else {
            root = null;
        }
    }

    /** Loads the single model files; any that fails stops the start, since the user named it. */
    synchronized void loadFiles() throws IOException {
        Map<String, NavigableMap<Long, Served>> next = new TreeMap<>(models);
        for (Path f : config.modelFiles()) {
            String file = f.getFileName().toString();
            String name = file.endsWith(".kiln") ? file.substring(0, file.length() - 5) : file;
            if (!NAME.matcher(name).matches()) {
                throw new IOException(f + ": model name '" + name + "' may hold only letters, digits, '_', '.' and '-'; rename the file");
            }
            if (next.containsKey(name)) throw new IOException(f + ": a model named '" + name + "' is already served; rename one of the files");
            if (!Files.isRegularFile(f)) throw new IOException("model file not found: " + f);
            Served s = load(name, 1, f, FileKey.of(f));
            fileNames.add(name);
            next.put(name, Collections.unmodifiableNavigableMap(new TreeMap<>(Map.of(1L, s))));
        }
        models = Collections.unmodifiableMap(next);
    }

    /** Serves a model already in memory as version 1 of {@code name}; folder scans leave it alone. */
    synchronized void addInMemory(String name, Predictor predictor) throws IOException {
        if (!NAME.matcher(name).matches()) throw new IOException("model name '" + name + "' may hold only letters, digits, '_', '.' and '-'");
        if (models.containsKey(name)) throw new IOException("a model named '" + name + "' is already served; choose another name");
        Batcher b = new Batcher(predictor, name, 1, config.maxBatchSize(), config.maxQueueDelay(), config.queueCapacity(), metrics);
        Served s = new Served(name, 1, predictor, b, 0, Instant.now(), null);
        Map<String, NavigableMap<Long, Served>> next = new TreeMap<>(models);
        next.put(name, Collections.unmodifiableNavigableMap(new TreeMap<>(Map.of(1L, s))));
        fileNames.add(name);
        models = Collections.unmodifiableMap(next);
    }

    /** Reads the models folder once: loads new and changed versions, drops removed ones. */
    synchronized void scan() {
        if (root == null) return;
        Map<String, NavigableMap<Long, Served>> current = models;
        Map<String, NavigableMap<Long, Served>> next = new TreeMap<>();
        Map<String, NavigableMap<Long, Refused>> nextRefused = new TreeMap<>();
        List<Served> retired = new ArrayList<>();
        for (String name : fileNames) next.put(name, current.get(name));
        for (Path dir : list(root)) {
            String name = dir.getFileName().toString();
            if (!NAME.matcher(name).matches() || fileNames.contains(name) || !Files.isDirectory(dir)) continue;
            NavigableMap<Long, Served> had = current.getOrDefault(name, Collections.emptyNavigableMap());
            NavigableMap<Long, Refused> hadRefused = refused.getOrDefault(name, Collections.emptyNavigableMap());
            TreeMap<Long, Served> versions = new TreeMap<>();
            TreeMap<Long, Refused> refusedVersions = new TreeMap<>();
            for (Path vdir : list(dir)) {
                String v = vdir.getFileName().toString();
                if (!VERSION.matcher(v).matches()) continue;
                long version = Long.parseLong(v);
                Path file = vdir.resolve(FILE_NAME);
                if (!Files.isRegularFile(file)) continue;
                Served old = had.get(version);
                FileKey key;
                Path real;
                try {
                    key = FileKey.of(file);
                    real = file.toRealPath();
                } catch (IOException e) {
                    if (old != null) versions.put(version, old);   // vanished while we looked: keep what works
                    continue;
                }
                if (old != null && old.key().equals(key)) {
                    versions.put(version, old);
                    continue;
                }
                Refused r = hadRefused.get(version);
                if (r != null && r.key().equals(key)) {
                    refusedVersions.put(version, r);
                    if (old != null) versions.put(version, old);
                    continue;
                }
                try {
                    if (!real.startsWith(root)) {
                        throw new IOException(name + "/" + v + "/" + FILE_NAME + " links outside the models folder; only files inside it are served");
                    }
                    versions.put(version, load(name, version, real, key));
                    if (old != null) retired.add(old);
                } catch (IOException | RuntimeException e) {
                    String reason = relative(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
                    LOG.log(System.Logger.Level.WARNING, "refused model " + name + " version " + version + ": " + reason
                            + (old != null ? " (version " + version + " as loaded before stays in service)" : ""));
                    metrics.loadFailures.increment();
                    refusedVersions.put(version, new Refused(name, version, reason, key));
                    if (old != null) versions.put(version, old);
                }
            }
            if (!versions.isEmpty()) next.put(name, Collections.unmodifiableNavigableMap(versions));
            if (!refusedVersions.isEmpty()) nextRefused.put(name, Collections.unmodifiableNavigableMap(refusedVersions));
            for (var e : had.entrySet()) if (!versions.containsKey(e.getKey())) retired.add(e.getValue());
        }
        for (var e : current.entrySet()) {
            if (!next.containsKey(e.getKey())) retired.addAll(e.getValue().values());
        }
        models = Collections.unmodifiableMap(next);
        refused = Collections.unmodifiableMap(nextRefused);
        // Retired versions are no longer found by new requests; their batchers finish what is queued.
        for (Served s : retired) {
            LOG.log(System.Logger.Level.INFO, "unloading model " + s.name() + " version " + s.version());
            s.batcher().close();
        }
    }

    private Served load(String name, long version, Path file, FileKey key) throws IOException {
        long t0 = System.nanoTime();
        Predictor p = Predictor.load(file);
        long nanos = System.nanoTime() - t0;
        Batcher b = new Batcher(p, name, version, config.maxBatchSize(), config.maxQueueDelay(), config.queueCapacity(), metrics);
        LOG.log(System.Logger.Level.INFO, String.format(java.util.Locale.ROOT, "loaded model %s version %d in %.1f ms", name, version, nanos / 1e6));
        return new Served(name, version, p, b, nanos, Instant.now(), key);
    }

    private static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) out.add(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot list " + dir + ": " + e.getMessage());
        }
        return out;
    }

    private String relative(String message) {
        return root == null ? message : message.replace(root + java.io.File.separator, "").replace(root.toString(), "<models>");
    }

    /** The named version, or the highest loaded one when {@code version} is null; null when there is none. */
    Served find(String name, Long version) {
        NavigableMap<Long, Served> versions = models.get(name);
        if (versions == null || versions.isEmpty()) return null;
        return version == null ? versions.lastEntry().getValue() : versions.get(version);
    }

    /** Loaded versions of {@code name}, oldest first (empty when unknown). */
    List<Served> versions(String name) {
        NavigableMap<Long, Served> v = models.get(name);
        return v == null ? List.of() : List.copyOf(v.values());
    }

    List<Refused> refusals(String name) {
        NavigableMap<Long, Refused> v = refused.get(name);
        return v == null ? List.of() : List.copyOf(v.values());
    }

    /** Model names with at least one loaded version, sorted. */
    List<String> names() {
        return List.copyOf(new TreeMap<>(models).keySet());
    }

    List<Served> all() {
        List<Served> out = new ArrayList<>();
        for (var v : models.values()) out.addAll(v.values());
        return out;
    }

    @Override
    public synchronized void close() {
        for (Served s : all()) s.batcher().close();
        models = Map.of();
    }
}
