package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java programs in examples/ (shown in the README) compile against the current API. */
class JavaExamplesCompileTest {
    @Test
    void everyJavaExampleCompiles(@TempDir Path out) throws IOException {
        Path examples = Path.of("..", "examples");
        List<String> sources = new ArrayList<>();
        try (Stream<Path> files = Files.list(examples)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> sources.add(p.toString()));
        }
        assertThat(sources).as("examples/*.java").isNotEmpty();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
            for (String source : sources) {
                StringWriter messages = new StringWriter();
                List<String> options = List.of("--release", "25", "--add-modules", "jdk.incubator.vector",
                        "-cp", System.getProperty("java.class.path"), "-d", out.toString());
                boolean ok = javac.getTask(messages, files, null, options, null, files.getJavaFileObjects(source)).call();
                assertThat(ok).as(source + " compiles:\n" + messages).isTrue();
            }
        }
    }
}
