// A character-level GPT (4 layers, 4 heads, d_model 128, context 128) on the shipped Pride and Prejudice corpus.
// Run:  ./kiln examples/CharGpt.java [steps] [batch]      then:  ./kiln generate char-gpt.kiln --prompt "Elizabeth" --tokens 200
import dev.kiln.core.Rng;
import dev.kiln.data.text.*;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.Optimizer;
import dev.kiln.nn.text.*;
import java.nio.file.Path;

void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    String text = Corpus.load();                                            // ~300 KB of public-domain English, shipped with Kiln
    CharTokenizer tokenizer = CharTokenizer.fit(text);
    int[] ids = tokenizer.encode(text);
    GptConfig config = GptConfig.small(tokenizer.vocabularySize());         // 4 layers, 4 heads, d_model 128, context 128
    Sequential model = Gpt.build(config, 42);
    System.out.print(model.summary());
    Optimizer adamW = Adam.adamW(1e-3, 0.01).clipGlobalNorm(1.0);
    // batch random windows of ids a step, drawn from the Rng, in one StepArena; a progress line every 10 steps
    Gpt.fit(model, adamW, ids, steps, batch, new Rng(42), Gpt.Progress.printing(System.out, 10));
    model.preprocessing(tokenizer.toJson());                                // kiln generate decodes with it
    model.save(Path.of("char-gpt.kiln"));
    Generator generator = new Generator(model);
    int[] out = generator.generate(tokenizer.encode("Elizabeth"), 200, new Generator.Sampling(0.8, 0, 0.95, 1), null);
    System.out.println("Elizabeth" + tokenizer.decode(out));
}
