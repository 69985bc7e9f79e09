// A BPE-level GPT (4 layers, 4 heads, d_model 128, context 128) on the shipped Pride and Prejudice corpus: the same
// model as CharGpt.java, but its tokens are byte-pair merges learned from the text (2.2 characters each on average
// at vocabulary 512), so the 128-token context sees about twice as much text as a character model's.
// Run:  ./kiln examples/BpeGpt.java [steps] [batch] [vocab]   then:  ./kiln generate bpe-gpt.kiln --prompt "Elizabeth" --tokens 200
import dev.kiln.core.Rng;
import dev.kiln.data.text.*;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.Optimizer;
import dev.kiln.nn.text.*;
import java.nio.file.Path;
import java.util.Locale;

void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int vocab = args.length > 2 ? Integer.parseInt(args[2]) : 512;
    String text = Corpus.load();                                            // ~300 KB of public-domain English, shipped with Kiln
    BpeTokenizer tokenizer = BpeTokenizer.train(text, vocab);               // byte-level: 256 bytes + learned merges, nothing unknown
    int[] ids = tokenizer.encode(text);
    System.out.printf(Locale.ROOT, "BPE vocabulary %d: %,d characters -> %,d tokens (%.2f characters per token)%n",
            tokenizer.vocabularySize(), text.length(), ids.length, text.length() / (double) ids.length);
    GptConfig config = GptConfig.small(tokenizer.vocabularySize());         // 4 layers, 4 heads, d_model 128, context 128
    Sequential model = Gpt.build(config, 42);
    System.out.print(model.summary());
    Optimizer adamW = Adam.adamW(1e-3, 0.01).clipGlobalNorm(1.0);
    // batch random windows of ids a step, drawn from the Rng, in one StepArena; a progress line every 10 steps
    Gpt.fit(model, adamW, ids, steps, batch, new Rng(42), Gpt.Progress.printing(System.out, 10));
    model.preprocessing(tokenizer.toJson());                                // kiln generate decodes with it (merges included)
    model.save(Path.of("bpe-gpt.kiln"));
    Generator generator = new Generator(model);
    int[] out = generator.generate(tokenizer.encode("Elizabeth"), 200, new Generator.Sampling(0.8, 0, 0.95, 1), null);
    System.out.println("Elizabeth" + tokenizer.decode(out));
}
