package dev.kiln.nn.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a reader (or a crash) sees either the old complete file or the new complete file,
 * never a half-written one: the content goes to a temporary sibling, is forced to disk, and is then moved
 * over the target in one rename. Model files, checkpoints and reports all go through here, because a
 * training run killed mid-save must not destroy the last good checkpoint.
 *
 * <p>The temporary file lives in the target's directory (a rename is only atomic within one file system)
 * and is named {@code .<target>.<random>.tmp}. On any failure it is deleted and the target is untouched.
 *
 * <p>Thread-safety: stateless. Concurrent writes to the same target each use their own temporary file;
 * the last rename wins and the target is always one writer's complete output.
 */
public final class AtomicFiles {
    /** Names longer than this are cut in the temporary name so it stays under common 255-byte limits. */
    private static final int MAX_PREFIX_CHARS = 100;
    private static final int BUFFER_BYTES = 1 << 16;

    private AtomicFiles() {}

    /** A consumer that may throw {@link IOException}, for the body that produces a file's content. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        void accept(T value) throws IOException;
    }

    /**
     * Writes {@code target} atomically from a stream. The body may close the stream (Jackson does by
     * default); that only flushes it. The stream must not be used after the body returns.
     */
    public static void write(Path target, IOConsumer<? super OutputStream> body) throws IOException {
        writeChannel(target, channel -> {
            try (OutputStream out = new UnclosableStream(
                    new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES))) {
                body.accept(out);
            }
        });
    }

    /**
     * Writes {@code target} atomically through a file channel positioned at 0, for bulk binary data.
     * The body must not close the channel.
     */
    public static void writeChannel(Path target, IOConsumer<? super FileChannel> body) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(target.toString(), null,
                    "cannot write: the directory " + dir + " does not exist; create it first");
        }
        Temp temp = createTemp(dir, absolute.getFileName().toString());
        try {
            try (FileChannel channel = temp.channel()) {
                body.accept(channel);
                channel.force(true);
            }
            move(temp.path(), absolute);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(temp.path());
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        syncDirectory(dir);
    }

    /** Writes {@code text} as UTF-8, atomically; for JSON, CSV and other text artefacts. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes}, atomically. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        writeChannel(target, channel -> writeFully(channel, ByteBuffer.wrap(bytes)));
    }

    /** Writes all remaining bytes of {@code buffer}; a single channel write may write fewer. */
    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) channel.write(buffer);
    }

    private record Temp(Path path, FileChannel channel) {}

    private static Temp createTemp(Path dir, String name) throws IOException {
        String prefix = "." + (name.length() > MAX_PREFIX_CHARS ? name.substring(0, MAX_PREFIX_CHARS) : name) + ".";
        for (int attempt = 0; ; attempt++) {
            Path candidate = dir.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                // Not Files.createTempFile: that creates mode 0600 files, and the model would keep that mode.
                return new Temp(candidate, FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            // Some file systems (certain network and FUSE mounts) have no atomic rename; a replacing move is
            // the best they offer, and the content was already complete and forced before it.
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * A rename is durable only once the directory entry itself reaches the disk (POSIX). Windows cannot open
     * a directory as a channel; there the rename is already journaled, so failing here is not an error.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException notSupported) {
            // best effort, see above
        }
    }

    /** Hands the body a stream whose close() only flushes, so the channel stays open for force(). */
    private static final class UnclosableStream extends OutputStream {
        private final OutputStream out;

        UnclosableStream(OutputStream out) {
            this.out = out;
        }

        @Override public void write(int b) throws IOException { out.write(b); }

        @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }

        @Override public void flush() throws IOException { out.flush(); }

        @Override public void close() throws IOException { out.flush(); }
    }
}
