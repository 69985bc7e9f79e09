// The Keras tutorial CNN on Fashion-MNIST, in Java. Run it with:  ./kiln examples/FashionMnistCnn.java
// Channels-last like Keras: Reshape turns the (28, 28) samples into (28, 28, 1) images.
import dev.kiln.data.*;
import dev.kiln.nn.*;
import dev.kiln.nn.layers.*;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.nio.file.Path;
import java.util.Arrays;

void main() throws Exception {
    TrainTest data;
    try { data = FashionMnist.load(); }                       // Debian's dataset-fashion-mnist, $KILN_DATA, ...
    catch (DatasetNotFoundException e) { data = FashionMnist.subset(); System.out.println("Using the shipped subset"); }

    var model = new Sequential(new Reshape(28, 28, 1),
            new Conv2D(32, 3, Activation.RELU), new MaxPooling2D(2),
            new Conv2D(64, 3, Activation.RELU), new MaxPooling2D(2),
            new Conv2D(64, 3, Activation.RELU),
            new Flatten(), new Dense(64, Activation.RELU), new Dense(10));
    model.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
    System.out.print(model.build(28, 28).summary());
    model.fit(data.train(), new FitOptions(5, 64).withValidationData(data.test()));
    System.out.println("Test accuracy: " + model.evaluate(data.test()).get("accuracy"));

    model.save(Path.of("fashion-mnist-cnn.kiln"));
    Model loaded = Model.load(Path.of("fashion-mnist-cnn.kiln"));
    System.out.println("First five test predictions: " + Arrays.toString(loaded.predictClasses(data.test().slice(0, 5).features())));
}
