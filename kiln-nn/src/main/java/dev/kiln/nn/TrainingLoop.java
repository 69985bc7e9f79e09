package dev.kiln.nn;

import dev.kiln.core.Rng;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.data.Batch;
import dev.kiln.data.Dataset;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.ProgressBar;
import dev.kiln.nn.callbacks.TerminateOnNaN;
import dev.kiln.nn.callbacks.TrainingState;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.losses.Loss;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one training loop, readable top to bottom: for each batch, forward, loss, backward, step, zero
 * gradients, metrics, callbacks; after each epoch, validation and callbacks. Everything else (progress,
 * early stopping, checkpoints, logs) is a {@link Callback}.
 *
 * <p>No garbage per step once warmed up: batches come from {@link Dataset#reusedBatches}, and each step after
 * the first (which builds the model) runs inside a {@link StepArena}, so activations, gradients and the
 * loss's scratch reuse the previous step's arrays. The loop owns every tensor of a step: it reads the loss and
 * the accuracy, then resets the arena, and only then calls the callbacks, which never see a step's tensors.
 * The system property {@code kiln.stepArena} ({@code on}, {@code off}, {@code poison}: NaN-fill recycled
 * arrays, for tests) overrides the default, on.
 */
final class TrainingLoop {
    private final Model model;
    private final Dataset train;
    private final Dataset validation;
    private final FitOptions options;
    private final List<Callback> callbacks = new ArrayList<>();
    private final Rng rng;
    private final StepArena arena;   // null: every step allocates afresh
    private int[] predicted = new int[0];   // argmax per row, reused across steps
    private float[] predictedValues = new float[0];   // a one-unit head's outputs, reused across steps
    private Tensor target;                  // the float targets of the last step (see #stepTargets)
    private Tensor weights;                 // the sample weights of the last step (see #sampleWeights)
    private float[] classWeightOf;          // class id -> weight (1 where none is given), made on first use
    private static final int CLASS_LOOKUP = 1 << 16;
    // One step's inputs and results, in fields so that the step is one Runnable made once (no capturing lambda per step).
    private final Runnable stepInArena = this::step;
    private Batch stepBatch;
    private Loss loss;
    private List<Tensor> params;
    private List<Layer> layers;   // fetched once: model.layers() wraps the list anew on each call
    private CallContext training;
    private double stepLoss;
    private long stepCorrect;
    // What onBatchEnd sees: one map refilled each step (callbacks must copy it to keep it, see Callback#onBatchEnd).
    private final BatchLogs batchLogs;

    TrainingLoop(Model model, Dataset data, FitOptions options, List<Callback> userCallbacks) {
        this.model = model;
        this.options = options;
        this.rng = new Rng(options.seed());
        if (options.validationData() != null) {
            this.train = data;
            this.validation = options.validationData();
        } else if (options.validationSplit() > 0) {
            Dataset.Split split = data.split(options.validationSplit(), rng.split());
            this.train = split.train();
            this.validation = split.validation();
        } else {
            this.train = data;
            this.validation = null;
        }
        callbacks.addAll(userCallbacks);   // TerminateOnNaN's check runs first, in the loop itself
        if (options.verbose()) callbacks.add(new ProgressBar(System.out));
        this.batchLogs = model.tracksAccuracy() ? new BatchLogs("loss", "accuracy", "lr") : new BatchLogs("loss", "lr");
        this.arena = switch (System.getProperty("kiln.stepArena", "on")) {
            case "on" -> new StepArena(false);
            case "poison" -> new StepArena(true);
            case "off" -> null;
            default -> throw new IllegalArgumentException("kiln.stepArena must be on, off or poison, got " + System.getProperty("kiln.stepArena"));
        };
    }

    History run() {
        loss = model.loss();
        params = new ArrayList<>(model.parameters().values());
        layers = model.layers();
        int steps = (train.size() + options.batchSize() - 1) / options.batchSize();
        TrainingState state = new TrainingState(model, model.optimizer(), options.epochs(), steps, train.size());
        History history = new History();
        training = new CallContext(true, rng.split());   // the dropout random source, advanced by every step
        Rng shuffleRng = rng.split();
        model.provenance(Kiln.provenance(options.seed(), Kiln.sha256(train)));
        callbacks.forEach(c -> c.onTrainBegin(state));

        // One Iterable for the whole fit: its batch buffers are made once; each pass (epoch) reshuffles from shuffleRng.
        Iterable<Batch> batches = train.reusedBatches(options.batchSize(), options.shuffle(), shuffleRng);
        boolean built = model.isBuilt();
        for (int epoch = 0; epoch < options.epochs() && !state.stopRequested(); epoch++) {
            for (Callback c : callbacks) c.onEpochBegin(epoch, state);
            double lossSum = 0;
            long correct = 0;
            int seen = 0;
            int batch = 0;
            double lr = model.optimizer().learningRate();
            for (Batch b : batches) {
                lr = model.optimizer().learningRate();
                stepBatch = b;
                if (arena != null && built) {   // the first step builds the model: its weights must not come from the arena
                    arena.run(stepInArena);
                    arena.reset();   // nothing of the step is referenced any more: step() kept only numbers
                } else {
                    step();
                    built = model.isBuilt();
                }
                stepBatch = null;

                int n = b.y().length;
                lossSum += stepLoss * n;
                correct += stepCorrect;
                seen += n;
                double meanLoss = lossSum / seen;
                batchLogs.set(0, meanLoss);
                if (model.tracksAccuracy()) batchLogs.set(1, (double) correct / seen);
                batchLogs.set(batchLogs.size() - 1, lr);
                TerminateOnNaN.check(batch, meanLoss, state);
                for (int i = 0; i < callbacks.size(); i++) callbacks.get(i).onBatchEnd(batch, batchLogs, state);
                batch++;
                if (state.stopRequested()) break;
            }
            if (state.failed()) {
                callbacks.forEach(c -> c.onTrainEnd(state));
                throw new TrainingFailedException(state.stopReason() + " (epoch " + (epoch + 1) + ")");
            }
            Map<String, Double> logs = logs(lossSum / Math.max(1, seen), correct, seen, lr);
            if (validation != null) {
                for (var e : model.evaluate(validation).entrySet()) logs.put("val_" + e.getKey(), e.getValue());
            }
            history.add(logs);
            for (Callback c : callbacks) c.onEpochEnd(epoch, logs, state);
        }
        history.stopReason(state.stopReason());
        callbacks.forEach(c -> c.onTrainEnd(state));
        return history;
    }

    /** Forward, loss, backward, update, zero gradients on {@link #stepBatch}; leaves the loss and the correct count in fields. */
    private void step() {
        Batch b = stepBatch;
        Tensor pred = model.call(b.x(), training);        // (B, outputs)
        Tensor lossValue = loss.isSparse() ? loss.compute(pred, b.y(), sampleWeights(b.y(), pred.shape(-1)))   // class ids as they are
                : loss.compute(pred, stepTargets(loss, b.y(), pred), sampleWeights(b.y(), pred.shape(-1)));
        Tensor objective = withRegularization(lossValue);
        objective.backward();
        model.optimizer().step(params);
        for (int i = 0; i < params.size(); i++) params.get(i).zeroGrad();
        stepLoss = lossValue.item();
        stepCorrect = model.tracksAccuracy() ? countCorrect(loss, pred, b.y()) : 0;
    }

    private Map<String, Double> logs(double meanLoss, long correct, int seen, double lr) {
        Map<String, Double> logs = new LinkedHashMap<>();
        logs.put("loss", meanLoss);
        if (model.tracksAccuracy()) logs.put("accuracy", seen == 0 ? 0 : (double) correct / seen);
        logs.put("lr", lr);
        return logs;
    }

    private Tensor withRegularization(Tensor lossValue) {
        Tensor total = lossValue;
        for (int i = 0; i < layers.size(); i++) {   // indexed: no iterator per step
            Tensor r = layers.get(i).regularization();
            if (r != null) total = total.add(r);
        }
        return total;
    }

    /**
     * Each sample's class weight (1 for a class without one), or null without class weights: in one tensor kept across
     * steps of the same batch size, refilled each step like {@link #stepTargets}, from a lookup by class id made once
     * for every class the model predicts (so no label boxes a key or a default weight).
     */
    private Tensor sampleWeights(int[] labels, int classes) {
        if (options.classWeights().isEmpty()) return null;
        if (classWeightOf == null || classWeightOf.length < classes) {
            int n = Math.max(classes, 2);   // a one-unit head predicts 2 classes; ids past 65,535, if any, go to the map
            for (int c : options.classWeights().keySet()) if (c < CLASS_LOOKUP) n = Math.max(n, c + 1);
            float[] byClass = new float[n];
            java.util.Arrays.fill(byClass, 1f);
            options.classWeights().forEach((c, w) -> { if (c >= 0 && c < byClass.length) byClass[c] = w.floatValue(); });
            classWeightOf = byClass;
        }
        if (weights == null || weights.size() != labels.length) weights = Tensor.zeros(labels.length);
        float[] w = weights.rawFloats();
        for (int i = 0; i < w.length; i++) {
            int y = labels[i];
            w[i] = y >= 0 && y < classWeightOf.length ? classWeightOf[y] : options.classWeights().getOrDefault(y, 1.0).floatValue();
        }
        return weights;
    }

    /**
     * The target tensor a loss wants for integer labels: class ids for sparse losses, one-hot rows for
     * categorical losses and multi-output regression, and 0/1 values shaped like the prediction otherwise.
     */
    static Tensor targets(Loss loss, int[] labels, Tensor pred) {
        int b = labels.length;
        if (loss.isSparse()) {
            float[] t = new float[b];
            for (int i = 0; i < b; i++) t[i] = labels[i];
            return Tensor.of(t, b);
        }
        int classes = pred.shape(-1);
        Tensor t = pred.rank() == 2 && classes > 1 ? Tensor.zeros(b, classes) : Tensor.zeros(pred.shape());
        fillTargets(labels, pred, t.rawFloats());
        return t;
    }

    /**
     * The non-sparse targets of {@link #targets} into {@code t} (pred's size): one-hot rows for several outputs, else the
     * labels as values (elements past the labels are left as they are: zero in a new tensor).
     */
    private static void fillTargets(int[] labels, Tensor pred, float[] t) {
        int classes = pred.shape(-1);
        if (pred.rank() == 2 && classes > 1) {
            java.util.Arrays.fill(t, 0f);
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] >= classes) throw labelOutside(labels[i], i, classes);
                t[i * classes + labels[i]] = 1f;
            }
        } else {
            for (int i = 0; i < labels.length; i++) t[i] = labels[i];
        }
    }

    /**
     * {@link #targets} into one tensor kept across steps of the same shape (the last batch of an epoch makes a second):
     * the step's graph holds it only until the step ends, and the next step refills it.
     */
    private Tensor stepTargets(Loss loss, int[] labels, Tensor pred) {
        if (target == null || !target.sameShape(pred)) return target = targets(loss, labels, pred);
        fillTargets(labels, pred, target.rawFloats());
        return target;
    }

    private static IllegalArgumentException labelOutside(int label, int position, int classes) {
        return new IllegalArgumentException("label " + label + " at batch position " + position + " is outside the model's " + classes + " outputs");
    }

    /** {@link #correct}, reusing one array for the predicted classes (or the one-unit head's outputs). */
    private long countCorrect(Loss loss, Tensor pred, int[] labels) {
        long c = 0;
        if (pred.shape(-1) > 1) {
            if (predicted.length != labels.length) predicted = new int[labels.length];
            pred.argmaxLastAxis(predicted);
            for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) c++;
            return c;
        }
        if (predictedValues.length < pred.size()) predictedValues = new float[pred.size()];
        float[] v = pred.toFloatArray(predictedValues);
        float threshold = loss.fromLogits() ? 0f : 0.5f;
        for (int i = 0; i < labels.length; i++) if ((v[i] > threshold ? 1 : 0) == labels[i]) c++;
        return c;
    }

    /** Number of correct class predictions in a batch. */
    static long correct(Loss loss, Tensor pred, int[] labels) {
        int[] predicted;
        if (pred.shape(-1) > 1) {
            predicted = pred.argmaxLastAxis();
        } else {
            float threshold = loss.fromLogits() ? 0f : 0.5f;
            float[] v = pred.toFloatArray();
            predicted = new int[v.length];
            for (int i = 0; i < v.length; i++) predicted[i] = v[i] > threshold ? 1 : 0;
        }
        long c = 0;
        for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) c++;
        return c;
    }
}
