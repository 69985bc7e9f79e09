import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import dev.kiln.core.Rng;
import dev.kiln.data.Idx;

/**
 * Writes the Fashion-MNIST subset that kiln-data ships: a class-balanced, seeded random 600 training
 * images per class (6,000) and 100 test images per class (1,000), in shuffled order, as gzipped IDX.
 * See README.md beside this file for how to run it.
 */
public final class MakeFashionMnistSubset {
    static final long SEED = 20_250_601L;
    static final int CLASSES = 10;
    static final int TRAIN_PER_CLASS = 600;
    static final int TEST_PER_CLASS = 100;

    public static void main(String[] args) throws Exception {
        Path src = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist");
        Path dst = Path.of(args.length > 1 ? args[1] : "kiln-data/src/main/resources/dev/kiln/data/fashion-mnist-subset");
        Files.createDirectories(dst);
        Rng rng = new Rng(SEED);
        long total = write(src, dst, "train", TRAIN_PER_CLASS, rng) + write(src, dst, "t10k", TEST_PER_CLASS, rng);
        System.out.println("total " + total + " bytes in " + dst);
    }

    /** Draws {@code perClass} samples of each class from one split and writes its two files; returns their size. */
    static long write(Path src, Path dst, String split, int perClass, Rng rng) throws Exception {
        Idx images = Idx.read(src.resolve(split + "-images-idx3-ubyte.gz"));
        int[] labels = Idx.read(src.resolve(split + "-labels-idx1-ubyte.gz")).labels();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < CLASSES; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++) byClass.get(labels[i]).add(i);

        int[] chosen = new int[CLASSES * perClass];
        int k = 0;
        for (int c = 0; c < CLASSES; c++) {
            int[] members = byClass.get(c).stream().mapToInt(Integer::intValue).toArray();
            if (members.length < perClass) throw new IllegalStateException(split + " has only " + members.length + " of class " + c);
            rng.shuffle(members);
            for (int j = 0; j < perClass; j++) chosen[k++] = members[j];
        }
        rng.shuffle(chosen);   // interleave the classes, so that any slice holds all of them

        int side = images.shape()[1] * images.shape()[2];
        float[] x = new float[chosen.length * side];
        float[] y = new float[chosen.length];
        for (int j = 0; j < chosen.length; j++) {
            System.arraycopy(images.data(), chosen[j] * side, x, j * side, side);
            y[j] = labels[chosen[j]];
        }
        Path xFile = dst.resolve(split + "-images-idx3-ubyte.gz");
        Path yFile = dst.resolve(split + "-labels-idx1-ubyte.gz");
        new Idx(Idx.Type.UBYTE, new int[] {chosen.length, images.shape()[1], images.shape()[2]}, x).writeGzip(xFile);
        new Idx(Idx.Type.UBYTE, new int[] {chosen.length}, y).writeGzip(yFile);
        for (Path p : List.of(xFile, yFile)) {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
            System.out.println(p.getFileName() + "  " + Files.size(p) + " bytes  sha256 " + sha);
        }
        return Files.size(xFile) + Files.size(yFile);
    }
}
