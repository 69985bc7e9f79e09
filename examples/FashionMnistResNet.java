// A small ResNet (He et al. 2016) built with the functional API, trained on Fashion-MNIST.
// Run it with:  ./kiln examples/FashionMnistResNet.java [epochs, default 3]
// Two residual blocks: identity shortcut at 16 channels, then a 1x1 projection shortcut to 32 channels;
// BatchNormalization before each merge, global average pooling instead of a large dense head (19,818 parameters).
import dev.kiln.data.*;
import dev.kiln.nn.*;
import dev.kiln.nn.layers.*;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.nio.file.Path;

Node conv(Node x, int filters, int size, Activation activation) {
    return x.then(new Conv2D(new Conv2D.Config(filters, size, activation).withPadding(Padding.SAME)));
}

// Momentum 0.9 rather than Keras's 0.99: the moving statistics then follow the weights within an epoch, so the
// validation accuracy (computed with them) tracks the training accuracy instead of lagging it.
BatchNormalization bn() {
    return new BatchNormalization(new BatchNormalization.Config(null, 0.9, null, null, null));
}

void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    TrainTest data;
    try { data = FashionMnist.load(); }                       // Debian's dataset-fashion-mnist, $KILN_DATA, ...
    catch (DatasetNotFoundException e) { data = FashionMnist.subset(); System.out.println("Using the shipped subset"); }

    Node in = Node.input(28, 28);
    Node x = conv(in.then(new Reshape(28, 28, 1)), 16, 3, Activation.LINEAR)
            .then(bn()).then(new ActivationLayer(Activation.RELU));             // (28, 28, 16)
    Node y = conv(conv(x, 16, 3, Activation.RELU), 16, 3, Activation.LINEAR).then(bn());
    x = Node.merge(new Add(), x, y).then(new ActivationLayer(Activation.RELU)).then(new MaxPooling2D(2));  // (14, 14, 16)
    Node shortcut = conv(x, 32, 1, Activation.LINEAR);                                                // projection to 32 channels
    y = conv(conv(x, 32, 3, Activation.RELU), 32, 3, Activation.LINEAR).then(bn());
    Node out = Node.merge(new Add(), shortcut, y).then(new ActivationLayer(Activation.RELU))          // (14, 14, 32)
            .then(new GlobalAveragePooling2D()).then(new Dense(10));
    Model model = new Functional(in, out);

    model.compile(new Adam(3e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
    System.out.print(model.build(28, 28).summary());
    model.fit(data.train(), new FitOptions(epochs, 64).withValidationData(data.test()));
    System.out.println("Test accuracy: " + model.evaluate(data.test()).get("accuracy"));

    model.save(Path.of("fashion-mnist-resnet.kiln"));                                     // kiln evaluate / predict / serve read it
    System.out.println("Saved fashion-mnist-resnet.kiln");
}
