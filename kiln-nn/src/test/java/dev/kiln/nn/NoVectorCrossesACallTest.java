package dev.kiln.nn;

import dev.kiln.core.kernel.Gemm;
import dev.kiln.nn.optimizers.Adam;
import java.io.IOException;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No method or constructor of Kiln's core or layers takes or returns a vector, mask or shuffle. Vector values are only
 * free while C2 keeps them in registers; a call it leaves out of line (it refuses to inline a callee it has already
 * compiled on its own into a big method, and whether it did depends on the order of compilations) boxes every vector
 * passed or returned, on every call, for the rest of the run. FastMath's exp helpers once cost an LSTM gigabytes and
 * a GPT 67 MB a step that way. Kernels spill to arrays (Elementwise.lanes) or write the steps out instead.
 */
class NoVectorCrossesACallTest {

    @Test
    void noDeclaredMethodTakesOrReturnsAVector() throws Exception {
        List<String> offenders = new ArrayList<>();
        int methods = 0;
        for (Class<?> anchor : List.of(Gemm.class, Adam.class)) {
            for (String name : classNames(anchor)) {
                Class<?> type = Class.forName(name, false, anchor.getClassLoader());
                List<Executable> all = new ArrayList<>(List.of(type.getDeclaredMethods()));
                all.addAll(List.of(type.getDeclaredConstructors()));
                for (Executable e : all) {
                    methods++;
                    boolean bad = Stream.of(e.getParameterTypes()).anyMatch(NoVectorCrossesACallTest::vectorValued)
                        || e instanceof Method m && vectorValued(m.getReturnType());
                    if (bad) offenders.add(type.getName() + "." + e.getName());
                }
            }
        }
        assertThat(methods).as("methods scanned (the scan must find the classes)").isGreaterThan(1000);
        assertThat(offenders).as("methods passing a vector value across a call").isEmpty();
    }

    @Test
    void theCheckRecognisesVectorValuedTypes() throws Exception {
        Method fma = jdk.incubator.vector.FloatVector.class.getMethod("fma",
            Vector.class, Vector.class);
        assertThat(vectorValued(fma.getReturnType())).isTrue();
        assertThat(vectorValued(fma.getParameterTypes()[0])).isTrue();
        assertThat(vectorValued(VectorMask.class)).isTrue();
        assertThat(vectorValued(float[].class)).isFalse();
        assertThat(vectorValued(VectorMask[].class)).as("arrays live on the heap anyway").isFalse();
    }

    private static boolean vectorValued(Class<?> c) {
        return Vector.class.isAssignableFrom(c) || VectorMask.class.isAssignableFrom(c)
            || VectorShuffle.class.isAssignableFrom(c);
    }

    /** Every class in the jar or folder the anchor class was loaded from. */
    private static List<String> classNames(Class<?> anchor) throws IOException, URISyntaxException {
        Path where = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(where)) {
            try (Stream<Path> files = Files.walk(where)) {
                files.map(p -> where.relativize(p).toString().replace('\\', '/')).filter(NoVectorCrossesACallTest::isClass)
                    .forEach(p -> names.add(p.substring(0, p.length() - 6).replace('/', '.')));
            }
        } else {
            try (JarFile jar = new JarFile(where.toFile())) {
                jar.stream().map(e -> e.getName()).filter(NoVectorCrossesACallTest::isClass)
                    .forEach(p -> names.add(p.substring(0, p.length() - 6).replace('/', '.')));
            }
        }
        return names;
    }

    private static boolean isClass(String path) {
        return path.endsWith(".class") && !path.endsWith("module-info.class") && !path.endsWith("package-info.class");
    }
}
