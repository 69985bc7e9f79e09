package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.Optimizer;
import dev.kiln.nn.optimizers.RmsProp;
import dev.kiln.nn.optimizers.Sgd;
import dev.kiln.testkit.Fixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Kiln against PyTorch: fixtures written by tools/reference/make_fixtures.py, matched to 1e-5 relative. */
class ReferenceFixtureTest {
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    static void assertClose(String what, Tensor actual, float[] expected) {
        float[] a = actual.toFloatArray();
        assertThat(a.length).as(what + " size").isEqualTo(expected.length);
        for (int i = 0; i < a.length; i++) {
            double tol = ATOL + RTOL * Math.abs(expected[i]);
            assertThat((double) a[i]).as(what + "[" + i + "]").isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tol));
        }
    }

    /** Sets a built Dense layer's weights to the fixture's. */
    private static void load(Dense d, Fixture f, String prefix) {
        System.arraycopy(f.data(prefix + "kernel"), 0, d.parameters().get("kernel").rawFloats(), 0, f.data(prefix + "kernel").length);
        System.arraycopy(f.data(prefix + "bias"), 0, d.parameters().get("bias").rawFloats(), 0, f.data(prefix + "bias").length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense_relu", "dense_linear"})
    void denseForwardAndGradientsMatchPyTorch(String name) {
        Fixture f = Fixture.load("reference/" + name + ".json");
        Dense dense = new Dense(f.shape("kernel")[1], name.endsWith("relu") ? Activation.RELU : Activation.LINEAR);
        Sequential model = new Sequential(dense);
        model.build(f.shape("x")[1]);
        load(dense, f, "");
        Tensor x = f.tensor("x").requiresGrad(true);
        Tensor y = model.call(x, dev.kiln.nn.layers.CallContext.inference());
        assertClose("y", y, f.data("y"));
        y.mul(f.tensor("dy")).sum().backward();
        assertClose("dx", x.grad(), f.data("dx"));
        assertClose("dkernel", dense.parameters().get("kernel").grad(), f.data("dkernel"));
        assertClose("dbias", dense.parameters().get("bias").grad(), f.data("dbias"));
    }

    @Test
    void softmaxAndCrossEntropiesMatchPyTorch() {
        Fixture f = Fixture.load("reference/softmax_xent.json");
        Tensor logits = f.tensor("logits").requiresGrad(true);
        assertClose("softmax", logits.softmax(-1), f.data("probs"));
        assertClose("log_softmax", logits.logSoftmax(-1), f.data("log_softmax"));
        Tensor loss = Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS.compute(logits, f.tensor("labels"));
        assertClose("loss", loss, f.data("loss"));
        loss.backward();
        assertClose("dlogits", logits.grad(), f.data("dlogits"));
        assertClose("categorical", Loss.CATEGORICAL_CROSSENTROPY_FROM_LOGITS.compute(f.tensor("logits"), f.tensor("onehot")), f.data("cat_loss"));
        assertClose("categorical on probabilities", Loss.CATEGORICAL_CROSSENTROPY.compute(f.tensor("probs"), f.tensor("onehot")), f.data("cat_loss"));
        assertClose("sparse on probabilities", Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(f.tensor("probs"), f.tensor("labels")), f.data("loss"));

        Tensor bl = f.tensor("blogits").requiresGrad(true);
        Tensor bce = Loss.BINARY_CROSSENTROPY_FROM_LOGITS.compute(bl, f.tensor("btargets"));
        assertClose("bce", bce, f.data("bce_loss"));
        bce.backward();
        assertClose("dblogits", bl.grad(), f.data("dblogits"));
        Tensor bp = f.tensor("bprobs").requiresGrad(true);
        Tensor bceProb = Loss.BINARY_CROSSENTROPY.compute(bp, f.tensor("btargets"));
        assertClose("bce on probabilities", bceProb, f.data("bce_prob_loss"));
        bceProb.backward();
        assertClose("dbprobs", bp.grad(), f.data("dbprobs"));
    }

    @Test
    void mseAndMaeMatchPyTorch() {
        Fixture f = Fixture.load("reference/mse.json");
        Tensor pred = f.tensor("pred").requiresGrad(true);
        Tensor mse = Loss.MEAN_SQUARED_ERROR.compute(pred, f.tensor("target"));
        assertClose("mse", mse, f.data("loss"));
        mse.backward();
        assertClose("dpred", pred.grad(), f.data("dpred"));
        Tensor pred2 = f.tensor("pred").requiresGrad(true);
        Tensor mae = Loss.MEAN_ABSOLUTE_ERROR.compute(pred2, f.tensor("target"));
        assertClose("mae", mae, f.data("mae_loss"));
        mae.backward();
        assertClose("dpred_mae", pred2.grad(), f.data("dpred_mae"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam_mlp", "adamw_mlp", "sgd_momentum_mlp", "sgd_nesterov_mlp", "rmsprop_mlp"})
    void threeOptimizerStepsMatchPyTorch(String name) {
        Fixture f = Fixture.load("reference/" + name + ".json");
        Dense d1 = new Dense(f.shape("dense_1.kernel")[1], Activation.RELU);
        Dense d2 = new Dense(f.shape("dense_2.kernel")[1]);
        Sequential model = new Sequential(d1, d2);
        model.build(f.shape("x")[1]);
        load(d1, f, "dense_1.");
        load(d2, f, "dense_2.");
        double lr = f.meta("lr");
        Optimizer opt = switch (f.metaString("optimizer")) {
            case "adam" -> new Adam(lr);
            case "adamw" -> Adam.adamW(lr, f.meta("weight_decay"));
            case "sgd" -> new Sgd(lr, f.meta("momentum"), Boolean.parseBoolean(f.metaString("nesterov")));
            case "rmsprop" -> new RmsProp(lr);
            default -> throw new AssertionError(f.metaString("optimizer"));
        };
        List<Tensor> params = new ArrayList<>(model.parameters().values());
        for (int step = 1; step <= 3; step++) {
            Tensor loss = Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS.compute(
                    model.call(f.tensor("x"), dev.kiln.nn.layers.CallContext.inference()), f.tensor("y"));
            assertClose(name + " loss " + step, loss, f.data("loss_step_" + step));
            loss.backward();
            opt.step(params);
            for (Tensor p : params) p.zeroGrad();
            for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
                assertClose(name + " step " + step + " " + e.getKey(), e.getValue(), f.data("step_" + step + "." + e.getKey()));
            }
        }
    }
}
