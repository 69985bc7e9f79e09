package dev.kiln.cli;

import dev.kiln.data.DataSource;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --data-dir} and {@code --download}, mixed into the commands that read a named dataset
 * ({@code evaluate}, {@code predict}, {@code report}) so the three spell them, and apply them, alike.
 * {@code train} keeps its own pair: its {@code --download} help also promises the digest check.
 */
final class DataOptions {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Look for dataset files in DIR first.")
    Path dataDir;

    @Option(names = "--download", description = "Download the dataset if it is not installed.")
    boolean download;

    /** {@code base} (the CLI's source) looking in {@code --data-dir} first and downloading if {@code --download} is given. */
    DataSource applyTo(DataSource base) {
        DataSource source = base;
        if (dataDir != null) source = source.withFolder(dataDir);
        if (download) source = source.allowingDownload();
        return source;
    }
}
