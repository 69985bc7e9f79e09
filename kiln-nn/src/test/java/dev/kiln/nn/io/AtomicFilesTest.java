package dev.kiln.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void writesANewFileAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("report.csv");
        AtomicFiles.write(target, out -> out.write("a,b\n1,2\n".getBytes(StandardCharsets.UTF_8)));

        assertThat(target).hasContent("a,b\n1,2\n");
        assertThat(filesIn(dir)).containsExactly("report.csv");
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path target = dir.resolve("model.kiln");
        Files.writeString(target, "old content that is longer than the new one");

        AtomicFiles.writeChannel(target, channel -> AtomicFiles.writeFully(channel, ByteBuffer.wrap(new byte[] {1, 2, 3})));

        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        assertThat(filesIn(dir)).containsExactly("model.kiln");
    }

    static Stream<Throwable> failures() {
        return Stream.of(new IOException("disk full"), new UncheckedIOException(new IOException("stream broke")),
                new IllegalStateException("bug in the body"), new OutOfMemoryError("simulated"));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void aBodyFailingMidwayLeavesTheOldFileUntouchedAndNoTemporaryFile(Throwable failure) throws IOException {
        Path target = dir.resolve("model.kiln");
        Files.writeString(target, "the last good checkpoint");

        Throwable thrown = catchThrowable(() -> AtomicFiles.write(target, out -> {
            out.write("half of a new chec".getBytes(StandardCharsets.UTF_8));
            out.flush();
            throwUnchecked(failure);
        }));

        assertThat(thrown).isSameAs(failure);
        assertThat(target).hasContent("the last good checkpoint");
        assertThat(filesIn(dir)).containsExactly("model.kiln");
    }

    @ParameterizedTest
    @MethodSource("failures")
    void aChannelBodyFailingMidwayLeavesNoFileWhereThereWasNone(Throwable failure) {
        Path target = dir.resolve("new.kiln");

        Throwable thrown = catchThrowable(() -> AtomicFiles.writeChannel(target, channel -> {
            AtomicFiles.writeFully(channel, ByteBuffer.allocate(1 << 20));
            throwUnchecked(failure);
        }));

        assertThat(thrown).isSameAs(failure);
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void theTemporaryFileIsAHiddenSiblingOfTheTarget() throws IOException {
        Path target = dir.resolve("model.kiln");
        List<String> during = new ArrayList<>();

        AtomicFiles.write(target, out -> during.addAll(filesIn(dir)));

        assertThat(during).singleElement().asString().matches("\\.model\\.kiln\\.[0-9a-z]+\\.tmp");
        assertThat(filesIn(dir)).containsExactly("model.kiln");
    }

    @Test
    void aBodyMayCloseTheStreamAsJacksonDoes() throws IOException {
        Path target = dir.resolve("config.json");

        AtomicFiles.write(target, out -> new ObjectMapper().writeValue(out, Map.of("lr", 0.001)));

        assertThat(target).hasContent("{\"lr\":0.001}");
    }

    @Test
    void writeStringUsesUtf8() throws IOException {
        Path target = dir.resolve("notes.txt");
        AtomicFiles.writeString(target, "héllo ✓ 模型");

        assertThat(Files.readAllBytes(target)).isEqualTo("héllo ✓ 模型".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aMissingDirectoryIsReportedAndNothingIsCreated() {
        Path target = dir.resolve("no-such-dir").resolve("model.kiln");

        Throwable thrown = catchThrowable(() -> AtomicFiles.writeString(target, "x"));

        assertThat(thrown).isInstanceOf(NoSuchFileException.class).hasMessageContaining("create it first");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aVeryLongTargetNameStillFitsTheTemporaryName() throws IOException {
        Path target = dir.resolve("m".repeat(240) + ".kiln");
        AtomicFiles.writeString(target, "ok");

        assertThat(target).hasContent("ok");
        assertThat(filesIn(dir)).hasSize(1);
    }

    @Test
    void newFilesGetTheUsualPermissionsNotThoseOfATempFile() throws IOException {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
        Path atomic = dir.resolve("atomic.txt");

        AtomicFiles.writeString(atomic, "x");

        assertThat(Files.getPosixFilePermissions(atomic)).isEqualTo(Files.getPosixFilePermissions(plain));
    }

    @Test
    void concurrentWritersLeaveOneWritersCompleteOutput() throws Exception {
        Path target = dir.resolve("shared.txt");
        List<String> contents = new ArrayList<>();
        for (int i = 0; i < 8; i++) contents.add(String.valueOf((char) ('a' + i)).repeat(100_000));
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (String content : contents) {
                done.add(pool.submit(() -> {
                    for (int round = 0; round < 3; round++) AtomicFiles.writeString(target, content);
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        }

        assertThat(contents).contains(Files.readString(target));
        assertThat(filesIn(dir)).containsExactly("shared.txt");
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
        throw (T) t;
    }

    private static List<String> filesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
